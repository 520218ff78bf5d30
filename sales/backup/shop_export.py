"""The whole-shop export: one .zip of CSV files, one per kind of record, plus the ticket photos — the shop's
data in a form any spreadsheet or other CRM reads.

Each kind is a function returning (header, rows), registered with `@export_kind(name)`. A kind with an import
exports the columns that import reads, so an export goes back in. Code that adds a kind of record (or owns an
import) registers its function where it lives:

    @export_kind("customers")
    def customers_table():
        return ["name", "email", ...], rows

A registration marked `default=True` (the fallbacks in sales/backup/kinds.py) gives way to any other registration
of the same name, whichever is imported first. Every table the models define that no kind covers is exported
as it is (`tables/<table>.csv`, every column except secrets), so nothing the shop holds is left out.
"""
import io
import shutil
import zipfile
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from extensions import db
from sales import storage
from sales.clock import shop_now
from sales.csv_export import csv_chunks

_KINDS = {}

@dataclass(frozen=True)
class ExportKind:
    name: str
    table: Callable
    tables: tuple          # the database tables this kind covers (left out of tables/)
    default: bool

    @property
    def filename(self):
        return f"{self.name}.csv"


def export_kind(name, covers=(), default=False):
    """Register `function() -> (header, rows)` as `<name>.csv` of the whole-shop export.

    `covers` names the database tables whose rows this kind already exports (the table named like the kind is
    assumed), so they are not exported a second time as raw tables.
    """

    def register(function):
        existing = _KINDS.get(name)
        if existing is None or existing.default or not default:
            _KINDS[name] = ExportKind(name, function, tuple(covers) or (name,), default)
        return function

    return register


def export_kinds():
    from sales.backup import kinds  # noqa: F401  (registers the built-in kinds)

    return sorted(_KINDS.values(), key=lambda kind: kind.name)


# Never leave the building in a spreadsheet: sign-in secrets, links that act as passwords, raw mail bytes.
SECRET_COLUMNS = ("password", "token", "secret", "hash")
INTERNAL_TABLES = {"login_attempts", "year_counters", "import_jobs"}


def raw_tables(kinds):
    covered = {table for kind in kinds for table in kind.tables}
    return [t for t in db.metadata.sorted_tables if t.name not in covered and t.name not in INTERNAL_TABLES]


def raw_table(table):
    """A table as it is: every column except secrets and binary blobs, rows in id order."""
    columns = [c for c in table.columns if not any(word in c.name for word in SECRET_COLUMNS)
               and not isinstance(c.type, db.LargeBinary)]
    order = list(table.primary_key.columns) or columns
    rows = db.session.execute(select(*columns).order_by(*order))
    return [c.name for c in columns], (tuple(row) for row in rows)


def write_shop_export(fileobj, instance_path):
    """Write the export .zip to an open binary file; return {file name: rows} of what it holds."""
    counts = {}
    kinds = export_kinds()
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind in kinds:
            counts[kind.filename] = _write_csv(archive, kind.filename, *kind.table())
        for table in raw_tables(kinds):
            name = f"tables/{table.name}.csv"
            counts[name] = _write_csv(archive, name, *raw_table(table))
        photos = _write_stored_files(archive, storage.files(instance_path))
        archive.writestr("README.txt", _readme(counts, photos))
    return counts


def _write_stored_files(archive, store):
    """The stored files (photos, documents) from the folder or the bucket; how many."""
    written = 0
    for name in store.names():
        try:
            source = store.open(name)
        except FileNotFoundError:
            continue   # deleted since the listing
        with source, archive.open("attachments/" + name, "w", force_zip64=True) as out:
            shutil.copyfileobj(source, out, storage.CHUNK)
        written += 1
    return written


def _write_csv(archive, name, header, rows):
    counted = _Counted(rows)
    with archive.open(name, "w") as out, io.TextIOWrapper(out, encoding="utf-8", newline="") as text:
        for chunk in csv_chunks(header, counted):
            text.write(chunk)
    return counted.count


class _Counted:
    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def _readme(counts, photos):
    lines = [f"Mostrador whole-shop export, {shop_now():%Y-%m-%d %H:%M}.", "",
             "CSV files in UTF-8 (with a byte-order mark, so spreadsheets read accents right), comma-separated.",
             "Files at the top have the columns Mostrador's own imports read; tables/ holds every other table as",
             "it is, linked by the id columns. A cell starting with = + - @ is prefixed with ' so that",
             "spreadsheets show it instead of running it. attachments/ holds the ticket photos, named as in",
             "tables/ticket_attachments.csv (stored_name).", ""]
    lines += [f"{name}: {rows} rows" for name, rows in counts.items()]
    lines.append(f"attachments/: {photos} files")
    return "\n".join(lines) + "\n"
