"""How fast the customer list answers on a big shop: 100 000 customers in SQLite.

Prints p50/p95 per page over repeated requests through the Flask test client (no network), so the numbers
measure the app and the database. Run with `make bench`.
"""
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402
from models import Customer, Tag, User, customer_tags, utcnow  # noqa: E402

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 100_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 60))
PASSWORD = "bench password"


def fill(app):
    rng = random.Random(1)
    with app.app_context():
        seller = User(name="Bench Seller", email="bench@shop.example", role="seller")
        seller.set_password(PASSWORD)
        db.session.add(seller)
        db.session.add_all(Tag(name=f"tag{i}") for i in range(30))
        db.session.commit()
        now = utcnow()
        rows, links = [], []
        for i in range(1, CUSTOMERS + 1):
            phone = f"6{rng.randint(10000000, 99999999)}"
            rows.append(dict(id=i, kind="person", name=f"Cliente {rng.randint(0, 10**9):09d}",
                             email=f"c{i}@bench.example", mobile=phone, phone_digits=phone,
                             city=rng.choice(["Madrid", "Toledo", "Getafe"]), owner_id=seller.id,
                             created_at=now, updated_at=now, version=1))
            links.append(dict(customer_id=i, tag_id=rng.randint(1, 30)))
            if len(rows) == 10_000:
                db.session.execute(insert(Customer), rows)
                db.session.execute(insert(customer_tags), links)
                rows, links = [], []
        if rows:
            db.session.execute(insert(Customer), rows)
            db.session.execute(insert(customer_tags), links)
        db.session.commit()
        # Bulk inserts skip the write path that keeps the search index current: build it as migration 0014 does.
        from sales.search_index import rebuild

        rebuild(db.session.connection())
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))


def measure(client, url):
    timings = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main():
    workdir = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.db", "SECRET_KEY": "bench"})
    upgrade_schema(app)
    started = time.perf_counter()
    fill(app)
    print(f"{CUSTOMERS} customers generated in {time.perf_counter() - started:.1f}s; {REPEAT} requests per page")
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"email": "bench@shop.example", "password": PASSWORD})
    pages = {
        "list, page 1": "/customers/",
        "list, page 2000 (deep)": "/customers/?page=2000",
        "search by name": "/customers/?q=cliente%2012",
        "search by phone": "/customers/?q=612",
        "filter by tag": "/customers/?tag=tag7",
        "htmx fragment, page 1": "/customers/",
        "customer detail": "/customers/5000",
    }
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8}")
    for label, url in pages.items():
        if label.startswith("htmx"):
            client.environ_base["HTTP_HX_REQUEST"] = "true"
        p50, p95 = measure(client, url)
        client.environ_base.pop("HTTP_HX_REQUEST", None)
        print(f"{label:28} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
