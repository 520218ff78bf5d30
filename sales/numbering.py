"""Document numbers per kind and year without gaps: Q-2026-0001, O-2026-0001.

The number is taken by one statement that increments the counter and returns it (`UPDATE … SET last = last + 1
RETURNING last`), never by reading the counter and writing it back. That statement takes the write lock before
it reads: PostgreSQL keeps the row locked until the transaction ends (as SELECT … FOR UPDATE would), and SQLite
starts the write transaction with it (its driver opens the transaction at the first write, so nothing read
earlier in the request can be a stale copy of the counter). Two sellers saving at the same moment never get the
same number, and a number is only used if the transaction that took it commits: a rollback gives it back.
"""
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from extensions import db
from models import YearCounter


def next_number(kind, prefix, year):
    db.session.execute(_insert_counter_if_missing(kind, year))
    last = db.session.execute(
        update(YearCounter.__table__)
        .where(YearCounter.kind == kind, YearCounter.year == year)
        .values(last=YearCounter.last + 1)
        .returning(YearCounter.last)).scalar_one()
    return f"{prefix}-{year}-{last:04d}"


def _insert_counter_if_missing(kind, year):
    # The year's first document: another request may be creating the same row right now; both survive.
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(YearCounter.__table__).values(kind=kind, year=year, last=0).on_conflict_do_nothing()


def next_numbers(kind, prefix, year, count):
    """`count` consecutive numbers of the year taken by one statement (an import numbering thousands of orders)."""
    if count <= 0:
        return []
    db.session.execute(_insert_counter_if_missing(kind, year))
    last = db.session.execute(
        update(YearCounter.__table__)
        .where(YearCounter.kind == kind, YearCounter.year == year)
        .values(last=YearCounter.last + count)
        .returning(YearCounter.last)).scalar_one()
    return [f"{prefix}-{year}-{n:04d}" for n in range(last - count + 1, last + 1)]
