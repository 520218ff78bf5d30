"""The quote PDF through the Flask test client: a sent revision (staff and public link) and a draft.

Prints p50/p95 in ms and SQL queries per request. Run with `python bench/quote_pdf.py` (BENCH_REPEAT).
"""
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402
from models import Customer, Product, User  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", 40))
PASSWORD = "bench password"


def new_quote(client, customer_id, product_id):
    response = client.post(f"/quotes/new?customer_id={customer_id}", data={
        "customer_id": str(customer_id), "lead_id": "0",
        "valid_until": (date.today() + timedelta(days=30)).isoformat(),
        **{f"lines-{i}-product_id": str(product_id) for i in range(8)},
        **{f"lines-{i}-quantity": "1" for i in range(8)}})
    assert response.status_code == 303, response.status_code
    return int(response.location.rsplit("/", 1)[1])


def main():
    workdir = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ.get("BENCH_DATABASE_URL")
                      or f"sqlite:///{workdir}/bench.db", "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    upgrade_schema(app)
    with app.app_context():
        owner = User(name="Owner", email="owner@bench.example", role="owner")
        owner.set_password(PASSWORD)
        customer = Customer(kind="person", name="Ana García", email="ana@bench.example", street="Calle Luna 1",
                            city="Sevilla", postal_code="41001")
        product = Product(code="EB1", name="E-bike City", unit_price=Decimal("2199.00"), tax_rate=Decimal("21"))
        db.session.add_all([owner, customer, product])
        db.session.commit()
        customer_id, product_id = customer.id, product.id
    client = app.test_client()
    client.post("/login", data={"email": "owner@bench.example", "password": PASSWORD})
    sent = new_quote(client, customer_id, product_id)
    client.post(f"/quotes/{sent}/send")
    public = re.search(r'value="http://localhost(/quotes/q/[^"]+)"',
                       client.get(f"/quotes/{sent}").get_data(as_text=True)).group(1)
    draft = new_quote(client, customer_id, product_id)
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))
    print(f"{REPEAT} requests per page")
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5} {'bytes':>7}")
    for label, url, who in (("sent revision (staff)", f"/quotes/{sent}/r/1.pdf", client),
                            ("sent revision (public)", public + ".pdf", app.test_client()),
                            ("draft (staff)", f"/quotes/{draft}/r/1.pdf", client)):
        timings = []
        for _ in range(REPEAT):
            statements.clear()
            start = time.perf_counter()
            response = who.get(url)
            body = response.get_data()
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200 and body.startswith(b"%PDF"), (url, response.status_code)
        timings.sort()
        print(f"{label:28} {statistics.median(timings):8.1f} {timings[int(len(timings) * 0.95) - 1]:8.1f} "
              f"{len(statements):5d} {len(body):7d}")


if __name__ == "__main__":
    main()
