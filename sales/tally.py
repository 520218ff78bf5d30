"""Counts of different kinds, asked by different parts of a page, read in one statement (issue 20).

A count is a SELECT of (kind, key, count) — a GROUP BY, or one row — optionally with a fourth column, a moment
(the newest of what was counted: the last success of a job, the last item ticked). Each module writes its own
parts and reads its own rows; a page that shows several asks for them together, and they are joined by UNION ALL
with the name of the group each part came from. The same SQL on SQLite and PostgreSQL.
"""
from sqlalchemy import DateTime, cast, literal, null, union_all

from extensions import db


def read_together(groups: dict) -> dict[str, list[tuple]]:
    """{group name: [part, …]} → {group name: [(kind, key, count, moment), …]}, in one statement. A part of three
    columns has no moment (None)."""
    parts = []
    for name, statements in groups.items():
        for statement in statements:
            if len(statement.selected_columns) == 3:
                statement = statement.add_columns(cast(null(), DateTime))
            parts.append(statement.add_columns(literal(name)))
    found: dict[str, list[tuple]] = {name: [] for name in groups}
    if parts:
        for kind, key, count, moment, name in db.session.execute(union_all(*parts)):
            found[name].append((kind, key, count, moment))
    return found
