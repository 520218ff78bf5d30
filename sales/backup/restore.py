"""Restoring a backup into an instance, and proving the result holds exactly what was backed up.

In order: check every file of the archive against the manifest; refuse a database that holds any record (unless
forced, which empties it first); bring the schema to the backup's revision; load the data files in one
transaction and, before committing, count and checksum every table against the manifest; then put the
stored files (and the secret key, if the backup has it) in place — in the folder or the bucket and upgrade the schema to this version's.
A failed check rolls the load back: the database is left as empty as it was found.
"""
import hashlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import bindparam, delete, text, update

from extensions import db
from sales import storage
from sales.backup import tables
from sales.backup.archive import BackupError, CHUNK, verify_archive

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


@dataclass
class RestoreReport:
    manifest: dict
    tables: int = 0
    rows: int = 0
    files: int = 0
    schema_from: str = ""
    schema_to: str = ""
    secret_key_restored: bool = False
    emptied: dict = field(default_factory=dict)


def records_in():
    """{table: rows} for every table that holds rows in the current database."""
    held = {}
    with db.engine.connect() as connection:
        reflected = tables.database_tables(connection)
        for name, table in reflected.tables.items():
            count = tables.count_rows(connection, table)
            if count:
                held[name] = count
    return held


def restore_backup(path, instance_path, force=False, upgrade_to_head=True):
    manifest = verify_archive(path)
    revision = manifest["database"]["schema_revision"]
    scripts = ScriptDirectory(MIGRATIONS)
    try:
        scripts.get_revision(revision)
    except Exception:  # noqa: BLE001 — alembic raises several kinds for an unknown revision
        raise BackupError(f"This backup's schema (revision {revision}) is newer than this Mostrador knows: "
                          "upgrade Mostrador first, then restore.") from None
    held = records_in()
    if held and not force:
        largest = sorted(held.items(), key=lambda item: -item[1])[:4]
        listed = ", ".join(f"{name} {count}" for name, count in largest) + (", …" if len(held) > 4 else "")
        raise BackupError(f"This instance already holds {sum(held.values())} records ({listed}). Restore into an "
                          "empty database, or add --force to replace everything in it with the backup.")
    report = RestoreReport(manifest=manifest, emptied=held, schema_to=scripts.get_current_head())
    if held:
        _empty_tables()
    report.schema_from = _schema_to(revision)
    with zipfile.ZipFile(path) as archive:
        _load_and_check(archive, manifest, report)
        report.files = _restore_files(archive, manifest, storage.files(instance_path))
        report.secret_key_restored = _restore_secret_key(archive, manifest, Path(instance_path))
    if upgrade_to_head and revision != report.schema_to:
        upgrade(directory=MIGRATIONS)
    # The search index is derived from the records: built again from what was restored.
    from sqlalchemy import inspect as inspect_schema

    from sales.search_index import rebuild

    if inspect_schema(db.engine).has_table("search_index"):   # an older schema may not have it yet
        with db.engine.begin() as connection:
            rebuild(connection)
    db.engine.dispose()
    return report


def _current_revision():
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _schema_to(revision):
    """Migrate the (empty) database to the backup's revision, up or down; return where it started from."""
    current = _current_revision()
    if current != revision:
        scripts = ScriptDirectory(MIGRATIONS)
        newer = current is not None and revision in {r.revision for r in scripts.iterate_revisions(current, "base")}
        (downgrade if newer else upgrade)(directory=MIGRATIONS, revision=revision)
    return current or "none"


def _empty_tables():
    with db.engine.begin() as connection:
        for table in reversed(tables.database_tables(connection).sorted_tables):
            connection.execute(delete(table))


def _load_and_check(archive, manifest, report):
    with db.engine.begin() as connection:
        reflected = tables.reflect(connection, list(manifest["tables"]))
        later_links = []
        loaded = set()
        for name, entry in manifest["tables"].items():
            table = reflected.tables.get(name)
            columns = [c[0] for c in entry["columns"]]
            if table is None or set(columns) != set(table.columns.keys()):
                raise BackupError(f"The table {name} here does not have the backup's columns; the schema "
                                  f"revision {manifest['database']['schema_revision']} should match. Nothing "
                                  "was restored.")
            # Links to rows not loaded yet (a row naming its own table, or a table later in the order) are
            # filled in once everything is in.
            postponed = {fk.parent.name for fk in table.foreign_keys
                         if fk.column.table.name == name or fk.column.table.name not in loaded}
            report.rows += _load_table(connection, archive, table, entry, postponed, later_links)
            loaded.add(name)
            report.tables += 1
        for table, key_columns, column, pairs in later_links:
            statement = (update(table).where(*[table.c[k] == bindparam("k_" + k) for k in key_columns])
                         .values({column: bindparam("v")}))
            connection.execute(statement, pairs)
        if connection.dialect.name == "postgresql":
            _advance_sequences(connection, reflected)
        _check_against_manifest(connection, reflected, manifest)


def _load_table(connection, archive, table, entry, postponed, later_links):
    columns = entry["columns"]
    key_columns = [c.name for c in table.primary_key.columns]
    links = {name: [] for name in postponed}
    if postponed and not key_columns:
        raise BackupError(f"The table {table.name} links rows to each other but has no primary key.")
    insert = table.insert()
    batch = []
    count = 0
    with archive.open(entry["file"]) as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            values = json.loads(line)
            row = {name: tables.decode(value, kind) for value, (name, kind, _scale) in zip(values, columns)}
            for name in postponed:
                if row[name] is not None:
                    links[name].append({**{"k_" + k: row[k] for k in key_columns}, "v": row[name]})
                    row[name] = None
            batch.append(row)
            count += 1
            if len(batch) >= tables.BATCH:
                connection.execute(insert, batch)
                batch = []
    if batch:
        connection.execute(insert, batch)
    for name, pairs in links.items():
        if pairs:
            later_links.append((table, key_columns, name, pairs))
    return count


def _advance_sequences(connection, reflected):
    # Rows came in with their own ids: each id sequence must carry on after the highest one, or the next new
    # customer would collide with a restored one.
    for table in reflected.sorted_tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": f'"{table.name}"', "c": column.name}).scalar()
            if sequence:
                connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM '
                                        f'"{table.name}"), 1), (SELECT COUNT(*) FROM "{table.name}") > 0)'),
                                   {"s": sequence})


def _check_against_manifest(connection, reflected, manifest):
    for name, entry in manifest["tables"].items():
        table = reflected.tables[name]
        columns = entry["columns"]
        digest = tables.TableDigest()
        for line in tables.read_rows(connection, table, columns):
            digest.add(line)
        if digest.rows != entry["rows"]:
            raise BackupError(f"Restoring {name} gave {digest.rows} rows instead of the backup's {entry['rows']}; "
                              "nothing was restored.")
        if digest.checksum != entry["checksum"]:
            raise BackupError(f"The restored {name} differs from the backup (checksum); nothing was restored.")


def _restore_files(archive, manifest, store):
    """Put every stored file of the backup where this instance keeps its files (the folder, or the bucket of
    STORAGE_URL), each checked against its checksum before it is kept."""
    count = 0
    for member, entry in manifest["files"].items():
        if not member.startswith("attachments/"):
            continue
        name = member[len("attachments/"):]
        if not storage.is_stored_name(name):
            raise BackupError(f"The backup names a file outside the attachments folder: {member}.")
        with tempfile.SpooledTemporaryFile(max_size=16 * storage.MB) as copy:
            digest = hashlib.sha256()
            with archive.open(member) as source:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    copy.write(chunk)
            if digest.hexdigest() != entry["sha256"]:
                raise BackupError(f"The backup is damaged: {member} does not match its checksum.")
            copy.seek(0)
            store.put_as(name, copy)
        count += 1
    return count


def _restore_secret_key(archive, manifest, instance_path):
    if "secret_key" not in manifest["files"]:
        return False
    key_file = instance_path / "secret_key"
    fd = os.open(key_file.with_name("secret_key.partial"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(archive.read("secret_key"))
    os.replace(key_file.with_name("secret_key.partial"), key_file)
    return True
