"""Making a backup: one .zip with the database, the attachments, a manifest and (if asked) the secret key.

What is inside:
- `manifest.json` — Mostrador's version, the schema revision, per table its columns, row count and checksum, and
  the SHA-256 of every other file in the archive.
- `data/<table>.jsonl` — every table in the portable format (sales/backup/tables.py): what a restore loads, into
  SQLite or PostgreSQL alike.
- `database/mostrador.db` (SQLite, through the online backup API) or `database/mostrador.pgdump` (PostgreSQL,
  `pg_dump -Fc`, when pg_dump is installed) — the database in its own format, for the database's own tools.
- `attachments/…` — the stored files (ticket photos, documents), from the folder or the bucket that STORAGE_URL
  names (sales/storage.py); `secret_key` — only with `with_secret`.

Everything comes from one consistent moment while the app keeps serving: on SQLite the data files are read from
the snapshot the backup API made, on PostgreSQL from one repeatable-read transaction whose snapshot pg_dump
shares.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from extensions import db
from sales import storage
from sales.backup import tables
from sales.clock import shop_now
from sales.version import VERSION

FORMAT = "mostrador-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024

class BackupError(Exception):
    """A backup that cannot be made or trusted; the message says why, in words for the owner."""


def default_backup_path(instance_path, now=None):
    now = now or shop_now()
    return Path(instance_path) / "backups" / f"mostrador-{now:%Y-%m-%d-%H%M%S}.zip"


def make_backup(destination, instance_path, secret_key=None):
    """Write a backup to `destination` (a path) and return its manifest.

    The archive is written beside the destination and renamed into place only once it has been read back and
    every checksum matched, so a crash or a full disk never leaves a truncated file that looks like a backup.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with open(partial, "wb") as fileobj:
            manifest = write_backup(fileobj, instance_path, secret_key)
        verify_archive(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def write_backup(fileobj, instance_path, secret_key=None):
    """Write the archive to an open binary file; return the manifest written into it."""
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "mostrador_version": VERSION,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "tables": {}, "files": {}, "secret_key": secret_key is not None}
    with tempfile.TemporaryDirectory(prefix="mostrador-backup-") as scratch, \
            zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        with consistent_snapshot(Path(scratch)) as (connection, native_file, database):
            manifest["database"] = database
            reflected = tables.database_tables(connection)
            for table in reflected.sorted_tables:
                manifest["tables"][table.name] = _write_table(archive, connection, table)
            attachment_names = _referenced_attachments(connection)
        if native_file:
            manifest["files"][database["native_file"]] = _write_file(archive, database["native_file"], native_file)
        manifest["attachments"] = _write_attachments(archive, manifest, storage.files(instance_path),
                                                     attachment_names)
        if secret_key is not None:
            manifest["files"]["secret_key"] = _write_bytes(archive, "secret_key", secret_key.encode())
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


@contextmanager
def consistent_snapshot(scratch):
    """(connection, native database file or None, database facts) all at one moment of the live database."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        snapshot = scratch / "mostrador.db"
        _sqlite_online_backup(engine, snapshot)
        snapshot_engine = create_engine(f"sqlite:///{snapshot}", poolclass=NullPool)
        try:
            with snapshot_engine.connect() as connection:
                yield connection, snapshot, {"dialect": "sqlite", "schema_revision": _revision(connection),
                                             "native_file": "database/mostrador.db", "native_format": "sqlite"}
        finally:
            snapshot_engine.dispose()
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                                postgresql_readonly=True) as connection:
            snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            database = {"dialect": "postgresql", "schema_revision": _revision(connection)}
            dump, note = _pg_dump(engine.url, snapshot_id, scratch / "mostrador.pgdump")
            if dump:
                database.update(native_file="database/mostrador.pgdump", native_format="pg_dump custom")
            else:
                database["native_note"] = note
            yield connection, dump, database
            connection.rollback()
    else:
        raise BackupError(f"Backups of {engine.dialect.name} databases are not supported.")


def _sqlite_online_backup(engine, snapshot):
    # All pages in one step: a stepwise copy restarts whenever the app writes, and may never end on a busy day.
    # In WAL mode the single step only reads, so the app's writers are not held up meanwhile.
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(snapshot)
        try:
            raw.driver_connection.backup(target)
        finally:
            target.close()
    finally:
        raw.close()


def _pg_dump(url, snapshot_id, path):
    """pg_dump of the same snapshot the data files are read from; (path, None) or (None, why not)."""
    program = shutil.which("pg_dump")
    if not program:
        return None, "pg_dump is not installed; the data files hold the whole database."
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    completed = subprocess.run([program, "--format=custom", "--no-owner", "--no-privileges",
                                f"--snapshot={snapshot_id}", f"--file={path}", f"--dbname={uri}"],
                               env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        # Typically a pg_dump older than the server. The data files still hold everything.
        return None, "pg_dump failed: " + (completed.stderr.strip().splitlines() or ["no message"])[-1]
    return path, None


def _revision(connection):
    if not connection.dialect.has_table(connection, "alembic_version"):
        raise BackupError("This database has no schema yet: there is nothing to back up.")
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _write_table(archive, connection, table):
    name = table.name
    columns = tables.describe(table)
    digest = tables.TableDigest()
    member = f"data/{name}.jsonl"
    file_hash = hashlib.sha256()
    with archive.open(member, "w", force_zip64=True) as out:
        pending = []
        for line in tables.read_rows(connection, table, columns):
            digest.add(line)
            pending.append(line)
            if len(pending) >= tables.BATCH:
                _write_lines(out, file_hash, pending)
        _write_lines(out, file_hash, pending)
    return {"file": member, "rows": digest.rows, "checksum": digest.checksum, "sha256": file_hash.hexdigest(),
            "columns": columns}


def _write_lines(out, file_hash, lines):
    # Written a thousand rows at a time: one compressor call per row would cost more than reading the row.
    if lines:
        data = ("\n".join(lines) + "\n").encode()
        file_hash.update(data)
        out.write(data)
        lines.clear()


def _referenced_attachments(connection):
    if not connection.dialect.has_table(connection, "ticket_attachments"):
        return set()
    names = set(connection.execute(text("SELECT stored_name FROM ticket_attachments")).scalars())
    if connection.dialect.has_table(connection, "documents"):
        names |= set(connection.execute(text("SELECT stored_name FROM documents WHERE stored_name IS NOT NULL"))
                     .scalars())
    return names


def _write_attachments(archive, manifest, store, referenced):
    """Every stored file, from the folder or the bucket (a file saved after the snapshot does no harm); the manifest
    also says which files the database names but the storage lacks, so nobody learns that only at restore time."""
    stored = []
    for name in store.names():
        member = "attachments/" + name
        try:
            source = store.open(name)
        except FileNotFoundError:
            continue   # deleted since the listing (a document's file replaced meanwhile): nothing names it now
        with source:
            manifest["files"][member] = _write_stream(archive, member, source)
        stored.append(name)
    return {"stored": len(stored), "missing": sorted(referenced - set(stored)), "storage": store.kind}


def _write_file(archive, member, path):
    with open(path, "rb") as source:
        return _write_stream(archive, member, source)


def _write_stream(archive, member, source):
    digest = hashlib.sha256()
    size = 0
    with archive.open(member, "w", force_zip64=True) as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _write_bytes(archive, member, data):
    archive.writestr(member, data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def read_manifest(archive):
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupError("This file is not a Mostrador backup: it has no manifest.json.") from None
    except ValueError:
        raise BackupError("The backup's manifest.json is damaged.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError("This file is not a Mostrador backup.")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError("This backup was made by a newer Mostrador: upgrade Mostrador, then restore it.")
    return manifest


def verify_archive(path):
    """Open a backup and check every file in it against the manifest; return the manifest.

    Raises BackupError naming the first problem: not a zip, a file missing, a file whose checksum differs.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"{path} is not a readable backup archive ({exc}).") from None
    with archive:
        manifest = read_manifest(archive)
        expected = {entry["file"]: entry["sha256"] for entry in manifest["tables"].values()}
        expected.update({member: entry["sha256"] for member, entry in manifest["files"].items()})
        names = set(archive.namelist())
        for member, checksum in expected.items():
            if member not in names:
                raise BackupError(f"The backup is incomplete: {member} is missing.")
            if member_sha256(archive, member) != checksum:
                raise BackupError(f"The backup is damaged: {member} does not match its checksum.")
    return manifest


def member_sha256(archive, member):
    digest = hashlib.sha256()
    try:
        with archive.open(member) as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise BackupError(f"The backup is damaged: {member} cannot be read ({exc}).") from None
    return digest.hexdigest()
