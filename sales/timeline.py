"""One chronological list per customer of everything that happened with them, whatever part of the sales
cycle recorded it. Each blueprint registers a provider; the customer page merges them.

A user sees on the timeline only what they could open themselves (sales/records.py decides); what they may not
open is counted, not shown."""
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from sqlalchemy import func, not_, select

from extensions import db

PROVIDERS: list[Callable] = []


@dataclass
class TimelineEntry:
    at: datetime
    kind: str                       # "contact", "stage", "inquiry", "quote", "ticket"… (a CSS class too)
    title: str                      # one line, already translated: "Call with Ana", "Moved to Proposal"
    detail: Optional[str] = None    # a longer text shown under the title (plain text, escaped on render)
    url: Optional[str] = None       # where tapping the entry leads
    who: Optional[str] = None       # the user's name


class Timeline(list):
    """The entries a user may see, newest first; `hidden` counts the others' entries left out."""

    hidden = 0


def provider(func):
    """Register `func(customer, limit, user) -> (entries, hidden)`; it must run a constant number of queries.
    `visible_rows` gives both for a query (`hidden` a number, or a count statement run with the others')."""
    PROVIDERS.append(func)
    return func


def visible_rows(statement, condition, limit):
    """The rows of `statement` meeting `condition` (a rule from sales/records.py), at most `limit`, and how many
    rows it would have returned that do not — as a count statement, which `timeline_for` runs together with the
    other providers' in one query."""
    rows = db.session.scalars(statement.where(condition).limit(limit)).unique().all()
    others = statement.where(not_(condition)).order_by(None).subquery()
    return rows, select(func.count()).select_from(others).scalar_subquery()


def timeline_for(customer, user, limit=50):
    entries, hidden, counts = Timeline(), 0, []
    for source in PROVIDERS:
        shown, not_shown = source(customer, limit, user)
        entries.extend(shown)
        if isinstance(not_shown, int):
            hidden += not_shown
        else:
            counts.append(not_shown)
    if counts:
        hidden += sum(n or 0 for n in db.session.execute(select(*counts)).one())
    entries.sort(key=lambda entry: entry.at, reverse=True)
    timeline = Timeline(entries[:limit])
    timeline.hidden = hidden
    return timeline
