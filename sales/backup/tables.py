"""The shop's tables as portable data: every row as a JSON array, every value in one canonical spelling.

The same spelling serves three purposes: the backup's data files (readable by any tool, loadable into SQLite or
PostgreSQL alike), the per-table checksums in the manifest, and the check after a restore that the database
holds exactly what was backed up. So a value must read the same whichever database it came from: a Decimal
at its column's scale, a datetime in UTC without offset, bytes in base64, JSON with sorted keys.
"""
import base64
import datetime as dt
import hashlib
import json
import warnings
from decimal import Decimal

from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import SAWarning

from extensions import db

# Kept by Alembic itself: a restore builds it by migrating, it is never copied.
NOT_DATA = {"alembic_version"}
BATCH = 1000


def shop_table_names():
    """The tables the models define, in an order that loads parents first."""
    return [table.name for table in db.metadata.sorted_tables if table.name not in NOT_DATA]


def database_tables(connection):
    """Every table the database holds (parents first), as the database has it: the models' tables, and those of
    an older or newer schema too. So a table another part of Mostrador adds is backed up without anyone listing
    it, and a database not yet upgraded is backed up as it is."""
    names = [n for n in inspect(connection).get_table_names() if n not in NOT_DATA and not is_derived(n)]
    return reflect(connection, names)


def is_derived(name):
    """The search index (and SQLite's FTS5 shadow tables of it) is rebuilt from the records after a restore,
    never copied: it is not the shop's data."""
    return name.startswith("search_index")


def reflect(connection, names):
    """The tables as the database has them (their real columns and types, whatever revision it is at)."""
    metadata = MetaData()
    with warnings.catch_warnings():
        # Expression indexes (lower(email)) cannot be reflected on SQLite; only rows are read and written here.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        metadata.reflect(connection, only=[n for n in names if connection.dialect.has_table(connection, n)])
    return metadata


def column_kind(column_type):
    """How a column's values are spelled in the portable format."""
    for kind, types in (("boolean", sqltypes.Boolean), ("datetime", sqltypes.DateTime), ("date", sqltypes.Date),
                        ("time", sqltypes.Time), ("float", sqltypes.Float), ("decimal", sqltypes.Numeric),
                        ("integer", sqltypes.Integer), ("bytes", sqltypes._Binary), ("json", sqltypes.JSON)):
        if isinstance(column_type, types):
            return kind
    return "text"


def describe(table):
    """[(column name, kind, decimal scale or None)] — what the manifest records for a table."""
    return [(c.name, column_kind(c.type), getattr(c.type, "scale", None)) for c in table.columns]


def encoder(kind, scale=None):
    """The function that spells a column's non-null values (chosen once per column, not once per value)."""
    if kind == "datetime":
        def spell(value):
            if value.tzinfo is not None:
                value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return value.isoformat(timespec="microseconds")
        return spell
    if kind in ("date", "time"):
        return lambda value: value.isoformat()
    if kind == "decimal":
        if scale:
            step = Decimal(1).scaleb(-scale)
            return lambda value: str(Decimal(value).quantize(step))
        return lambda value: format(Decimal(value).normalize(), "f")
    if kind == "bytes":
        return lambda value: base64.b64encode(bytes(value)).decode("ascii")
    if kind == "json":
        return lambda value: value
    return {"boolean": bool, "integer": int, "float": float}.get(kind, str)


def decode(value, kind):
    if value is None:
        return None
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "time":
        return dt.time.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def row_line(values):
    """One row as the line stored in the data file; also what its checksum is taken over."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class TableDigest:
    """Row count and checksum of a table's rows, whatever order the database returns them in.

    The checksum is the sum (mod 2^256) of each row's SHA-256: equal only for the same rows, each as many times,
    and independent of order — SQLite and PostgreSQL need not sort text alike for two copies to compare equal.
    """

    def __init__(self):
        self.rows = 0
        self._sum = 0

    def add(self, line):
        self.rows += 1
        self._sum = (self._sum + int.from_bytes(hashlib.sha256(line.encode()).digest(), "big")) % (1 << 256)

    @property
    def checksum(self):
        return f"{self._sum:064x}"


def read_rows(connection, table, columns):
    """Yield each row of `table` as its data-file line, streamed in batches."""
    statement = select(*[table.c[name] for name, _kind, _scale in columns])
    result = connection.execution_options(yield_per=BATCH).execute(statement)
    spellers = [encoder(kind, scale) for _name, kind, scale in columns]
    for row in result:
        yield row_line([None if value is None else spell(value) for spell, value in zip(spellers, row)])


def count_rows(connection, table):
    return connection.execute(select(func.count()).select_from(table)).scalar_one()
