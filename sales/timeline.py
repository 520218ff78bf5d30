"""One chronological list per customer of everything that happened with them, whatever part of the sales
cycle recorded it. Each blueprint registers a provider; the customer page merges them.

A user sees on the timeline only what they could open themselves (sales/records.py decides); what they may not
open is counted, not shown.

The page reads the whole timeline in one statement (issue 20): every provider gives its kinds of entry as
selects of one common row shape (`columns`), read together in one UNION ALL, newest first, and builds each
entry from its row; the rows the user may not see are counted in the same statement."""
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from sqlalchemy import Date, Integer, Text, cast, func, literal_column, not_, null, select, union_all

from extensions import db

PROVIDERS: list[Callable] = []
TEXTS, NUMBERS = 5, 4       # the text and number columns of the common row shape


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


@dataclass
class Kind:
    """One kind of entry of a provider: `rows` selects `columns(...)` of the rows the user may see, `entry` makes
    the TimelineEntry of one row (read with `texts` and `numbers`)."""
    rows: object
    entry: Callable


def provider(func):
    """Register `func(customer, user) -> (kinds, hidden)`: its `Kind`s, and a count of the rows the user may not
    see (`hidden`)."""
    PROVIDERS.append(func)
    return func


def columns(id, at, *, texts=(), numbers=(), day=None, order_at=None):
    """The common row shape: the record's id, the entry's time, up to TEXTS texts and NUMBERS numbers (a flag as
    1 or 0), a date; `order_at` is the provider's own order for its rows when not `at` (a decision follows its
    quote's sending)."""
    assert len(texts) <= TEXTS and len(numbers) <= NUMBERS
    texts = list(texts) + [cast(null(), Text)] * (TEXTS - len(texts))
    numbers = list(numbers) + [cast(null(), Integer)] * (NUMBERS - len(numbers))
    return [id.label("id"), at.label("at"), (at if order_at is None else order_at).label("order_at"),
            *(text.label(f"t{n}") for n, text in enumerate(texts)),
            *(number.label(f"n{n}") for n, number in enumerate(numbers)),
            (cast(null(), Date) if day is None else day).label("day")]


def texts(row):
    return [getattr(row, f"t{n}") for n in range(TEXTS)]


def numbers(row):
    return [getattr(row, f"n{n}") for n in range(NUMBERS)]


def hidden(statement, condition):
    """A count (a scalar subquery) of the rows of `statement` not meeting `condition` (a rule from
    sales/records.py); `timeline_for` reads every provider's with the entries."""
    others = statement.where(not_(condition)).order_by(None).subquery()
    return select(func.count()).select_from(others).scalar_subquery()


def timeline_for(customer, user, limit=50):
    kinds, counts = [], []
    for position, source in enumerate(PROVIDERS):
        shown, not_shown = source(customer, user)
        kinds.extend((position, kind) for kind in shown)
        counts.append(not_shown)
    # Newest first; entries of the same time in the providers' order, each provider's rows in its own order.
    everything = union_all(*(
        kind.rows.add_columns(literal_column(str(position), Integer).label("source"),
                              literal_column(str(branch), Integer).label("branch"))
        for branch, (position, kind) in enumerate(kinds))).subquery()
    c = everything.c
    # The hidden count rides on every row (its subqueries are run once); an empty timeline asks for it alone.
    hidden_total = sum(func.coalesce(count, 0) for count in counts) if counts else literal_column("0", Integer)
    rows = db.session.execute(select(everything, hidden_total.label("hidden"))
                              .order_by(c.at.desc(), c.source, c.order_at.desc(), c.id, c.branch).limit(limit)).all()
    timeline = Timeline(kinds[row.branch][1].entry(row) for row in rows)
    timeline.hidden = rows[0].hidden if rows else db.session.scalar(select(hidden_total))
    return timeline
