"""Document numbers per kind and year without gaps: Q-2026-0001, O-2026-0001.

The counter row is locked for the rest of the transaction (SELECT … FOR UPDATE on PostgreSQL; SQLite
serialises writers), so two sellers saving at the same moment never get the same number, and a number is
only used if the transaction that took it commits.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import YearCounter


def _locked_counter(kind, year):
    return db.session.scalar(
        select(YearCounter).where(YearCounter.kind == kind, YearCounter.year == year).with_for_update())


def next_number(kind, prefix, year):
    counter = _locked_counter(kind, year)
    if counter is None:
        # The year's first document: another request may be creating the same row right now.
        try:
            with db.session.begin_nested():
                db.session.add(YearCounter(kind=kind, year=year, last=0))
        except IntegrityError:
            pass
        counter = _locked_counter(kind, year)
    counter.last += 1
    db.session.flush()
    return f"{prefix}-{year}-{counter.last:04d}"
