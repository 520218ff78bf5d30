"""Reporting periods, as half-open date ranges, each named by a key that goes in the URL (?period=…):

- a month "2026-11", a quarter "2026-Q4", a year "2026";
- all time "all" (everything the shop ever recorded);
- a free range "2026-01-15..2026-03-31" (both days included; the form sends it as ?from=…&to=…).

Every report reads its period through `from_request`, so they all offer the same choices, and `years()` lists
every year that has data (imported history included), so no year is out of reach.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

from flask_babel import format_date
from flask_babel import gettext as _

from sales.clock import start_of_day

KINDS = ("month", "quarter", "year", "all", "range")
STEPPED_KINDS = ("month", "quarter", "year")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
FIRST_YEAR, LAST_YEAR = 1970, 2100
# "All time" as a range every date the shop can hold falls in, so the queries stay the same plain comparisons.
ALL_START, ALL_END = date(FIRST_YEAR, 1, 1), date(LAST_YEAR + 1, 1, 1)
MONTHS_OF = {"month": 1, "quarter": 3, "year": 12}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date   # first day, included
    end: date     # the day after the last one: periods are half-open, so months need no "31st" logic

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "all":
            return "all"
        return f"{self.start.isoformat()}..{self.last_day.isoformat()}"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def starts_at(self) -> datetime:
        """The stored (UTC) moment the period begins on the shop's calendar: midnight in the shop's zone."""
        return start_of_day(self.start)

    @property
    def ends_at(self) -> datetime:
        return start_of_day(self.end)

    @property
    def steps(self) -> bool:
        """Whether ‹ › lead anywhere: all time has no neighbours."""
        return self.kind != "all"

    def shifted(self, steps: int) -> "Period":
        """The period `steps` before (negative) or after: the same length of calendar, or of days for a range."""
        if self.kind in MONTHS_OF:
            start = _add_months(self.start, steps * MONTHS_OF[self.kind])
            return Period(self.kind, start, _add_months(start, MONTHS_OF[self.kind]))
        if self.kind == "range":
            offset = timedelta(days=steps * self.days)
            start, end = self.start + offset, self.end + offset
            if start < ALL_START or end > ALL_END:
                return self
            return Period("range", start, end)
        return self

    @property
    def previous(self) -> "Period":
        return self.shifted(-1)

    @property
    def next(self) -> "Period":
        return self.shifted(1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def months_in(self, first: Optional[date] = None, last: Optional[date] = None) -> list["Period"]:
        """The calendar months this period touches (for all time: from `first` to `last`, the data's span)."""
        start = max(self.start, first) if first else self.start
        stop = min(self.last_day, last) if last else self.last_day
        months, month = [], period_of("month", start)
        while month.start <= stop:
            months.append(month)
            month = month.next
        return months

    def elapsed_share(self, today: date) -> float:
        """How much of the period has gone by (0–1): where progress "should" be today."""
        if today < self.start:
            return 0.0
        if today >= self.end:
            return 1.0
        return ((today - self.start).days + 1) / (self.end - self.start).days

    @property
    def label(self) -> str:
        if self.kind == "month":
            return format_date(self.start, "LLLL y")
        if self.kind == "quarter":
            return _("Q%(quarter)s %(year)s", quarter=(self.start.month - 1) // 3 + 1, year=self.start.year)
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "all":
            return _("All time")
        return _("%(first)s – %(last)s", first=format_date(self.start, "medium"),
                 last=format_date(self.last_day, "medium"))


def period_of(kind: str, day: date) -> Period:
    """The month, quarter or year that holds `day` (all time for "all")."""
    if kind == "all":
        return ALL_TIME
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    elif kind == "year":
        start = date(day.year, 1, 1)
    else:
        kind, start = "month", date(day.year, day.month, 1)
    return Period(kind, start, _add_months(start, MONTHS_OF[kind]))


ALL_TIME = Period("all", ALL_START, ALL_END)


def date_range(first: date, last: date) -> Optional[Period]:
    """The free range from `first` to `last`, both included (given backwards, it is turned round)."""
    first, last = min(first, last), max(first, last)
    if first < ALL_START or last >= ALL_END:
        return None
    return Period("range", first, last + timedelta(days=1))


def _day(text) -> Optional[date]:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def parse(key: Optional[str], today: Optional[date] = None) -> Optional[Period]:
    """The period a key names, or None when it names none."""
    key = (key or "").strip()
    if key == "all":
        return ALL_TIME
    match = _RANGE.match(key)
    if match:
        first, last = _day(match.group(1)), _day(match.group(2))
        return date_range(first, last) if first and last else None
    for pattern, kind in ((_MONTH, "month"), (_QUARTER, "quarter"), (_YEAR, "year")):
        match = pattern.match(key)
        if not match:
            continue
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            return None
        if kind == "month":
            month = int(match.group(2))
            return period_of("month", date(year, month, 1)) if 1 <= month <= 12 else None
        if kind == "quarter":
            return period_of("quarter", date(year, (int(match.group(2)) - 1) * 3 + 1, 1))
        return period_of("year", date(year, 1, 1))
    return None


def from_request(args, today: date, default_kind: str = "month") -> Period:
    """?period=2026-11 (2026-Q4, 2026, all, 2026-01-15..2026-03-31); or ?from=…&to=… (a free range, one of
    them alone meaning from that day on / up to that day); ?kind=quarter alone means the current quarter."""
    period = parse(args.get("period"))
    if period is not None:
        return period
    first, last = _day(args.get("from")), _day(args.get("to"))
    if first or last:
        period = date_range(first or ALL_START, last or today)
        if period is not None:
            return period
    kind = args.get("kind")
    return period_of(kind if kind in KINDS and kind != "range" else default_kind, today)


# Dates that say a year has data: imported history reaches back as far as its oldest row.
def _data_dates():
    from models import ContactLog, Lead, Order, Survey

    return (Lead.created_at, Lead.closed_at, Order.ordered_on, ContactLog.happened_at, Survey.answered_at)


def data_span(today: date) -> tuple[date, date]:
    """The first and last day anything was recorded (today when there is nothing)."""
    from sqlalchemy import func, select

    from extensions import db

    firsts, lasts = [today], [today]
    # Every table's first and last date in one statement (each min/max walks its own index).
    bounds = db.session.execute(select(*[select(edge(column)).scalar_subquery()
                                         for column in _data_dates() for edge in (func.min, func.max)])).one()
    for first, last in zip(bounds[0::2], bounds[1::2]):
        for value, into in ((first, firsts), (last, lasts)):
            if value is not None:
                into.append(value.date() if isinstance(value, datetime) else value)
    return max(min(firsts), ALL_START), min(max(lasts), ALL_END - timedelta(days=1))


def years(today: date) -> list[int]:
    """Every year from the oldest data to this year (or the newest data), newest first."""
    first, last = data_span(today)
    return list(range(max(last.year, today.year), first.year - 1, -1))


def choices(period: Period, today: date) -> list[tuple[str, list[tuple[str, str]]]]:
    """The period picker's options in groups: the months and quarters of the year shown, every year with
    data, all time; the period shown is always among them."""
    year = period.start.year if period.kind not in ("all",) else today.year
    groups = [
        (_("Months of %(year)s", year=year),
         [(p.key, p.label) for p in (period_of("month", date(year, m, 1)) for m in range(1, 13))]),
        (_("Quarters of %(year)s", year=year),
         [(p.key, p.label) for p in (period_of("quarter", date(year, m, 1)) for m in (1, 4, 7, 10))]),
        (_("Years"), [(str(y), str(y)) for y in years(today)]),
        (_("Other"), [(ALL_TIME.key, ALL_TIME.label)]),
    ]
    if year != today.year:
        groups.insert(0, (_("Now"), [(p.key, label) for p, label in (
            (period_of("month", today), _("This month")), (period_of("quarter", today), _("This quarter")),
            (period_of("year", today), _("This year")))]))
    if period.kind == "range":
        groups[-1][1].append((period.key, period.label))
    elif period.kind == "year" and period.key not in {key for key, _label in groups[-2][1]}:
        groups[-2][1].append((period.key, period.label))
    return groups


def goal_periods(today: date) -> list[Period]:
    """The periods a goal may be set for: this and the next two months, this and the next quarter."""
    month = period_of("month", today)
    quarter = period_of("quarter", today)
    return [month.previous, month, month.next, month.next.next, quarter.previous, quarter, quarter.next]
