"""The JSON API on the 100 000-lead shop of bench/lead_funnel.py: list and detail endpoints through the app,
p50/p95 per request and the SQL statements each runs (target: p95 < 20 ms, at most 5 queries whatever the page
size). Run with `python bench/api.py` (BENCH_LEADS, BENCH_REPEAT change the sizes; contacts are not needed,
so BENCH_CONTACTS defaults to 0 here). On PostgreSQL: BENCH_DATABASE_URL=postgresql://user@host:port/any — a
database of its own is made there for the run and dropped after it.

Besides the leads and customers it adds what the newer endpoints read: the owner's custom fields on every
customer and lead, one order with a line and a promise per 5 leads (BENCH_LEADS / 5), and the products of the
closed deals (for Wins per product)."""
import os
import random
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("BENCH_CONTACTS", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lead_funnel  # noqa: E402
from sqlalchemy import bindparam, create_engine, event, insert, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app, upgrade_schema  # noqa: E402
from config import _normalise_database_url  # noqa: E402
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


@contextmanager
def database():
    """The run's database URL: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        return
    url = make_url(_normalise_database_url(server))
    name = f"mostrador_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_after_sale(app):
    """Custom fields on customers and leads, orders with a line and a promise, products on the closed deals."""
    from models import Customer, Lead, LeadProduct, Order, OrderLine, PipelineStage, Product, Promise, utcnow
    from sales import custom_fields
    from sales.clock import shop_today

    rng = random.Random(5)
    today = shop_today()
    with app.test_request_context():
        for entity, label, kind in (("customer", "Revenue", "number"), ("customer", "Sector", "text"),
                                    ("lead", "Budget", "number")):
            custom_fields.define(entity, label, kind)
        db.session.execute(update(Customer).values(custom={"revenue": "125000.50", "sector": "Retail"}))
        db.session.execute(update(Lead).values(custom={"budget": "1800"}))
        products = [Product(code=f"P{n}", name=f"Producto {n}", unit_price=Decimal(rng.randint(20, 3000)),
                            category=f"Familia {n % 6}", tax_rate=Decimal("21")) for n in range(60)]
        db.session.add_all(products)
        db.session.flush()
        product_ids = [p.id for p in products]
        closed = db.session.scalars(db.select(Lead.id).join(PipelineStage, PipelineStage.id == Lead.stage_id)
                                    .where(PipelineStage.kind != "open")).all()
        # The generator leaves won and lost deals without a closing time: spread them over the last year.
        now = utcnow()
        db.session.execute(update(Lead.__table__).where(Lead.__table__.c.id == bindparam("lead_id"))
                           .values(closed_at=bindparam("at")),
                           [dict(lead_id=lead_id, at=now - timedelta(minutes=rng.randint(0, 525_600)))
                            for lead_id in closed])
        db.session.execute(insert(LeadProduct), [
            dict(lead_id=lead_id, product_id=product_id, quantity=Decimal(1))
            for lead_id in closed for product_id in rng.sample(product_ids, rng.randint(1, 2))])
        orders, lines, promises = [], [], []
        seller_ids = db.session.scalars(db.select(Lead.seller_id).distinct()).all()
        for i in range(1, lead_funnel.LEADS // 5 + 1):
            seller_id = rng.choice(seller_ids)
            orders.append(dict(id=i, number=f"O-B-{i:06d}", customer_id=rng.randint(1, lead_funnel.CUSTOMERS),
                               seller_id=seller_id, ordered_on=today - timedelta(days=rng.randint(0, 700)),
                               currency="EUR", subtotal=Decimal("100"), tax_total=Decimal("21"),
                               total=Decimal("121"), version=1))
            lines.append(dict(order_id=i, position=1, product_id=rng.choice(product_ids), description="Producto",
                              quantity=Decimal(1), unit_price=Decimal("100"), discount_percent=Decimal(0),
                              line_total=Decimal("100"), tax_rate=Decimal("21")))
            done = rng.random() < 0.7
            promises.append(dict(order_id=i, seller_id=seller_id, kind="delivery", description="Entregar",
                                 due_on=today + timedelta(days=rng.randint(-30, 30)),
                                 done_at=utcnow() if done else None,
                                 broken=done and rng.random() < 0.1, version=1))
        for rows, model in ((orders, Order), (lines, OrderLine), (promises, Promise)):
            for start in range(0, len(rows), 20_000):
                db.session.execute(insert(model), rows[start:start + 20_000])
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def main():
    with database() as url:
        run(url)


def run(url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "API_RATE_PER_MINUTE": 10**9})
    upgrade_schema(app)
    started = time.perf_counter()
    lead_funnel.fill(app)
    add_after_sale(app)
    with app.app_context():
        dialect = db.engine.dialect.name
    print(f"{dialect}: {lead_funnel.LEADS} leads, {lead_funnel.CUSTOMERS} customers, {lead_funnel.LEADS // 5} "
          f"orders and promises generated in {time.perf_counter() - started:.0f}s; "
          f"{lead_funnel.REPEAT} requests per endpoint")
    owner = {"Authorization": "Bearer " + token_of(app, "owner@bench.example")}
    seller = {"Authorization": "Bearer " + token_of(app, "seller0@bench.example")}
    deep_customer = lead_funnel.CUSTOMERS - 200
    deep_promise = max(0, lead_funnel.LEADS // 5 - 5_000)
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
        "promises, page 1 (50)": (owner, "/api/v1/promises?limit=50"),
        "promises, all, deep (50)": (owner, f"/api/v1/promises?limit=50&show=all&cursor={encode_cursor(deep_promise)}"),
        "promises, overdue (50)": (owner, "/api/v1/promises?limit=50&show=overdue"),
        "promises of a customer": (owner, f"/api/v1/promises?show=all&customer_id={deep_customer}"),
        "promises, seller's own (50)": (seller, "/api/v1/promises?limit=50"),
        "promise detail": (owner, f"/api/v1/promises/{min(1234, lead_funnel.LEADS // 5)}"),
        "orders, page 1 (50)": (owner, "/api/v1/orders?limit=50"),
        "figures, this month": (owner, "/api/v1/figures"),
        "funnel, this month": (owner, "/api/v1/figures/funnel"),
        "wins per product, this month": (owner, "/api/v1/figures/products"),
        "wins per product, this year": (owner, f"/api/v1/figures/products?period={lead_funnel.date.today().year}"),
    }
    lead_funnel.settle_like_a_server()
    client = app.test_client()
    print(f"{'endpoint':32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, (headers, url) in endpoints.items():
        client.get(url, headers=headers)          # this minute's rate-limit window exists from here on
        p50, p95 = lead_funnel.measure(client, url, headers)
        print(f"{label:32} {p50:8.1f} {p95:8.1f} {queries_of(app, client, url, headers):8d}", flush=True)
    with app.app_context():
        db.engine.dispose()                       # PostgreSQL drops the database only once nobody is on it


if __name__ == "__main__":
    main()
