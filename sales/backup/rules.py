"""Plain facts about the shop's backups, for the settings page and the commands."""
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

from extensions import db


@dataclass(frozen=True)
class BackupFile:
    name: str
    path: Path
    size: int
    modified: datetime


def backup_files(instance_path):
    """The finished backups in instance/backups (where `flask backup` writes by default), newest first."""
    folder = Path(instance_path) / "backups"
    if not folder.is_dir():
        return []
    found = [BackupFile(p.name, p, p.stat().st_size, _utc(p.stat().st_mtime))
             for p in folder.glob("*.zip") if p.is_file()]
    return sorted(found, key=lambda b: b.modified, reverse=True)


def schema_revision():
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _utc(timestamp):
    # Times are naive UTC everywhere in Mostrador; templates show them in the shop's time zone.
    return datetime.fromtimestamp(timestamp, timezone.utc).replace(tzinfo=None)
