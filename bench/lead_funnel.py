"""The lead funnel on a big shop: 100 000 leads and 1 000 000 contact-log entries in SQLite.

Measures the pipeline board, the lead list (filtered and searched), My day and a customer timeline through
the Flask test client, and prints p50/p95 per page. Run with `python bench/lead_funnel.py`
(BENCH_LEADS, BENCH_CONTACTS, BENCH_REPEAT change the sizes). Generating the data takes a minute or two.
"""
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402
from models import ContactLog, Customer, Lead, StageChange, User  # noqa: E402

LEADS = int(os.environ.get("BENCH_LEADS", 100_000))
CONTACTS = int(os.environ.get("BENCH_CONTACTS", 1_000_000))
CUSTOMERS = max(1, LEADS // 2)
REPEAT = int(os.environ.get("BENCH_REPEAT", 40))
PASSWORD = "bench password"


def fill(app):
    rng = random.Random(3)
    now = datetime.now().replace(microsecond=0)
    today = date.today()
    with app.test_request_context():
        from sales.leads.stages import ensure_default_stages

        stages = ensure_default_stages()
        sellers = []
        for i in range(8):
            user = User(name=f"Seller {i}", email=f"seller{i}@bench.example", role="seller")
            user.set_password(PASSWORD) if i == 0 else None
            db.session.add(user)
            sellers.append(user)
        owner = User(name="Owner", email="owner@bench.example", role="owner")
        owner.set_password(PASSWORD)
        db.session.add(owner)
        db.session.commit()
        seller_ids = [s.id for s in sellers]
        stage_ids = [s.id for s in stages]

        def batches(rows, size=20_000):
            for start in range(0, len(rows), size):
                yield rows[start:start + size]

        customers = [dict(id=i, kind="person", name=f"Cliente {rng.randint(0, 10**9):09d}",
                          email=f"c{i}@bench.example", mobile=f"6{i:08d}", phone_digits=f"6{i:08d}",
                          owner_id=rng.choice(seller_ids), created_at=now, updated_at=now, version=1)
                     for i in range(1, CUSTOMERS + 1)]
        for batch in batches(customers):
            db.session.execute(insert(Customer), batch)
        leads, changes = [], []
        for i in range(1, LEADS + 1):
            stage_id = rng.choice(stage_ids)
            leads.append(dict(id=i, customer_id=rng.randint(1, CUSTOMERS), title=f"Oportunidad {i}",
                              source=rng.choice(("walk_in", "phone", "web_form", "referral")),
                              estimated_value=rng.randint(50, 20000), seller_id=rng.choice(seller_ids),
                              stage_id=stage_id, stage_entered_at=now, priority=rng.randint(0, 100),
                              qualification="pending", competitor_involved=False,
                              created_at=now, updated_at=now, version=1))
            changes.append(dict(lead_id=i, from_stage_id=None, to_stage_id=stage_id, changed_at=now))
        for batch in batches(leads):
            db.session.execute(insert(Lead), batch)
        for batch in batches(changes):
            db.session.execute(insert(StageChange), batch)
        db.session.commit()
        rows = []
        for i in range(1, CONTACTS + 1):
            lead_id = rng.randint(1, LEADS)
            due = today + timedelta(days=rng.randint(-20, 20)) if rng.random() < 0.2 else None
            rows.append(dict(customer_id=leads[lead_id - 1]["customer_id"], lead_id=lead_id,
                             user_id=rng.choice(seller_ids), channel="call",
                             happened_at=now - timedelta(minutes=rng.randint(0, 500_000)), goal="Seguimiento",
                             next_step="Llamar" if due else None, next_step_due=due,
                             created_at=now, updated_at=now, version=1))
            if len(rows) == 50_000:
                db.session.execute(insert(ContactLog), rows)
                rows = []
        if rows:
            db.session.execute(insert(ContactLog), rows)
        db.session.commit()
        # Bulk inserts skip the write path that keeps the search index current: build it as migration 0014 does.
        from sales.search_index import rebuild

        rebuild(db.session.connection())
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        return seller_ids[0]


def settle_like_a_server():
    """Collect what the generator left behind and freeze the rest, as wsgi.py does after start-up: otherwise
    full garbage collections over the generator's millions of leftovers land in random requests."""
    import gc

    gc.collect()
    gc.freeze()


def measure(client, url, headers=None):
    """p50 and p95 in ms of REPEAT requests; the whole body is read, so a streamed CSV is timed to its end."""
    timings = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        response.get_data()
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        response.close()
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)]


def main():
    workdir = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.db", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    upgrade_schema(app)
    started = time.perf_counter()
    fill(app)
    print(f"{LEADS} leads, {CONTACTS} contacts, {CUSTOMERS} customers generated in "
          f"{time.perf_counter() - started:.0f}s; {REPEAT} requests per page")
    pages = {
        "board (owner, all sellers)": ("owner@bench.example", "/leads/board"),
        "board (one seller)": ("seller0@bench.example", "/leads/board"),
        "list, page 1 (owner)": ("owner@bench.example", "/leads/"),
        "list filtered: stage+source": ("owner@bench.example", "/leads/?stage=3&source=web_form"),
        "list filtered: priority high": ("owner@bench.example", "/leads/?priority=high"),
        "list searched: 'oportunidad 99'": ("owner@bench.example", "/leads/?q=oportunidad%2099"),
        "list, seller's own": ("seller0@bench.example", "/leads/"),
        "My day (seller)": ("seller0@bench.example", "/leads/my-day"),
        "customer timeline": ("owner@bench.example", "/customers/777"),
        "lead detail": ("owner@bench.example", "/leads/1234"),
    }
    settle_like_a_server()
    clients = {}
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8}")
    for label, (email, url) in pages.items():
        if email not in clients:
            clients[email] = app.test_client()
            clients[email].post("/login", data={"email": email, "password": PASSWORD})
        p50, p95 = measure(clients[email], url)
        print(f"{label:34} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
