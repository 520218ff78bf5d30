"""Reporting periods: a month ("2026-11"), a quarter ("2026-Q4") or a year ("2026"), as half-open date ranges."""
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from flask_babel import format_date
from flask_babel import gettext as _

from sales.clock import start_of_day

KINDS = ("month", "quarter", "year")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


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
        return str(self.start.year)

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def starts_at(self) -> datetime:
        """The stored (UTC) moment the period begins on the shop's calendar: midnight in the shop's zone."""
        return start_of_day(self.start)

    @property
    def ends_at(self) -> datetime:
        return start_of_day(self.end)

    def shifted(self, steps: int) -> "Period":
        start = _add_months(self.start, steps * self.months)
        return Period(self.kind, start, _add_months(start, self.months))

    @property
    def previous(self) -> "Period":
        return self.shifted(-1)

    @property
    def next(self) -> "Period":
        return self.shifted(1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

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
        return str(self.start.year)


def period_of(kind: str, day: date) -> Period:
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    elif kind == "year":
        start = date(day.year, 1, 1)
    else:
        kind, start = "month", date(day.year, day.month, 1)
    return Period(kind, start, _add_months(start, {"month": 1, "quarter": 3, "year": 12}[kind]))


def parse(key: Optional[str], today: Optional[date] = None) -> Optional[Period]:
    """The period a key names, or None when it names none."""
    key = (key or "").strip()
    for pattern, kind in ((_MONTH, "month"), (_QUARTER, "quarter"), (_YEAR, "year")):
        match = pattern.match(key)
        if not match:
            continue
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            return None
        if kind == "month":
            month = int(match.group(2))
            return period_of("month", date(year, month, 1)) if 1 <= month <= 12 else None
        if kind == "quarter":
            return period_of("quarter", date(year, (int(match.group(2)) - 1) * 3 + 1, 1))
        return period_of("year", date(year, 1, 1))
    return None


def from_request(args, today: date, default_kind: str = "month") -> Period:
    """?period=2026-11 (or 2026-Q4, 2026); ?kind=quarter alone means the current quarter."""
    period = parse(args.get("period"))
    if period is not None:
        return period
    kind = args.get("kind")
    return period_of(kind if kind in KINDS else default_kind, today)


def goal_periods(today: date) -> list[Period]:
    """The periods a goal may be set for: this and the next two months, this and the next quarter."""
    month = period_of("month", today)
    quarter = period_of("quarter", today)
    return [month.previous, month, month.next, month.next.next, quarter.previous, quarter, quarter.next]
