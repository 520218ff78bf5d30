"""Lead rules: who sees which leads, searching and filtering, priority upkeep, the board's numbers."""

from sqlalchemy import func, or_, select, union_all, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from sales import records
from models import ContactLog, Customer, Lead, Order, PipelineStage, ShopSetting, User
from sales import phones
from sales.clock import shop_today
from sales.leads.priority import LeadFacts, priority_of
from sales.leads.stages import ensure_default_stages
from sales.search_index import matching

PRIORITY_BANDS = {"high": (70, 101), "medium": (40, 70), "low": (0, 40)}
SELLERS_SEE_ALL = "sellers_see_all_leads"


def sellers_see_all():
    return ShopSetting.get(SELLERS_SEE_ALL) == "1"


def visible_to(user):
    """SQL condition: the leads `user` may see (the rule lives in sales/records.py)."""
    return records.visible(Lead, user)


def may_see(user, lead):
    return records.may_view(user, lead)


def workable_ids(user, lead_ids):
    """The leads among `lead_ids` that `user` may change, in one query (the rule is records.py's): which cards of
    the board get their move buttons."""
    if not lead_ids:
        return set()
    return set(db.session.scalars(select(Lead.id).where(Lead.id.in_(lead_ids), records.changeable(Lead, user))))


def may_work(user, lead):
    """Sellers work (change) only their own leads; seeing everyone's does not mean editing them."""
    return records.may_change(user, lead)


OUTCOMES = ("disqualified", "won", "lost", "all")


def not_disqualified():
    """A disqualified lead has left the pipeline: it is shown on no open board or list (a filter finds it)."""
    return Lead.qualification != "disqualified"


def lead_statement(user, text="", stage_id=None, seller_id=None, source=None, band=None, include_closed=True,
                   outcome=None):
    """The leads `user` sees, filtered. Without a stage or an outcome (and include_closed=False): the open
    ones — in an open stage and not disqualified. `outcome`: disqualified, won, lost or all."""
    # Joins only when a filter needs them: the COUNT of a big list stays an index walk.
    statement = (
        select(Lead)
        # The row's customer, seller and stage joined in: one statement per page (never in the COUNT).
        .options(joinedload(Lead.customer), joinedload(Lead.seller), joinedload(Lead.stage))
        .where(visible_to(user))
    )
    leads, customers = matching("lead", text), matching("customer", text)
    if leads is not None:
        # Matching customers first, once, rather than joining every lead to its customer.
        statement = statement.where(or_(Lead.id.in_(leads), Lead.customer_id.in_(customers)))
    if stage_id:
        statement = statement.where(Lead.stage_id == stage_id)
    elif outcome == "disqualified":
        statement = statement.where(Lead.qualification == "disqualified")
    elif outcome in ("won", "lost"):
        statement = statement.where(Lead.stage_id.in_(select(PipelineStage.id).where(PipelineStage.kind == outcome)))
    elif not include_closed and outcome != "all":
        statement = statement.where(Lead.stage_id.in_(select(PipelineStage.id).where(PipelineStage.kind == "open")),
                                    not_disqualified())
    if seller_id:
        statement = statement.where(Lead.seller_id == seller_id)
    if source:
        statement = statement.where(Lead.source == source)
    if band in PRIORITY_BANDS:
        low, high = PRIORITY_BANDS[band]
        statement = statement.where(Lead.priority >= low, Lead.priority < high)
    return statement.order_by(Lead.priority.desc(), Lead.id.desc())


def facts_for(lead, today=None):
    """Gather what the priority needs: two small COUNT queries about the customer's history."""
    customer = lead.customer
    past_orders = past_contacts = 0
    if customer.id is not None:
        past_orders = db.session.scalar(select(func.count()).select_from(Order)
                                        .where(Order.customer_id == customer.id)) or 0
        past_contacts = db.session.scalar(select(func.count()).select_from(ContactLog)
                                          .where(ContactLog.customer_id == customer.id)) or 0
    deadlines = [d for d in (lead.decision_deadline, lead.expected_close_date) if d]
    known = bool(customer.created_at and lead.created_at and customer.created_at < lead.created_at
                 and (lead.created_at - customer.created_at).total_seconds() > 60) or past_orders > 0
    return LeadFacts(
        past_orders=past_orders,
        past_contacts=past_contacts,
        estimated_value=lead.estimated_value,
        access_rating=lead.access_rating,
        known_customer=known,
        has_phone=bool(customer.phone or customer.mobile),
        has_email=bool(customer.email),
        competitor_involved=bool(lead.competitor_involved),
        deadline=min(deadlines) if deadlines else None,
        qualification=lead.qualification or "pending",
        closed=bool(lead.stage and lead.stage.kind != "open"),
        today=today or shop_today(),
    )


def refresh_priority(lead, today=None):
    priority = priority_of(facts_for(lead, today))
    lead.priority = priority.score
    lead.priority_reasons = priority.as_json()
    return priority


def refresh_customer_leads(customer_id):
    """A new contact or order changes the history of every open lead of that customer.

    The priority is worked out from facts, never typed by anyone, so it is written without the lead's version:
    a seller logging a call must not collide with someone saving one of that customer's leads at the same
    moment (both answers stay right: the next save recomputes it). Leads are written in id order, so two such
    requests at once wait for each other instead of deadlocking.
    """
    leads = db.session.scalars(select(Lead).join(Lead.stage)
                               .where(Lead.customer_id == customer_id, PipelineStage.kind == "open")
                               .order_by(Lead.id)).all()
    for lead in leads:
        priority = priority_of(facts_for(lead))
        db.session.execute(update(Lead).where(Lead.id == lead.id)
                           .values(priority=priority.score, priority_reasons=priority.as_json(),
                                   updated_at=Lead.updated_at)
                           .execution_options(synchronize_session=False))
        db.session.expire(lead, ["priority", "priority_reasons"])


def board(user, seller_id=None, cards_per_stage=20, stages=None):
    """Stages with their lead count, total value and top cards.

    One aggregate query plus one query for the cards: a UNION ALL of one short part per stage, each walking the
    (stage, priority) index, the cards' customers and sellers joined in. The number of queries follows neither
    the number of stages nor the number of leads.
    """
    stages = ensure_default_stages() if stages is None else stages
    condition = [visible_to(user), not_disqualified()]
    if seller_id:
        condition.append(Lead.seller_id == seller_id)
    totals = stage_totals(user, seller_id)
    cards = []
    if stages:
        parts = [select(Lead.id).where(Lead.stage_id == stage.id, *condition)
                 .order_by(Lead.priority.desc(), Lead.id.desc()).limit(cards_per_stage).subquery()
                 for stage in stages]
        top = union_all(*(select(part.c.id) for part in parts)).subquery()
        cards = db.session.scalars(
            select(Lead).where(Lead.id.in_(select(top.c.id)))
            .options(joinedload(Lead.customer), joinedload(Lead.seller))
            .order_by(Lead.priority.desc(), Lead.id.desc())
        ).unique().all()
    by_stage = {stage.id: [] for stage in stages}
    for lead in cards:
        by_stage[lead.stage_id].append(lead)
    return [
        {"stage": stage, "count": totals.get(stage.id, (0, 0))[0], "value": totals.get(stage.id, (0, 0))[1],
         "leads": by_stage[stage.id]}
        for stage in stages
    ]


def stage_totals(user, seller_id=None):
    """{stage id: (lead count, total estimated value)} of the leads `user` sees (disqualified ones have left the
    pipeline), from one GROUP BY."""
    condition = [visible_to(user), not_disqualified()]
    if seller_id:
        condition.append(Lead.seller_id == seller_id)
    return {
        stage_id: (count, value or 0)
        for stage_id, count, value in db.session.execute(
            select(Lead.stage_id, func.count(), func.sum(Lead.estimated_value))
            .where(*condition).group_by(Lead.stage_id))
    }


def has_stages():
    return db.session.scalar(select(func.count()).select_from(PipelineStage)) > 0


def next_stage(stage, stages):
    """The stage after `stage` in the pipeline's order (open stages lead to the first won stage)."""
    ordered = [s for s in stages if s.active]
    index = next((i for i, s in enumerate(ordered) if s.id == stage.id), None)
    if index is None or stage.kind != "open":
        return None
    return ordered[index + 1] if index + 1 < len(ordered) else None


def sellers():
    return db.session.scalars(select(User).where(User.active, User.role.in_(("owner", "seller")))
                              .order_by(User.name)).all()


def find_customer_by_contact(email=None, phone=None):
    """An existing customer with this email or phone number: the duplicate check for new prospects."""
    conditions = []
    if email:
        conditions.append(func.lower(Customer.email) == email.strip().lower())
    digits = phones.match_digits(phone)
    if len(digits) >= 6:
        conditions.append(Customer.phone_digits.like(f"%{digits}%"))
    if not conditions:
        return None
    return db.session.scalars(select(Customer).where(Customer.archived_at.is_(None), or_(*conditions))
                              .order_by(Customer.id).limit(1)).first()
