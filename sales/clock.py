"""The shop's clock: "now" and "today" where the shop is (SHOP_TIMEZONE), times stored in UTC.

Every date default, "due today", "overdue", report period, ticket SLA and daily job asks this module, never
`date.today()` or `datetime.now()`: the server may run in UTC while the shop is in Madrid, and at 00:30 on
the 1st in Madrid it is still the last day of the previous month in UTC.

Stored times are naive UTC datetimes (what `utcnow()` returns). A time a person types is the shop's wall clock:
`from_shop_time()` turns it into UTC to store, `to_shop_time()` back for a form's default.
"""
import os
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Europe/Madrid"


def _system_now() -> datetime:
    return datetime.now(timezone.utc)


# Where the current instant comes from. Tests stand the shop at 23:30 or 00:30 by replacing it (see
# tests/test_clock.py); nothing else should.
source = _system_now


def shop_zone() -> ZoneInfo:
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_ZONE
    else:
        name = os.environ.get("SHOP_TIMEZONE", DEFAULT_ZONE)
    return ZoneInfo(name)


def utcnow() -> datetime:
    """Now, as stored: a naive UTC datetime."""
    return source().astimezone(timezone.utc).replace(tzinfo=None)


def shop_now() -> datetime:
    """Now on the shop's wall clock, naive (what a datetime-local box shows)."""
    return to_shop_time(utcnow())


def shop_today() -> date:
    """The shop's calendar day: what "today", "due today" and "overdue" mean."""
    return shop_now().date()


def to_shop_time(moment: datetime) -> datetime:
    """A stored (naive UTC) time on the shop's wall clock, naive."""
    return moment.replace(tzinfo=timezone.utc).astimezone(shop_zone()).replace(tzinfo=None)


def shop_date(moment: datetime) -> date:
    """The shop's calendar day of a stored time (a ticket opened at 00:30 in Madrid is that day, not the day
    before, as it is in UTC)."""
    return to_shop_time(moment).date()


def from_shop_time(wall_clock: datetime) -> datetime:
    """A time a person typed (the shop's wall clock, naive) as stored: naive UTC.

    On the night the clocks go back, 02:30 happens twice; the first one (summer time) is taken. A time skipped
    when they go forward (02:30 in late March) is read as the summer time it would have been.
    """
    if wall_clock.tzinfo is not None:
        return wall_clock.astimezone(timezone.utc).replace(tzinfo=None)
    return wall_clock.replace(tzinfo=shop_zone(), fold=0).astimezone(timezone.utc).replace(tzinfo=None)


def start_of_day(day: date) -> datetime:
    """The stored (UTC) moment the shop's `day` begins: for counting stored times by the shop's calendar."""
    return from_shop_time(datetime.combine(day, time.min))
