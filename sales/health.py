"""GET /healthz: a JSON answer for monitors and load balancers."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from extensions import db
from sales.policy import public
from sales.version import VERSION

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # noqa: BLE001 — any failure means "down" to a monitor
        db.session.rollback()
        database = f"error: {exc.__class__.__name__}"
    healthy = database == "ok"
    body = {"status": "ok" if healthy else "error", "database": database,
            "dialect": db.engine.dialect.name, "version": VERSION}
    return jsonify(body), 200 if healthy else 503
