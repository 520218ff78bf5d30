"""`flask backup`, `flask verify-backup`, `flask restore`: the owner's data, safe and proven so."""
import os
from pathlib import Path

import click
from flask import current_app

from sales import storage
from sales.backup import bp
from sales.backup.archive import BackupError, default_backup_path, make_backup, verify_archive
from sales.backup.restore import restore_backup
from sales.backup.shop_export import write_shop_export
from sales.clock import shop_today

@bp.cli.command("backup")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-secret", is_flag=True,
              help="Also store the secret key that signs sessions (keep such a backup as private as a password).")
def backup_command(file, with_secret):
    """Back up the whole shop (database, ticket photos, manifest) into one .zip; safe while Mostrador runs.

    FILE defaults to instance/backups/mostrador-<date>-<time>.zip.
    """
    destination = file or default_backup_path(current_app.instance_path)
    secret = current_app.config["SECRET_KEY"] if with_secret else None
    try:
        manifest = make_backup(destination, current_app.instance_path, secret_key=secret)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(entry["rows"] for entry in manifest["tables"].values())
    database = manifest["database"]
    click.echo(f"Backup written and checked: {destination}")
    click.echo(f"  {rows} records in {len(manifest['tables'])} tables, schema revision "
               f"{database['schema_revision']}, {manifest['attachments']['stored']} attachment file(s)"
               + (", with the secret key" if with_secret else ""))
    if database.get("native_note"):
        click.echo(f"  note: {database['native_note']}")
    if manifest["attachments"]["missing"]:
        click.echo(f"  warning: {len(manifest['attachments']['missing'])} file(s) named in the database are "
                   f"missing from the file storage ({storage.files()}): "
                   + ", ".join(manifest["attachments"]["missing"][:5]))


@bp.cli.command("verify-backup")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_backup_command(file):
    """Check a backup file against its manifest without restoring it."""
    try:
        manifest = verify_archive(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(entry["rows"] for entry in manifest["tables"].values())
    click.echo(f"{file}: complete and undamaged — made {manifest['created_at']} by Mostrador "
               f"{manifest['mostrador_version']}, {rows} records in {len(manifest['tables'])} tables, "
               f"schema revision {manifest['database']['schema_revision']}.")


@bp.cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the data of an instance that is not empty.")
def restore_command(file, force):
    """Restore a backup into this (empty) instance and check every table against the backup's manifest."""
    try:
        report = restore_backup(file, current_app.instance_path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if report.emptied:
        click.echo(f"Emptied first (--force): {sum(report.emptied.values())} records.")
    click.echo(f"Restored {report.rows} records in {report.tables} tables and {report.files} attachment file(s) "
               f"from {file}; every table matches the backup's record count and checksum.")
    revision = report.manifest["database"]["schema_revision"]
    if revision != report.schema_to:
        click.echo(f"Schema upgraded from the backup's revision {revision} to {report.schema_to}.")
    if report.secret_key_restored:
        note = " (SECRET_KEY is set in the environment and takes precedence)" if _secret_from_environment() else ""
        click.echo(f"Secret key restored into instance/secret_key{note}; restart Mostrador to use it.")


def _secret_from_environment():
    return bool(os.environ.get("SECRET_KEY"))


@bp.cli.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def export_command(file):
    """Export the whole shop as one .zip of CSV files (one per kind of record) plus the ticket photos.

    FILE defaults to instance/exports/mostrador-export-<date>.zip.
    """
    destination = file or Path(current_app.instance_path) / "exports" / f"mostrador-export-{shop_today()}.zip"
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with open(partial, "wb") as out:
            counts = write_shop_export(out, current_app.instance_path)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"Export written: {destination}")
    for name, rows in counts.items():
        click.echo(f"  {name}: {rows} rows")
