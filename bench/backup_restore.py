"""How long a backup, a check and a restore take on a big shop: the demo shop plus 100 000 customers with a
contact each, on SQLite (or the PostgreSQL server in BENCH_DATABASE_URL).

Prints seconds, records per second and the archive's size. A shop with ten years of customers should back up in
well under a minute, so the nightly cron line is never still running in the morning.
    .venv/bin/python bench/backup_restore.py
"""
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402
from models import ContactLog, Customer, utcnow  # noqa: E402
from sales.backup.archive import make_backup, verify_archive  # noqa: E402
from sales.backup.restore import restore_backup  # noqa: E402
from sales.demo import create_demo_staff, fill_demo_shop  # noqa: E402

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 100_000))


def make_app(url, folder):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "ALEMBIC_CONFIGURE_LOGGING": False})
    app.instance_path = str(folder)
    return app


def fill(app):
    with app.test_request_context():
        staff = create_demo_staff("bench password 1")
        fill_demo_shop(staff[0])
        start = db.session.scalar(db.select(db.func.max(Customer.id))) + 1
        now = utcnow()
        for first in range(start, start + CUSTOMERS, 10_000):
            ids = range(first, min(first + 10_000, start + CUSTOMERS))
            db.session.execute(insert(Customer), [dict(id=i, kind="person", name=f"Cliente {i}",
                                                       email=f"c{i}@bench.example", city="Madrid", created_at=now,
                                                       updated_at=now, version=1) for i in ids])
            db.session.execute(insert(ContactLog), [dict(customer_id=i, channel="call", happened_at=now,
                                                         goal="Ask about the service", outcome="Booked",
                                                         created_at=now, updated_at=now, version=1) for i in ids])
        db.session.commit()


def timed(label, records, action):
    began = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - began
    print(f"{label:<34} {seconds:7.1f} s   {records / seconds:9,.0f} records/s")
    return result


def main():
    folder = Path(tempfile.mkdtemp(prefix="mostrador-bench-"))
    source_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'source.db'}"
    source = make_app(source_url, folder / "source")
    upgrade_schema(source)
    fill(source)
    archive = folder / "shop.zip"
    with source.app_context():
        manifest = make_backup(archive, folder / "source")
    records = sum(t["rows"] for t in manifest["tables"].values())
    print(f"{records:,} records in {len(manifest['tables'])} tables on {manifest['database']['dialect']}; "
          f"archive {archive.stat().st_size / 1e6:.1f} MB")
    with source.app_context():
        timed("backup (written and read back)", records, lambda: make_backup(folder / "again.zip", folder / "source"))
    timed("verify-backup", records, lambda: verify_archive(archive))
    target = make_app(f"sqlite:///{folder / 'target.db'}", folder / "target")
    with target.app_context():
        timed("restore into a new SQLite database", records,
              lambda: restore_backup(archive, target.instance_path))


if __name__ == "__main__":
    main()
