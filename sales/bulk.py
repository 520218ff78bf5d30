"""Inserting many rows at once and learning their ids, fast on both databases.

PostgreSQL hands back the ids of a multi-row INSERT in the order of the rows (SQLAlchemy's "insertmanyvalues"
with sort_by_parameter_order). SQLite would do it one row per statement; there the first row is inserted alone,
which takes the database's write lock, and the rest go in one executemany: while this transaction holds the
lock nobody else can insert, so each next row takes the next rowid and the ids are first + 1, first + 2, …
"""
from extensions import db


def insert_returning_ids(table, rows):
    """Insert `rows` (dicts with the same keys) into `table`; returns their ids in the same order."""
    if not rows:
        return []
    id_column = table.c.id
    if db.session.get_bind().dialect.name != "sqlite":
        return list(db.session.scalars(table.insert().returning(id_column, sort_by_parameter_order=True), rows))
    first = db.session.scalar(table.insert().returning(id_column), rows[0])
    if len(rows) > 1:
        db.session.execute(table.insert(), rows[1:])
    return [first + offset for offset in range(len(rows))]
