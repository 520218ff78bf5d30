"""One chronological list per customer of everything that happened with them, whatever part of the sales
cycle recorded it. Each blueprint registers a provider; the customer page merges them."""
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

PROVIDERS: list[Callable] = []


@dataclass
class TimelineEntry:
    at: datetime
    kind: str                       # "contact", "stage", "inquiry", "quote", "ticket"… (a CSS class too)
    title: str                      # one line, already translated: "Call with Ana", "Moved to Proposal"
    detail: Optional[str] = None    # a longer text shown under the title (plain text, escaped on render)
    url: Optional[str] = None       # where tapping the entry leads
    who: Optional[str] = None       # the user's name


def provider(func):
    """Register `func(customer, limit) -> list[TimelineEntry]`; it must run a constant number of queries."""
    PROVIDERS.append(func)
    return func


def timeline_for(customer, limit=50):
    entries = []
    for source in PROVIDERS:
        entries.extend(source(customer, limit))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
