"""The home page's numbers: today's follow-ups, the pipeline by stage, this month against its goals, overdue
tickets and the latest satisfaction. The owner sees the shop; a seller sees their own; support sees theirs."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import String, case, cast, func, null, select, union_all
from sqlalchemy.orm import joinedload

from extensions import db
from models import ContactLog, Lead, PipelineStage, Survey, Ticket, User, utcnow
from sales import figures
from sales.agenda import agenda, by_person, due_count_parts, due_counts, due_counts_of
from sales.leads.rules import not_disqualified, visible_to
from sales.leads.stages import ensure_default_stages
from sales.management import metrics
from sales.management.periods import period_of
from sales.management.tables import pipeline_table
from sales.money import Amounts
from sales.operations.jobs import jobs_needing_attention, last_success_part
from sales.support.rules import gap_totals, overdue_condition, visible_tickets
from sales.tally import read_together

SATISFACTION_DAYS = 90


def follow_ups(user, today: date, people=(), counts=None) -> dict:
    """The user's day (sales.agenda: what My day lists, counted the same way) — its first next steps, and for the
    owner how much each person has due, each a link to that person's My day. `people`: users the page has read
    already (the ones named are not read again). `counts`: due_counts() of everyone (the owner) or of the user,
    when the page counted them with its other figures."""
    # The owner's counts and everyone's come from one count of everyone's; only the steps are listed here.
    if counts is None:
        counts = due_counts(today) if user.is_owner else due_counts(today, [user])
    day = agenda(db.session.get(User, user.id), today, counts=counts, lists=("steps",), limit=8)
    return {"day": day, "mine": day.steps, "mine_count": day.total,
            "by_person": by_person(today, counts, people) if user.is_owner else []}


def pipeline(user, period) -> list[dict]:
    """Every stage with its deals and their value: the owner's whole shop, a seller's own.

    Open stages hold the deals in them now, valued at their estimate. Won and lost stages hold the deals closed
    in `period` (not every deal ever closed): won ones at the amount won (the estimate when none was recorded,
    as in Performance), lost ones at their estimate. Values are summed per currency (sales.money.Amounts).
    """
    # A team's manager sees the team's pipeline: the leads records.py lets them see (visible_to) are the team's.
    seller_id = None if user.is_owner or user.is_manager else user.id
    conditions = [visible_to(user)]
    if seller_id:
        conditions.append(Lead.seller_id == seller_id)
    is_open = PipelineStage.kind == "open"
    won = PipelineStage.kind == "won"
    # Open deals have no order yet: their estimates are in the shop's currency (no order looked up for them).
    currency = figures.deal_currency().label("currency")
    value = func.sum(case((won, func.coalesce(Lead.won_amount, Lead.estimated_value)),
                          else_=Lead.estimated_value)).label("value")
    # Open and closed stages as two parts of one statement: together behind an OR, SQLite read every lead
    # (≈ 160 ms at 100 000 leads); apart, the open deals are summed from ix_leads_stage_value and the closed
    # ones found by ix_leads_closed within the period.
    open_part = (select(Lead.stage_id, cast(null(), String).label("currency"), func.count().label("deals"),
                        func.sum(Lead.estimated_value).label("value"))
                 .join(PipelineStage, PipelineStage.id == Lead.stage_id)
                 .where(*conditions, is_open, not_disqualified()).group_by(Lead.stage_id))
    closed_part = (select(Lead.stage_id, currency, func.count().label("deals"), value)
                   .join(PipelineStage, PipelineStage.id == Lead.stage_id)
                   .where(*conditions, ~is_open, Lead.closed_at >= period.starts_at, Lead.closed_at < period.ends_at)
                   .group_by(Lead.stage_id, currency))
    grouped = union_all(open_part, closed_part).subquery()
    # Every stage with its groups (none for an empty stage), in the pipeline's order: the stages are read here.
    rows = db.session.execute(
        select(PipelineStage, grouped.c.currency, grouped.c.deals, grouped.c.value)
        .outerjoin(grouped, grouped.c.stage_id == PipelineStage.id)
        .order_by(PipelineStage.position, PipelineStage.id)).all()
    if not rows:    # a new shop: its default stages are made now, with nothing in them yet
        return [{"stage": stage, "count": 0, "value": Amounts.of(0)} for stage in ensure_default_stages()]
    stages, found = {}, {}
    for stage, deal_currency, count, value in rows:
        stages[stage.id] = stage
        if count:
            before = found.get(stage.id, (0, Amounts()))
            amount = Amounts.of(_cents(value), deal_currency) if deal_currency else Amounts.of(_cents(value))
            found[stage.id] = (before[0] + count, before[1] + amount)
    return [{"stage": stage, "count": found.get(stage.id, (0, Amounts.of(0)))[0],
             "value": found.get(stage.id, (0, Amounts.of(0)))[1]} for stage in stages.values() if stage.active]


def _cents(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def overdue_tickets(user, now, limit=5) -> dict:
    """The first few overdue tickets and how many there are, in one statement. The count is its own subquery
    (read from ix_tickets_status_due alone) and the few rows are picked before their customers are joined: a
    window count over the rows made every overdue ticket's customer be read (30 ms at 8 000 overdue)."""
    overdue = overdue_condition(now)
    how_many = visible_tickets(user, select(func.count()).select_from(Ticket).where(overdue)).scalar_subquery()
    first = visible_tickets(user, select(Ticket.id).where(overdue)).order_by(Ticket.due_at, Ticket.id).limit(limit)
    rows = db.session.execute(select(Ticket, how_many).where(Ticket.id.in_(first.scalar_subquery()))
                              .options(joinedload(Ticket.customer)).order_by(Ticket.due_at, Ticket.id)).all()
    count = rows[0][1] if rows else 0
    return {"count": count, "tickets": [row[0] for row in rows]}


def satisfaction(user, now, limit=3, totals=None) -> dict:
    """`totals`: the last days' gap_totals() when the page counted them with other figures already."""
    since = satisfaction_since(now)
    seller_id = user.id if user.role == "seller" else None
    comments = select(Survey).options(joinedload(Survey.customer)).where(
        Survey.answered_at.is_not(None), Survey.answered_at >= since)
    if seller_id is not None:
        comments = comments.where(Survey.seller_id == seller_id)
    return {"totals": totals or gap_totals(since, seller_id=seller_id), "days": SATISFACTION_DAYS,
            "latest": db.session.scalars(comments.order_by(Survey.answered_at.desc(), Survey.id.desc())
                                         .limit(limit)).all()}


def satisfaction_since(now):
    return now - timedelta(days=SATISFACTION_DAYS)


def dashboard(user, today: date) -> dict:
    now = utcnow()
    from sales.onboarding.rules import dashboard_parts, needs_writing, still_to_do

    sells = user.role in ("owner", "seller")
    period = period_of("month", today)
    # The sellers come with their goals of the month; what is due, the month's new leads and contacts, the
    # first days' checklist and the scheduled jobs' last successes are counted in one statement (sales.tally).
    people, goals = metrics.sellers_and_goals(period, readable_by=user) if sells else ([], None)
    counted = read_together({
        "due": due_count_parts(today, None if user.is_owner else [user]),
        "activity": metrics.activity_parts(period, None if user.is_owner else [person.id for person in people])
        if sells else [],
        "onboarding": dashboard_parts(user),
        "jobs": [last_success_part()] if user.is_owner else []})
    counts = due_counts_of(counted["due"], None if user.is_owner else [user])
    context = {"today": today, "follow_ups": follow_ups(user, today, people, counts),
               "tickets": overdue_tickets(user, now),
               # A new seller is pointed to their first days until they have gone through them; a new shop's
               # owner, to writing that checklist.
               "onboarding": still_to_do(user, counted["onboarding"]),
               "checklist_missing": needs_writing(user, counted["onboarding"])}
    gap_totals_shown = None
    if sells:
        # The owner's board and the shop's total come from one count of the whole shop; the satisfaction of
        # the last days is counted with it.
        window = (satisfaction_since(now), None, user.id if user.role == "seller" else None)
        everyone = metrics.performance(period, None if user.is_owner else [person.id for person in people],
                                       gap_windows=[window], activity=counted["activity"])
        gap_totals_shown = everyone.gap_windows[0]
        board = metrics.goal_progress(period, people, everyone, goals)
        if user.is_owner:
            board = metrics.without_idle_owner(board, lambda entry: entry.seller, lambda entry: bool(entry.goals))
        shop_goals = []
        if user.is_owner:
            shop_goals = metrics.shop_goal_progress(board, metrics.shop_total(period, everyone))
        stages = pipeline(user, period)
        if user.is_owner:
            # A cron job that stopped (or fails) shows only in a log file otherwise: emails stay queued unseen.
            context["stalled_jobs"] = jobs_needing_attention(now, counted["jobs"])
        context.update(period=period, pipeline=stages, pipeline_table=pipeline_table(period, stages), goals=board, shop_goals=shop_goals,
                       expected_share=period.elapsed_share(today))
    context["satisfaction"] = satisfaction(user, now, totals=gap_totals_shown)
    return context
