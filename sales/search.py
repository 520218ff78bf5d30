"""Free-text matching that is case-insensitive on every database we run on."""
from extensions import db


SEARCH_LIMIT = 200


def escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text):
    """SQL condition: `column` contains `text`, ignoring case.

    SQLite's LIKE already ignores ASCII case, and its lower() knows no more than ASCII either, so the
    lower()-on-both-sides that ilike() adds there only costs a function call per row. PostgreSQL has ILIKE.
    """
    # Nobody searches for more than a line; SQLite refuses LIKE patterns beyond 50 000 bytes.
    pattern = f"%{escape_like(text[:SEARCH_LIMIT])}%"
    if db.engine.dialect.name == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")
