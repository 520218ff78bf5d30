"""My day, the truth about today: for one person, everything that is theirs to do today or is late —
new web-form leads nobody has contacted yet, next steps, promises made to customers, tickets assigned to them that reach their response time before the day
ends, and (for support and the owner) maintenance visits due and not yet opened as tickets.

The dashboard's counts come from the same conditions (`due_counts`), so "3 due today" on the dashboard is the
three things My day lists. The definitions of "due" are those of sales.figures.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, literal, null, select, union_all
from sqlalchemy.orm import joinedload

from extensions import db
from models import ContactLog, Lead, MaintenancePlan, Order, Promise, Ticket, User
from sales.figures import awaiting_first_contact, promise_due, step_due, step_open
from sales.support.rules import overdue_condition
from sales.tally import read_together

# A list longer than this is a backlog to clear, not a day: the heading still says how many there are, and
# clearing the first ones brings the next. (200 made a seller's page 300 KB and 170 ms with a backlog.)
LIST_LIMIT = 30
KINDS = ("new_leads", "steps", "promises", "tickets", "maintenance")


def _nothing_due():
    return dict.fromkeys(KINDS, 0)


def end_of_day(today: date) -> datetime:
    """The UTC moment the shop's `today` ends (times are stored in UTC, days are the shop's)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
    local = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _steps(today):
    return step_due(today)


def _tickets_due(today):
    return overdue_condition(end_of_day(today))


def _maintenance_due(today):
    return (MaintenancePlan.active.is_(True)) & (MaintenancePlan.next_due_on <= today)


def sees_maintenance(person: User) -> bool:
    return person.role in ("owner", "support")


@dataclass
class Agenda:
    person: User
    today: date
    new_leads: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    promises: list = field(default_factory=list)
    tickets: list = field(default_factory=list)
    maintenance: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    overdue_count: int = 0     # of the steps, how many are late and how many due today (each list is capped)
    today_count: int = 0

    @property
    def overdue_steps(self):
        return [s for s in self.steps if s.next_step_due < self.today]

    @property
    def steps_today(self):
        return [s for s in self.steps if s.next_step_due == self.today]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def empty(self) -> bool:
        return not self.total


def agenda(person: User, today: date, counts: Optional[dict] = None, lists=KINDS, limit=LIST_LIMIT) -> Agenda:
    """Everything due for `person` by the end of `today`, oldest first, each list with its full count.
    `counts`: due_counts() of everyone, when the page has them already (the owner's dashboard). `lists`: the
    kinds whose rows the page lists (the others are only counted), at most `limit` of each."""
    found = Agenda(person, today)
    counts = due_counts(today, [person]) if counts is None else counts
    found.counts = counts.get(person.id, _nothing_due())

    def rows(kind, statement, *order):
        # Counted first, so a kind with nothing due costs no statement (and none walks a table to find nothing).
        if kind in lists and found.counts[kind]:
            setattr(found, kind, db.session.scalars(statement.order_by(*order).limit(limit)).all())

    rows("new_leads", select(Lead).options(joinedload(Lead.customer))
         .where(Lead.seller_id == person.id, awaiting_first_contact()), Lead.created_at, Lead.id)
    if "steps" in lists and found.counts["steps"]:
        _step_rows(found, person, today, limit)
    found.overdue_count = max(0, found.counts["steps"] - found.today_count)
    rows("promises", select(Promise).options(joinedload(Promise.order).joinedload(Order.customer))
         .where(Promise.seller_id == person.id, promise_due(today)), Promise.due_on, Promise.id)
    rows("tickets", select(Ticket).options(joinedload(Ticket.customer))
         .where(Ticket.assignee_id == person.id, _tickets_due(today)), Ticket.due_at, Ticket.id)
    if sees_maintenance(person):
        rows("maintenance", select(MaintenancePlan).options(joinedload(MaintenancePlan.customer))
             .where(_maintenance_due(today)), MaintenancePlan.next_due_on, MaintenancePlan.id)
    return found


def _step_rows(found: Agenda, person: User, today: date, limit: int) -> None:
    """The first `limit` late steps and the first `limit` due today, in one statement: a backlog of late ones
    must not push today's off the page. Each half is a walk of ix_contact_logs_next_step that stops at `limit`;
    how many are due today comes with the rows (a count over the index alone), how many are late from the day's
    total."""
    mine = ContactLog.user_id == person.id
    due_today = and_(mine, step_open(), ContactLog.next_step_due == today)
    late = (select(ContactLog.id).where(mine, step_open(), ContactLog.next_step_due < today)
            .order_by(ContactLog.next_step_due, ContactLog.id).limit(limit).subquery())
    first_today = select(ContactLog.id).where(due_today).order_by(ContactLog.id).limit(limit).subquery()
    shown = union_all(select(late.c.id), select(first_today.c.id))
    today_count = select(func.count()).select_from(ContactLog).where(due_today).scalar_subquery()
    rows = db.session.execute(select(ContactLog, today_count).where(ContactLog.id.in_(shown))
                              .options(joinedload(ContactLog.customer), joinedload(ContactLog.lead))
                              .order_by(ContactLog.next_step_due, ContactLog.id)).all()
    found.steps = [row[0] for row in rows]
    found.today_count = rows[0][1] if rows else 0


def due_counts(today: date, people: Optional[list] = None) -> dict[int, dict[str, int]]:
    """{person id: {"new_leads": n, "steps": n, "promises": n, "tickets": n, "maintenance": n}} for everyone with
    something due (or for `people`): the same conditions as agenda(), counted in five GROUP BYs joined by UNION
    ALL — one statement, or part of a page's (due_count_parts, read with sales.tally)."""
    return due_counts_of(read_together({"due": due_count_parts(today, people)})["due"], people)


def due_count_parts(today: date, people: Optional[list] = None) -> list:
    """due_counts()'s GROUP BYs, one per kind, each (kind, person id, count)."""
    ids = [person.id for person in people] if people is not None else None

    def grouped(kind, column, condition):
        statement = select(literal(kind).label("kind"), column.label("person_id"),
                           func.count().label("n")).where(condition).group_by(column)
        return statement.where(column.in_(ids)) if ids is not None else statement

    return [grouped("new_leads", Lead.seller_id, awaiting_first_contact()),
            grouped("steps", ContactLog.user_id, _steps(today)),
            grouped("promises", Promise.seller_id, promise_due(today)),
            grouped("tickets", Ticket.assignee_id, _tickets_due(today)),
            select(literal("maintenance"), null(), func.count()).select_from(MaintenancePlan)
            .where(_maintenance_due(today))]


def due_counts_of(rows, people: Optional[list] = None) -> dict[int, dict[str, int]]:
    """due_counts() from the rows its parts gave."""
    ids = [person.id for person in people] if people is not None else None
    result: dict[int, dict[str, int]] = {}
    plans = 0
    for kind, person_id, count, *_ in rows:
        if kind == "maintenance":
            plans = count
        elif person_id is not None:
            result.setdefault(person_id, _nothing_due())[kind] = count
    if plans:
        watchers = select(User.id).where(User.active, User.role.in_(("owner", "support")))
        if ids is not None:
            watchers = watchers.where(User.id.in_(ids))
        for person_id in db.session.scalars(watchers).all():
            result.setdefault(person_id, _nothing_due())["maintenance"] = plans
    for person_id in ids or ():
        result.setdefault(person_id, _nothing_due())
    return result


def due_totals(counts: dict) -> dict[int, int]:
    """{person id: how much is due} of due_counts(), for those with something due."""
    return {person_id: sum(kinds.values()) for person_id, kinds in counts.items() if sum(kinds.values())}


def by_person(today: date, counts: Optional[dict] = None, people=()) -> list[tuple[User, int]]:
    """Everyone with something due by the end of today, and how much: the most first. `people`: users the page
    has loaded already (only the others are read)."""
    totals = due_totals(due_counts(today) if counts is None else counts)
    if not totals:
        return []
    known = {person.id: person for person in people if person.id in totals}
    missing = [person_id for person_id in totals if person_id not in known]
    if missing:
        known.update((person.id, person) for person in db.session.scalars(select(User).where(User.id.in_(missing))))
    rows = [(person, totals[person.id]) for person in known.values()]
    return sorted([row for row in rows if row[1]], key=lambda row: (-row[1], row[0].name, row[0].id))


def people_with_a_day() -> list[User]:
    """The people whose day the owner may open: everyone active."""
    return db.session.scalars(select(User).where(User.active).order_by(User.name, User.id)).all()
