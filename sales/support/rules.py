"""After-sale rules: warranty, SLA, ticket workflow, maintenance plans, promises and the satisfaction gap.

Plain functions with no request in sight; the views read input, call these, and render.
"""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Optional

from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, null, or_, select, union_all
from sqlalchemy.orm import selectinload

from extensions import db
from sales import records, storage
from sales.claims import claim
from sales.search import contains
from sales.clock import shop_date
from sales.languages import shop_language
from sales.money import totals_by_currency
from sales.search_index import matching
from models import (OPEN_TICKET_STATUSES, TICKET_PRIORITIES, Attachment, Branch, Customer, MaintenancePlan, Order,
                    OrderLine, Product, Promise, ShopSetting, Survey, Team, Ticket, TicketMessage, User, utcnow)

# --- Warranty ----------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when that month is shorter (31 Jan + 1 → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def warranty_ends_on(sold_on: date, months: int) -> date:
    """The last day covered: the day before the same date `months` later (sold 15 Mar 2024 with 24 months →
    covered through 14 Mar 2026). When that date does not exist, the last day of that month is covered."""
    same_day_later = add_months(sold_on, months)
    if same_day_later.day < sold_on.day:  # clamped: 31 Jan + 1 month has no 31 Feb
        return same_day_later
    return same_day_later - timedelta(days=1)


@dataclass(frozen=True)
class WarrantyDecision:
    covered: bool
    reason: str                        # in_warranty, expired, no_warranty, no_sale, override
    ends_on: Optional[date] = None
    override_reason: Optional[str] = None

    @property
    def label(self):
        return WARRANTY_LABELS["covered" if self.covered else "billable"]


WARRANTY_LABELS = {"covered": _l("Covered by warranty"), "billable": _l("Billable")}
WARRANTY_REASONS = {
    "in_warranty": _l("Under warranty until %(date)s."),
    "expired": _l("The warranty ended on %(date)s."),
    "no_warranty": _l("This product was sold without a warranty."),
    "no_sale": _l("No sale is recorded for this ticket, so no warranty applies."),
    "override": _l("Decided by hand: %(reason)s"),
}


def warranty_decision(sold_on: Optional[date], months: Optional[int], on_date: date) -> WarrantyDecision:
    """Covered when `on_date` falls on or before the warranty's last day."""
    if sold_on is None:
        return WarrantyDecision(False, "no_sale")
    if not months:
        return WarrantyDecision(False, "no_warranty")
    ends_on = warranty_ends_on(sold_on, months)
    if on_date <= ends_on:
        return WarrantyDecision(True, "in_warranty", ends_on)
    return WarrantyDecision(False, "expired", ends_on)


def ticket_warranty(ticket: Ticket) -> WarrantyDecision:
    """The warranty as it stood the day the ticket was opened, unless a person overrode it."""
    line = ticket.order_line
    computed = warranty_decision(line.order.ordered_on if line else None, line.warranty_months if line else None,
                                 shop_date(ticket.created_at or utcnow()))
    if ticket.warranty_override:
        return WarrantyDecision(ticket.warranty_override == "covered", "override", computed.ends_on,
                                ticket.warranty_override_reason)
    return computed


def warranty_reason_text(decision: WarrantyDecision, format_date) -> str:
    if decision.reason == "override":
        return str(WARRANTY_REASONS["override"]) % {"reason": decision.override_reason}
    return str(WARRANTY_REASONS[decision.reason]) % {"date": format_date(decision.ends_on) if decision.ends_on
                                                     else ""}


def override_warranty(ticket: Ticket, decision: Optional[str], reason: Optional[str]) -> None:
    """`decision` is "covered", "billable", or None to go back to what the sale says. A reason is required."""
    if decision and not (reason or "").strip():
        raise TicketRuleError(_l("Say why the warranty decision is changed."))
    ticket.warranty_override = decision or None
    ticket.warranty_override_reason = (reason or "").strip() or None if decision else None


# --- SLA -----------------------------------------------------------------------------------------------------

DEFAULT_SLA_HOURS = {"urgent": 4, "high": 24, "normal": 72, "low": 168}


def sla_setting_key(priority: str) -> str:
    return f"support.sla_hours.{priority}"


def sla_hours() -> dict[str, int]:
    """Hours to resolve a ticket, per priority, as the owner set them (else the defaults)."""
    hours = {}
    for priority in TICKET_PRIORITIES:
        try:
            hours[priority] = int(ShopSetting.get(sla_setting_key(priority), DEFAULT_SLA_HOURS[priority]))
        except (TypeError, ValueError):
            hours[priority] = DEFAULT_SLA_HOURS[priority]
    return hours


def save_sla_hours(hours: dict[str, int]) -> None:
    for priority in TICKET_PRIORITIES:
        ShopSetting.put(sla_setting_key(priority), str(int(hours[priority])),
                        default=str(DEFAULT_SLA_HOURS[priority]))


def due_at_for(opened_at: datetime, priority: str, hours: Optional[dict] = None) -> datetime:
    """Calendar hours: a shop that answers on Saturday counts Saturday."""
    hours = hours or sla_hours()
    return opened_at + timedelta(hours=hours[priority])


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """Past its due time and still ours to act on. At the due minute itself it is not late yet."""
    return ticket.status in ("new", "in_progress") and now > ticket.due_at


def overdue_condition(now: datetime):
    """The same rule as is_overdue(), as SQL for the list pages."""
    return Ticket.status.in_(("new", "in_progress")) & (Ticket.due_at < now)


# --- Tickets -----------------------------------------------------------------------------------------------


class TicketRuleError(ValueError):
    """A change the after-sale rules refuse; its message says why, for the person who tried it."""


def may_see_ticket(user, ticket: Ticket) -> bool:
    """Owner and support see every ticket; a seller those of the customers they look after or sold to
    (the rule lives in sales/records.py)."""
    return records.may_view(user, ticket)


def visible_tickets(user, statement):
    return statement.where(records.visible(Ticket, user))


TICKET_VIEWS = ("open", "overdue", "mine", "closed", "all")


def ticket_statement(user, view="open", kind=None, text="", now=None):
    """The ticket list: overdue first, then by due time."""
    now = now or utcnow()
    statement = (select(Ticket)
                 .options(selectinload(Ticket.customer), selectinload(Ticket.assignee),
                          selectinload(Ticket.order_line).selectinload(OrderLine.product)))
    if view == "open":
        statement = statement.where(Ticket.status.in_(OPEN_TICKET_STATUSES))
    elif view == "overdue":
        statement = statement.where(overdue_condition(now))
    elif view == "mine":
        statement = statement.where(Ticket.assignee_id == user.id, Ticket.status.in_(OPEN_TICKET_STATUSES))
    elif view == "closed":
        statement = statement.where(Ticket.status.in_(("resolved", "closed")))
    if kind:
        statement = statement.where(Ticket.kind == kind)
    tickets, customers = matching("ticket", text), matching("customer", text)
    if tickets is not None:
        # Number ("T-00042" or 42), title, serial number, or the customer's name.
        statement = statement.where(or_(Ticket.id.in_(tickets), Ticket.customer_id.in_(customers)))
    statement = visible_tickets(user, statement)
    late_first = case((overdue_condition(now), 0), else_=1)
    if view == "closed":
        return statement.order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    return statement.order_by(late_first, Ticket.due_at, Ticket.id)


def open_ticket(customer: Customer, *, title: str, kind: str = "repair", priority: str = "normal",
                order_line: Optional[OrderLine] = None, serial_number: Optional[str] = None,
                description: Optional[str] = None, assignee_id: Optional[int] = None,
                now: Optional[datetime] = None) -> Ticket:
    now = now or utcnow()
    ticket = Ticket(customer=customer, title=title, kind=kind, priority=priority, order_line=order_line,
                    serial_number=serial_number or (order_line.serial_number if order_line else None),
                    description=description, assignee_id=assignee_id, status="new", created_at=now,
                    due_at=due_at_for(now, priority))
    db.session.add(ticket)
    return ticket


def change_priority(ticket: Ticket, priority: str) -> None:
    if priority != ticket.priority:
        waited = _time_waited(ticket)
        ticket.priority = priority
        ticket.due_at = due_at_for(ticket.created_at, priority) + waited


def _time_waited(ticket: Ticket) -> timedelta:
    # How far due_at was already pushed by earlier waits: what it is now minus what the SLA alone gives.
    return max(timedelta(0), ticket.due_at - due_at_for(ticket.created_at, ticket.priority)) \
        if ticket.due_at and ticket.created_at else timedelta(0)


def change_status(ticket: Ticket, status: str, now: Optional[datetime] = None) -> Optional[Survey]:
    """Move a ticket along; returns the survey to send when the ticket is closed."""
    now = now or utcnow()
    if status == ticket.status:
        return None
    if status in ("resolved", "closed") and ticket.kind == "complaint" and not ticket.root_cause:
        raise TicketRuleError(_l("A complaint needs its root cause before it is resolved."))
    if ticket.status == "waiting_customer" and ticket.waiting_since:
        # The clock stood still while the customer had the ball.
        ticket.due_at = ticket.due_at + (now - ticket.waiting_since)
        ticket.waiting_since = None
    if status == "waiting_customer":
        ticket.waiting_since = now
    if status in ("resolved", "closed"):
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
    ticket.closed_at = now if status == "closed" else None
    ticket.status = status
    if status == "closed":
        return survey_for_ticket(ticket)
    return None


def add_message(ticket: Ticket, body: str, *, public: bool, author_id: Optional[int] = None,
                from_customer: bool = False, now: Optional[datetime] = None) -> TicketMessage:
    message = TicketMessage(ticket=ticket, body=body.strip(), is_public=public or from_customer,
                            author_id=author_id, from_customer=from_customer, created_at=now or utcnow())
    db.session.add(message)
    if from_customer and ticket.status in ("waiting_customer", "resolved"):
        # The customer answered (or says it is not fixed): the ball is back in our court.
        change_status(ticket, "in_progress", now)
    return message


def public_messages(ticket: Ticket) -> list[TicketMessage]:
    """What the customer's link shows: replies to them and their own messages, never internal notes."""
    return db.session.scalars(select(TicketMessage).options(selectinload(TicketMessage.author))
                              .where(TicketMessage.ticket_id == ticket.id, TicketMessage.is_public)
                              .order_by(TicketMessage.created_at, TicketMessage.id)).all()


def sold_lines(customer_id: int, user) -> list[OrderLine]:
    """What the customer bought that `user` may see, newest sale first: the products a ticket can be about (a
    seller picks among their own sales; another seller's sale is not theirs to name)."""
    return db.session.scalars(
        select(OrderLine).join(Order).options(selectinload(OrderLine.order), selectinload(OrderLine.product))
        .where(Order.customer_id == customer_id, records.visible(Order, user))
        .order_by(Order.ordered_on.desc(), OrderLine.order_id.desc(), OrderLine.position)
    ).all()


def support_staff() -> list[User]:
    """Who can be assigned a ticket: support people and sellers (and the owner)."""
    return db.session.scalars(select(User).where(User.active).order_by(User.name)).all()


# --- Billable work -----------------------------------------------------------------------------------------


def quote_lines_for(ticket: Ticket) -> list[dict]:
    """FOR THE QUOTATIONS BLUEPRINT: the lines a quote for this ticket's billable work needs (parts and labour).

    Empty while the work is covered by the warranty: covered work is not charged.
    """
    if ticket_warranty(ticket).covered:
        return []
    return [{"kind": charge.kind, "product_id": charge.product_id, "description": charge.description,
             "quantity": charge.quantity, "unit_price": charge.unit_price, "tax_rate": charge.tax_rate}
            for charge in ticket.charges]


def charges_total(ticket: Ticket) -> Decimal:
    return sum((charge.total for charge in ticket.charges), Decimal("0.00"))


def charges_totals(ticket: Ticket) -> list[tuple[str, Decimal]]:
    """[(currency, total)] of a ticket's charges: one line, unless the shop changed currency in between."""
    return totals_by_currency((charge.currency, charge.total) for charge in ticket.charges)


# --- Photos ------------------------------------------------------------------------------------------------

MAX_PHOTO_BYTES = 8 * storage.MB
attachments_folder = storage.attachments_folder   # where sales/storage.py keeps the files (tests use it)


def photo_type(head: bytes) -> Optional[tuple[str, str]]:
    """(content type, extension) from the file's first bytes, whatever its name claims; None if not a photo."""
    content_type = storage.sniff(head)
    return (content_type, storage.EXTENSIONS[content_type]) if content_type in storage.IMAGE_TYPES else None


def save_photo(ticket: Ticket, stream, original_name: Optional[str], uploaded_by_id: Optional[int] = None
               ) -> Attachment:
    """Check a photo by its content and size, clean it, store it under a generated name, and record it."""
    try:
        photo = storage.accept(
            stream, original_name, types=storage.IMAGE_TYPES, max_bytes=MAX_PHOTO_BYTES,
            empty=_l("Choose a photo to attach."),
            too_large=_l("This photo is larger than %(mb)d MB. Take it at a lower resolution and try again.",
                         mb=MAX_PHOTO_BYTES // storage.MB),
            wrong_type=_l("This file is not a photo. Attach a JPEG, PNG, WebP or HEIC picture."))
        stored_name = storage.files().put(photo.data, photo.extension)
    except storage.Refused as refused:
        raise TicketRuleError(refused.args[0]) from None
    attachment = Attachment(ticket=ticket, stored_name=stored_name, content_type=photo.content_type,
                            size=len(photo.data), original_name=photo.original_name, uploaded_by_id=uploaded_by_id)
    db.session.add(attachment)
    return attachment


# --- Scheduled maintenance ---------------------------------------------------------------------------------


def create_due_maintenance_tickets(today: date, now: Optional[datetime] = None) -> list[Ticket]:
    """One maintenance ticket per active plan that is due, then the plan moves to its next date. Commits.

    Each plan is claimed (sales/claims.py), given its ticket and moved on in one transaction of its own: the
    claim's row lock is held until that commit, so two runs at once (two servers' cron) take different plans, and
    a run killed half-way leaves each plan either done or untouched. Nothing here leaves the database, so the
    claim needs no lease. Idempotent: a second run the same day finds no plan due (and the unique index on plan +
    date backs it up). A plan many periods behind gets one ticket, not one per missed period.
    """
    now = now or utcnow()
    due = and_(MaintenancePlan.active, MaintenancePlan.next_due_on <= today)
    created = []
    while True:
        # The claim is a change of the plan (its version moves on): someone saving the plan meanwhile is told.
        ids = claim(MaintenancePlan, due, (MaintenancePlan.next_due_on, MaintenancePlan.id),
                    values={"version": MaintenancePlan.version + 1})
        if not ids:
            break
        plan = db.session.get(MaintenancePlan, ids[0], populate_existing=True)
        exists = db.session.scalar(select(Ticket.id).where(Ticket.maintenance_plan_id == plan.id,
                                                           Ticket.maintenance_due_on == plan.next_due_on))
        if exists is None:
            line = plan.order_line
            # The title is the staff's to edit afterwards, like one typed: so it is plain text, written in the
            # shop's language (not the language of whoever ran the job), rather than a msgid shown per reader.
            with force_locale(shop_language()):
                what = line.description if line else _("maintenance")
                title = _("Scheduled maintenance: %(what)s", what=what)[:200]
            ticket = open_ticket(plan.customer, title=title,
                                 kind="maintenance", priority="normal", order_line=line,
                                 description=plan.notes, now=now)
            ticket.maintenance_plan_id = plan.id
            ticket.maintenance_due_on = plan.next_due_on
            created.append(ticket)
        while plan.next_due_on <= today:
            plan.next_due_on = add_months(plan.next_due_on, plan.every_months)
        db.session.commit()
    return created


def remind_customers(tickets: list[Ticket], user_id: Optional[int] = None) -> int:
    """Queue the reminder email (with the care instructions) of each maintenance ticket whose customer has an
    address; returns how many. Needs a request context for the links (the cron job makes one)."""
    from sales.messaging.emails import maintenance_email

    queued = 0
    for ticket in tickets:
        if ticket.customer.email:
            maintenance_email(ticket, user_id)
            queued += 1
    return queued


def maintenance_due_soon(user, today: date, days: int = 30, limit: int = 200) -> list[MaintenancePlan]:
    """The plans due within `days` that `user` may see (a seller: those of their customers and sales)."""
    return db.session.scalars(
        select(MaintenancePlan)
        .options(selectinload(MaintenancePlan.customer),
                 selectinload(MaintenancePlan.order_line).selectinload(OrderLine.product))
        .where(MaintenancePlan.active, MaintenancePlan.next_due_on <= today + timedelta(days=days),
               records.visible(MaintenancePlan, user))
        .order_by(MaintenancePlan.next_due_on, MaintenancePlan.id).limit(limit)
    ).all()


# --- Follow-up promises ------------------------------------------------------------------------------------


def open_promises(user, limit: int = 200) -> list[Promise]:
    statement = (select(Promise).options(selectinload(Promise.order).selectinload(Order.customer),
                                         selectinload(Promise.seller))
                 .where(Promise.done_at.is_(None), records.visible(Promise, user))
                 .order_by(Promise.due_on, Promise.id).limit(limit))
    return db.session.scalars(statement).all()


def customer_orders(customer_id: int) -> list[Order]:
    return db.session.scalars(select(Order).where(Order.customer_id == customer_id)
                              .order_by(Order.ordered_on.desc(), Order.id.desc())).all()


# --- Satisfaction ------------------------------------------------------------------------------------------


def survey_for_ticket(ticket: Ticket) -> Survey:
    """The survey sent when a ticket closes (one per ticket; closing again reuses it)."""
    existing = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id)) if ticket.id else None
    if existing:
        return existing
    line = ticket.order_line
    seller_id = (line.order.seller_id if line else None) or ticket.customer.owner_id
    survey = Survey(customer_id=ticket.customer_id, ticket=ticket, ticket_kind=ticket.kind,
                    product_id=line.product_id if line else None, seller_id=seller_id)
    db.session.add(survey)
    return survey


def survey_for_delivered_order(order: Order) -> Survey:
    """FOR THE QUOTATIONS/ORDERS BLUEPRINT: call when an order is delivered. One survey per order.

    The survey is about the order's main product: its most valuable line.
    """
    existing = db.session.scalar(select(Survey).where(Survey.order_id == order.id)) if order.id else None
    if existing:
        return existing
    main = max(order.lines, key=lambda line: line.line_total or 0, default=None)
    survey = Survey(customer_id=order.customer_id, order=order, seller_id=order.seller_id,
                    product_id=main.product_id if main else None, ticket_kind=None)
    db.session.add(survey)
    return survey


def answer_survey(survey: Survey, *, expectation: int, experience: int, csat: int, nps: int,
                  comment: Optional[str] = None, now: Optional[datetime] = None) -> None:
    if survey.answered_at is not None:
        raise TicketRuleError(_l("This survey was answered already. Thank you!"))
    survey.expectation, survey.experience, survey.csat, survey.nps = expectation, experience, csat, nps
    survey.comment = (comment or "").strip() or None
    survey.answered_at = now or utcnow()


REPORT_GROUPS = ("product", "seller", "team", "branch", "kind")


def _aggregates():
    answers = func.count(Survey.id)
    promoters = func.sum(case((Survey.nps >= 9, 1), else_=0))
    detractors = func.sum(case((Survey.nps <= 6, 1), else_=0))
    return (
        answers.label("answers"),
        func.avg(Survey.expectation * 1.0).label("expectation"),
        func.avg(Survey.experience * 1.0).label("experience"),
        func.avg((Survey.experience - Survey.expectation) * 1.0).label("gap"),
        func.avg(Survey.csat * 1.0).label("csat"),
        # NPS: % promoters (9–10) minus % detractors (0–6).
        ((promoters - detractors) * 100.0 / func.count(Survey.nps)).label("nps"),
    )


def _answered_between(statement, since: Optional[datetime], until: Optional[datetime]):
    statement = statement.where(Survey.answered_at.is_not(None))
    if since:
        statement = statement.where(Survey.answered_at >= since)
    if until:
        statement = statement.where(Survey.answered_at < until)
    return statement


def gap_report(group: str, since: Optional[datetime] = None, until: Optional[datetime] = None) -> list[dict]:
    """Answered surveys grouped by product, seller, the seller's team or branch (the sales force's structure), or
    ticket type; worst gap first. One SQL query. Surveys of no seller, team or branch make a row of their own, so
    the rows always hold every answer."""
    return gap_report_with_totals(group, since, until)[0]


def gap_report_with_totals(group: str, since: Optional[datetime] = None, until: Optional[datetime] = None,
                           windows=()) -> tuple[list[dict], list[dict]]:
    """gap_report(), and gap_totals(*window) for each (since, until, seller_id) of `windows`, in one statement
    (the report's GROUP BY and one row per window, joined by UNION ALL)."""
    if group == "product":
        key, label = Survey.product_id, Product.name
        statement = select(key, label, *_aggregates()).outerjoin(Product, Product.id == Survey.product_id)
    elif group == "seller":
        key, label = Survey.seller_id, User.name
        statement = select(key, label, *_aggregates()).outerjoin(User, User.id == Survey.seller_id)
    elif group in ("team", "branch"):
        key, label = (Team.id, Team.name) if group == "team" else (Branch.id, Branch.name)
        statement = (select(key, label, *_aggregates()).outerjoin(User, User.id == Survey.seller_id)
                     .outerjoin(Team, Team.id == User.team_id))
        if group == "branch":
            statement = statement.outerjoin(Branch, Branch.id == Team.branch_id)
    else:
        key = label = Survey.ticket_kind
        statement = select(key, label, *_aggregates())
    statement = _answered_between(statement, since, until).group_by(key, label)
    if not windows:
        rows = db.session.execute(statement.order_by("gap", label)).all()
        return [_report_row(row._mapping, key=row[0], label=row[1]) for row in rows], []
    parts = [statement.add_columns(literal(0).label("part"))]
    for n, window in enumerate(windows, start=1):
        parts.append(_totals_statement(*window, columns=(null(), null())).add_columns(literal(n)))
    report, totals = [], [None] * len(windows)
    compound = union_all(*parts).subquery()
    columns = list(compound.c)
    for row in db.session.execute(select(compound).order_by(compound.c.part, compound.c.gap, columns[1])):
        if row.part:
            totals[row.part - 1] = _report_row(row._mapping)
        else:
            report.append(_report_row(row._mapping, key=row[0], label=row[1]))
    return report, totals


def _totals_statement(since=None, until=None, seller_id=None, columns=()):
    statement = _answered_between(select(*columns, *_aggregates()), since, until)
    return statement.where(Survey.seller_id == seller_id) if seller_id is not None else statement


def gap_totals(since: Optional[datetime] = None, until: Optional[datetime] = None,
               seller_id: Optional[int] = None) -> dict:
    return _report_row(db.session.execute(_totals_statement(since, until, seller_id)).one()._mapping)


def _report_row(values, key=None, label=None) -> dict:
    as_number = lambda v: round(float(v), 2) if v is not None else None  # noqa: E731
    return {"key": key, "label": label, "answers": values["answers"],
            "expectation": as_number(values["expectation"]), "experience": as_number(values["experience"]),
            "gap": as_number(values["gap"]), "csat": as_number(values["csat"]), "nps": as_number(values["nps"])}


def complaints_by_root_cause(since: Optional[datetime] = None,
                             until: Optional[datetime] = None) -> list[tuple[Optional[str], int, int]]:
    """(root cause, complaints, still open) of the complaints opened in the period — what keeps going wrong."""
    still_open = func.sum(case((Ticket.status.in_(OPEN_TICKET_STATUSES), 1), else_=0))
    statement = select(Ticket.root_cause, func.count(), still_open).where(Ticket.kind == "complaint")
    if since:
        statement = statement.where(Ticket.created_at >= since)
    if until:
        statement = statement.where(Ticket.created_at < until)
    return db.session.execute(
        statement.group_by(Ticket.root_cause).order_by(func.count().desc(), Ticket.root_cause)).all()
