"""Health checks for monitors and load balancers, as JSON:

- GET /healthz/live: the process is up and answers (restart it if not); asks nothing of anything else.
- GET /healthz/ready: it can do its work: the database answers and the file storage is there (the photos' folder
  takes a file, or the bucket answers). A load balancer sends requests only to servers that are ready.
- GET /healthz: the database check, as it has always answered (monitors set up before the split keep working).
"""
from flask import Blueprint, jsonify
from sqlalchemy import text

from extensions import db
from sales.policy import public
from sales.version import VERSION

bp = Blueprint("health", __name__)


def database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 — any failure means "down" to a monitor
        db.session.rollback()
        return f"error: {exc.__class__.__name__}"


def storage_state() -> str:
    """Can the file storage be used? The folder must take a file (a full disk or a read-only mount says no); the
    bucket must answer the servers' credentials (sales/storage.py `check`)."""
    from sales import storage

    try:
        storage.files().check()
        return "ok"
    except Exception as exc:  # noqa: BLE001 — an unreachable store, refused keys, a missing bucket: all "not ready"
        return f"error: {exc.__class__.__name__}"


@bp.route("/healthz")
@public
def healthz():
    database = database_state()
    healthy = database == "ok"
    body = {"status": "ok" if healthy else "error", "database": database,
            "dialect": db.engine.dialect.name, "version": VERSION}
    return jsonify(body), 200 if healthy else 503


@bp.route("/healthz/live")
@public
def live():
    return jsonify({"status": "ok", "version": VERSION})


@bp.route("/healthz/ready")
@public
def ready():
    checks = {"database": database_state(), "storage": storage_state()}
    healthy = all(state == "ok" for state in checks.values())
    return jsonify({"status": "ok" if healthy else "error", **checks, "version": VERSION}), 200 if healthy else 503
