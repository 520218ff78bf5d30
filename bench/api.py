"""The JSON API on the 100 000-lead shop of bench/lead_funnel.py: list and detail endpoints through the app,
p50/p95 per request and the SQL statements each runs (target: p95 < 20 ms, at most 5 queries whatever the page
size). Run with `python bench/api.py` (BENCH_LEADS, BENCH_REPEAT change the sizes; contacts are not needed,
so BENCH_CONTACTS defaults to 0 here)."""
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BENCH_CONTACTS", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lead_funnel  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402


def token_of(app, email):
    from models import User
    from sales.api.auth import create_token

    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        _row, token = create_token(user, "bench")
        db.session.commit()
        return token


def queries_of(app, client, url, headers):
    statements = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get(url, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def main():
    workdir = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.db", "SECRET_KEY": "bench",
                      "API_RATE_PER_MINUTE": 10**9})
    upgrade_schema(app)
    started = time.perf_counter()
    lead_funnel.fill(app)
    print(f"{lead_funnel.LEADS} leads, {lead_funnel.CUSTOMERS} customers generated in "
          f"{time.perf_counter() - started:.0f}s; {lead_funnel.REPEAT} requests per endpoint")
    owner = {"Authorization": "Bearer " + token_of(app, "owner@bench.example")}
    seller = {"Authorization": "Bearer " + token_of(app, "seller0@bench.example")}
    deep_customer = lead_funnel.CUSTOMERS - 200
    from sales.api.pages import encode_cursor

    endpoints = {
        # What the machine gives a request that does next to nothing: divide the rest by it on a busy machine.
        "baseline: /healthz (no token)": ({}, "/healthz"),
        "customers, page 1 (25)": (owner, "/api/v1/customers"),
        "customers, page 1 (100)": (owner, "/api/v1/customers?limit=100"),
        "customers, deep cursor (100)": (owner, f"/api/v1/customers?limit=100&cursor={encode_cursor(deep_customer)}"),
        "customers, searched": (owner, "/api/v1/customers?q=cliente%2012"),
        "customer detail": (owner, f"/api/v1/customers/{min(5000, lead_funnel.CUSTOMERS)}"),
        "leads, page 1 (25)": (owner, "/api/v1/leads"),
        "leads, page 1 (100)": (owner, "/api/v1/leads?limit=100"),
        "leads, deep cursor (100)": (owner, f"/api/v1/leads?limit=100&cursor={encode_cursor(99_000)}"),
        "leads, stage + source (100)": (owner, "/api/v1/leads?limit=100&stage_id=3&source=web_form"),
        "leads, seller's own (100)": (seller, "/api/v1/leads?limit=100"),
        "lead detail": (owner, f"/api/v1/leads/{min(1234, lead_funnel.LEADS)}"),
        "lead's moves": (owner, f"/api/v1/leads/{min(1234, lead_funnel.LEADS)}/moves"),
        "products": (owner, "/api/v1/products"),
    }
    lead_funnel.settle_like_a_server()
    client = app.test_client()
    print(f"{'endpoint':32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, (headers, url) in endpoints.items():
        client.get(url, headers=headers)          # this minute's rate-limit window exists from here on
        p50, p95 = lead_funnel.measure(client, url, headers)
        print(f"{label:32} {p50:8.1f} {p95:8.1f} {queries_of(app, client, url, headers):8d}")


if __name__ == "__main__":
    main()
