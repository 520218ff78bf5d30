"""Management reports on a big shop: 100 000 leads, 1 000 000 contacts (bench/lead_funnel.py's data set), plus
a stage history for every lead, 60 000 orders with their lines, 20 000 answered surveys, goals and rules.

Measures the dashboard and every report through the Flask test client and prints p50/p95 per page.
Run with `python bench/management.py` (BENCH_LEADS, BENCH_CONTACTS, BENCH_ORDERS, BENCH_REPEAT change sizes).
"""
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import bindparam, delete, insert, select, text, update  # noqa: E402

import lead_funnel  # noqa: E402  (its generator builds the leads, customers and contacts)
from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402
from models import (CommissionRule, Goal, Lead, Order, OrderLine, PipelineStage, Product, StageChange,  # noqa: E402
                    Survey, User)

ORDERS = int(os.environ.get("BENCH_ORDERS", 60_000))
SURVEYS = int(os.environ.get("BENCH_SURVEYS", 20_000))
CATEGORIES = ("Bicicletas", "Eléctricas", "Accesorios", "Taller")


def add_history(app):
    """Give every lead a believable past: created up to 200 days ago, walked stage by stage to where it is."""
    rng = random.Random(11)
    now = datetime.now().replace(microsecond=0)
    with app.app_context():
        stages = db.session.scalars(select(PipelineStage).order_by(PipelineStage.position)).all()
        open_ids = [s.id for s in stages if s.kind == "open"]
        kind = {s.id: s.kind for s in stages}
        leads = db.session.execute(select(Lead.id, Lead.stage_id, Lead.estimated_value)).all()
        db.session.execute(delete(StageChange))
        changes, updates = [], []
        for lead_id, stage_id, value in leads:
            created = now - timedelta(days=rng.uniform(0, 200))
            if kind[stage_id] == "open":
                path = open_ids[:open_ids.index(stage_id) + 1]
            else:
                path = open_ids[:rng.randint(1, len(open_ids))] + [stage_id]
            when, previous, entered = created, None, None
            for step in path:
                changes.append(dict(lead_id=lead_id, from_stage_id=previous, to_stage_id=step, changed_at=when,
                                    from_stage_entered_at=entered))
                previous, entered = step, when
                when = min(now, when + timedelta(days=rng.expovariate(1 / 6)))
            closed = changes[-1]["changed_at"] if kind[stage_id] != "open" else None
            updates.append(dict(lead_id=lead_id, created_at=created, stage_entered_at=changes[-1]["changed_at"],
                                closed_at=closed, won_amount=value if kind[stage_id] == "won" else None))
            if len(changes) > 50_000:
                db.session.execute(insert(StageChange), changes)
                changes = []
        if changes:
            db.session.execute(insert(StageChange), changes)
        # Core UPDATE … WHERE id = :lead_id, run as one executemany (the ORM bulk path wants the version).
        table = Lead.__table__
        statement = update(table).where(table.c.id == bindparam("lead_id"))
        for start in range(0, len(updates), 20_000):
            db.session.execute(statement, updates[start:start + 20_000])
        db.session.commit()
        return len(leads)


def add_sales(app):
    rng = random.Random(12)
    today = date.today()
    with app.app_context():
        sellers = db.session.scalars(select(User.id).where(User.role == "seller")).all()
        customers = db.session.scalar(text("SELECT max(id) FROM customers"))
        products = []
        for n in range(40):
            product = Product(code=f"P{n:03d}", name=f"Producto {n}", category=CATEGORIES[n % 4],
                              unit_price=Decimal(rng.randint(20, 3000)))
            db.session.add(product)
            products.append(product)
        db.session.flush()
        prices = [(p.id, p.unit_price) for p in products]
        orders, lines = [], []
        for n in range(1, ORDERS + 1):
            picked = [rng.choice(prices) for _ in range(rng.randint(1, 3))]
            subtotal = sum(price for _id, price in picked)
            orders.append(dict(id=n, number=f"O-B{n:06d}", customer_id=rng.randint(1, customers),
                               seller_id=rng.choice(sellers), ordered_on=today - timedelta(days=rng.randint(0, 730)),
                               currency="EUR", subtotal=subtotal, tax_total=subtotal * Decimal("0.21"),
                               total=subtotal * Decimal("1.21"), created_at=datetime.now(), updated_at=datetime.now(),
                               version=1))
            lines.extend(dict(order_id=n, position=i, product_id=pid, description="x", quantity=1, unit_price=price,
                              discount_percent=0, tax_rate=21, line_total=price) for i, (pid, price) in enumerate(picked))
        for start in range(0, ORDERS, 20_000):
            db.session.execute(insert(Order), orders[start:start + 20_000])
        for start in range(0, len(lines), 20_000):
            db.session.execute(insert(OrderLine), lines[start:start + 20_000])
        now = datetime.now()
        surveys = [dict(token=f"bench-{n}", customer_id=rng.randint(1, customers), seller_id=rng.choice(sellers),
                        created_at=now, answered_at=now - timedelta(days=rng.randint(0, 365)),
                        expectation=rng.randint(1, 5), experience=rng.randint(1, 5), csat=rng.randint(1, 5),
                        nps=rng.randint(0, 10)) for n in range(SURVEYS)]
        db.session.execute(insert(Survey), surveys)
        from sales.management.periods import period_of

        for seller_id in sellers:
            for metric, target in (("revenue", 400_000), ("deals_won", 150), ("new_leads", 400), ("contacts", 3000)):
                db.session.add(Goal(seller_id=seller_id, period=period_of("month", today).key, metric=metric,
                                    target=Decimal(target)))
        db.session.add(CommissionRule(percent=Decimal("3"), threshold=Decimal("20000")))
        db.session.add(CommissionRule(category="Eléctricas", percent=Decimal("5")))
        from sales.management.segments import save

        save("Madrid, gastó más de 1 000 €", {"min_spent": "1000", "purchased_within_days": 365})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def add_team(app):
    """Half the sellers in one team, managed by one of them (not seller0, the pages' plain seller): the reports'
    ?scope=team-…, and a manager's default. Returns (team id, the manager's email)."""
    from models import Branch, Team

    with app.app_context():
        branch = Branch(name="Bench branch")
        db.session.add(branch)
        db.session.flush()
        team = Team(name="Bench team", branch_id=branch.id)
        db.session.add(team)
        db.session.flush()
        sellers = db.session.scalars(select(User).where(User.role == "seller").order_by(User.id)).all()
        for person in sellers[:len(sellers) // 2]:
            person.team_id = team.id
        sellers[1].manages_team = True
        sellers[1].set_password(lead_funnel.PASSWORD)   # the generator gives only seller0 a password
        db.session.commit()
        return team.id, sellers[1].email


def main():
    workdir = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.db", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    upgrade_schema(app)
    started = time.perf_counter()
    lead_funnel.fill(app)
    leads = add_history(app)
    add_sales(app)
    print(f"{leads} leads with their stage history, {lead_funnel.CONTACTS} contacts, {ORDERS} orders, {SURVEYS} "
          f"surveys generated in {time.perf_counter() - started:.0f}s; {lead_funnel.REPEAT} requests per page")
    team_id, manager = add_team(app)
    owner, seller = "owner@bench.example", "seller0@bench.example"
    pages = {
        "dashboard (owner)": (owner, "/"),
        "dashboard (seller)": (seller, "/"),
        "goals, this month (owner)": (owner, "/manage/goals"),
        "performance, this month (owner)": (owner, "/manage/performance"),
        "performance, this quarter (owner)": (owner, "/manage/performance?kind=quarter"),
        "performance, this year (owner)": (owner, "/manage/performance?kind=year"),
        "performance (seller)": (seller, "/manage/performance"),
        "funnel, this month (owner)": (owner, "/manage/funnel"),
        "funnel, this quarter (owner)": (owner, "/manage/funnel?kind=quarter"),
        "funnel, this year (owner)": (owner, "/manage/funnel?kind=year"),
        "funnel, this quarter (seller)": (seller, "/manage/funnel?kind=quarter"),
        "funnel: sellers compared, this month": (owner, "/manage/funnel?compare=1"),
        "funnel: sellers compared, this quarter": (owner, "/manage/funnel?kind=quarter&compare=1"),
        "commissions, this year (owner)": (owner, "/manage/commissions?kind=year"),
        "segments (saved, with counts)": (owner, "/manage/segments"),
        "segment builder: live count": (owner, "/manage/segments/count?tag=vip&min_spent=500&not_bought_category=Taller"),
        "segment page (first 50)": (owner, "/manage/segments/1"),
        "loyalty: due to buy again": (owner, "/manage/loyalty"),
        "loyalty: lapsed": (owner, "/manage/loyalty?list=lapsed"),
        "loyalty: best customers (RFM)": (owner, "/manage/loyalty?list=best"),
        "loyalty: cross-sell": (owner, "/manage/loyalty?list=cross_sell&bought=Bicicletas&never=Taller"),
        "goals, this month (a team)": (owner, f"/manage/goals?scope=team-{team_id}"),
        "funnel, this quarter (a team)": (owner, f"/manage/funnel?kind=quarter&scope=team-{team_id}"),
        "funnel, this quarter (its manager)": (manager, "/manage/funnel?kind=quarter"),
        "commissions, this year (a team)": (owner, f"/manage/commissions?kind=year&scope=team-{team_id}"),
        "wins per product, this year (shop)": (owner, "/manage/products?kind=year"),
        "wins per product, this year (a team)": (owner, f"/manage/products?kind=year&scope=team-{team_id}"),
        "CSV: performance, this year": (owner, "/manage/performance.csv?kind=year"),
        "CSV: segment (all customers)": (owner, "/manage/segments/1.csv"),
    }
    lead_funnel.settle_like_a_server()
    clients = {}
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8}")
    for label, (email, url) in pages.items():
        if email not in clients:
            clients[email] = app.test_client()
            clients[email].post("/login", data={"email": email, "password": lead_funnel.PASSWORD})
        p50, p95 = lead_funnel.measure(clients[email], url)
        print(f"{label:40} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
