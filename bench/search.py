"""The global search on a big shop: 100 000 customers, 100 000 leads, 20 000 tickets (plus quotes, orders and
products), on SQLite or on PostgreSQL.

Prints, per search, p50/p95 in ms and the number of SQL queries of `search_everything()` (the function behind
the header's search box), as the owner and as a seller (whose leads, quotes and tickets are filtered), and the
same for the whole /search page through the Flask test client. Target: p95 < 20 ms, at most 5 queries.

    python bench/search.py                                        # SQLite, in a temporary folder
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/search.py   # a throwaway database

BENCH_CUSTOMERS, BENCH_LEADS, BENCH_TICKETS and BENCH_REPEAT change the sizes.
"""
import os
import random
import statistics
import sys
import tempfile
import time
import timeit
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app, upgrade_schema  # noqa: E402
from config import _normalise_database_url  # noqa: E402
from extensions import db  # noqa: E402
from models import Customer, Lead, Order, Product, Quote, Ticket, User  # noqa: E402

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 100_000))
LEADS = int(os.environ.get("BENCH_LEADS", 100_000))
TICKETS = int(os.environ.get("BENCH_TICKETS", 20_000))
QUOTES = CUSTOMERS // 20
REPEAT = int(os.environ.get("BENCH_REPEAT", 60))
PASSWORD = "bench password"

FIRST = ["Lucía", "María", "José", "Ana", "Pedro", "Marta", "Juan", "Carmen", "Javier", "Laura", "Álvaro", "Inés",
         "Raúl", "Sofía", "Andrés", "Begoña", "Íñigo", "Nuria", "Óscar", "Rocío"]
LAST = ["García", "López", "Domínguez", "Gutiérrez", "Martínez", "Sánchez", "Pérez", "Gómez", "Fernández", "Díaz",
        "Muñoz", "Álvarez", "Romero", "Jiménez", "Ruiz", "Hernández", "Núñez", "Iglesias", "Castaño", "Ibáñez"]
COMPANY = ["Talleres", "Bicis", "Club Ciclista", "Transportes", "Hermanos", "Deportes"]
WANTS = ["Bici eléctrica de paseo", "Bicicleta de montaña", "Cargo eléctrica para reparto", "Flota de bicis",
         "Gravel de carbono", "Revisión anual", "Bici infantil", "Patinete eléctrico", "Casco y candado",
         "Bici plegable para el tren"]
TROUBLES = ["Freno que chirría", "Cambio que salta", "Batería que no carga", "Pinchazo repetido",
            "Ruido en el pedalier", "Rueda descentrada", "Display sin señal", "Cadena que se sale"]

SEARCHES = ["garcia", "dominguez", "GUTIÉRREZ", "lopez mar", "electrica", "91 149", "+34 612 3", "Q-2026-0042",
            "T-00042", "freno chirria", "bici", "nuñez ines"]


def throwaway_postgresql(server):
    url = make_url(_normalise_database_url(server))
    name = f"mostrador_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def fill(app):
    """The shop, written with bulk inserts, then the search index built once (as migration 0014 does)."""
    from sales import phones, search_index

    rng = random.Random(13)
    now = datetime(2026, 11, 20, 10, 0)
    with app.test_request_context():
        from sales.leads.stages import ensure_default_stages

        stage_ids = [s.id for s in ensure_default_stages()]
        owner = User(name="Owner", email="owner@bench.example", role="owner")
        owner.set_password(PASSWORD)
        sellers = [User(name=f"Seller {i}", email=f"seller{i}@bench.example", role="seller") for i in range(6)]
        sellers[0].set_password(PASSWORD)
        db.session.add_all([owner, *sellers])
        db.session.commit()
        seller_ids = [s.id for s in sellers]

        def batches(rows, size=10_000):
            for start in range(0, len(rows), size):
                yield rows[start:start + size]

        customers = []
        for i in range(1, CUSTOMERS + 1):
            if rng.random() < 0.2:
                name = f"{rng.choice(COMPANY)} {rng.choice(LAST)}"
            else:
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
            number = f"+34{rng.choice('69')}{rng.randint(10000000, 99999999)}"
            customers.append(dict(id=i, kind="person", name=name, email=f"cliente{i}@correo.example",
                                  mobile=number, phone_digits=phones.search_digits(number),
                                  city=rng.choice(["Madrid", "Toledo", "Getafe", "Alcalá"]),
                                  owner_id=rng.choice(seller_ids), created_at=now, updated_at=now, version=1))
        customers[41]["phone"] = "+34911491978"
        customers[41]["phone_digits"] = phones.search_digits("+34911491978", customers[41]["mobile"])
        for batch in batches(customers):
            db.session.execute(insert(Customer), batch)
        leads = [dict(id=i, customer_id=rng.randint(1, CUSTOMERS), title=f"{rng.choice(WANTS)} {i}",
                      source="walk_in", estimated_value=rng.randint(50, 20000), seller_id=rng.choice(seller_ids),
                      stage_id=rng.choice(stage_ids), stage_entered_at=now, priority=rng.randint(0, 100),
                      qualification="pending", competitor_involved=False, created_at=now, updated_at=now,
                      version=1) for i in range(1, LEADS + 1)]
        for batch in batches(leads):
            db.session.execute(insert(Lead), batch)
        tickets = [dict(id=i, customer_id=rng.randint(1, CUSTOMERS), title=rng.choice(TROUBLES), kind="repair",
                        priority="normal", status=rng.choice(["new", "in_progress", "resolved"]),
                        due_at=now + timedelta(hours=48), public_token=uuid.uuid4().hex, created_at=now,
                        updated_at=now, version=1) for i in range(1, TICKETS + 1)]
        for batch in batches(tickets):
            db.session.execute(insert(Ticket), batch)
        quotes = [dict(id=i, number=f"Q-2026-{i:04d}", customer_id=rng.randint(1, CUSTOMERS),
                       seller_id=rng.choice(seller_ids), created_at=now, updated_at=now, version=1)
                  for i in range(1, QUOTES + 1)]
        for batch in batches(quotes):
            db.session.execute(insert(Quote), batch)
        orders = [dict(id=i, number=f"O-2026-{i:04d}", customer_id=quotes[i - 1]["customer_id"],
                       seller_id=quotes[i - 1]["seller_id"], ordered_on=date(2026, 10, 1), currency="EUR",
                       created_at=now, updated_at=now, version=1) for i in range(1, QUOTES // 3 + 1)]
        for batch in batches(orders):
            db.session.execute(insert(Order), batch)
        db.session.execute(insert(Product), [dict(id=i, code=f"P{i:04d}", name=f"{rng.choice(WANTS)} modelo {i}",
                                                  unit_price=rng.randint(20, 4000), created_at=now, updated_at=now,
                                                  version=1) for i in range(1, 301)])
        db.session.commit()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            indexed = search_index.rebuild(connection)
        built = time.perf_counter() - started
        # What autovacuum leaves a table in after a bulk write (PostgreSQL: dead rows of the rebuild gone, GIN
        # pending lists merged), so the searches meet a settled index, as in a shop.
        # And a checkpoint: the bulk load leaves ~500 MB of WAL, whose spread checkpoint otherwise writes the
        # dirty pages out during the measurement (74 s of it in one run on this machine's disk).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("VACUUM ANALYZE"))
                connection.execute(text("CHECKPOINT"))
            else:
                connection.execute(text("ANALYZE"))
        return owner.id, seller_ids[0], indexed, built


def timed(call):
    """(p50 ms, p95 ms, queries of one call) over REPEAT calls."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    timings = []
    for attempt in range(REPEAT):
        if attempt == REPEAT - 1:
            event.listen(db.engine, "before_cursor_execute", count)
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    event.remove(db.engine, "before_cursor_execute", count)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(statements)


def main():
    server = os.environ.get("BENCH_DATABASE_URL")
    drop = None
    if server:
        url, drop = throwaway_postgresql(server)
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    try:
        upgrade_schema(app)
        started = time.perf_counter()
        owner_id, seller_id, indexed, built = fill(app)
        import gc

        gc.collect()
        gc.freeze()
        with app.app_context():
            dialect = db.engine.dialect.name
        print(f"{dialect}: {CUSTOMERS} customers, {LEADS} leads, {TICKETS} tickets, {QUOTES} quotes, "
              f"{QUOTES // 3} orders, 300 products generated in {time.perf_counter() - started:.0f}s; "
              f"index of {indexed} records built in {built:.1f}s; {REPEAT} runs per search")
        from sales.global_search import search_everything

        # A yardstick for how fast this machine is at the moment (runs differ 2-3x between machines and loads):
        # one statement that does nothing, and a fixed piece of pure Python.
        with app.app_context():
            p50, p95, _ = timed(lambda: db.session.execute(text("SELECT 1")).all())
        python_ms = min(timeit.repeat(lambda: sum(i * i for i in range(100_000)), number=1, repeat=5)) * 1000
        print(f"yardstick: SELECT 1 p50 {p50:.2f} ms, p95 {p95:.2f} ms; 100 000 squares summed in Python "
              f"{python_ms:.1f} ms")

        print(f"{'search_everything()':24} {'as':7} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'hits':>5}")
        for who, user_id in (("owner", owner_id), ("seller", seller_id)):
            with app.test_request_context():
                user = db.session.get(User, user_id)
                for typed in SEARCHES:
                    hits = sum(len(group) for _label, group in search_everything(user, typed))
                    p50, p95, queries = timed(lambda: search_everything(user, typed))
                    print(f"{typed:24} {who:7} {p50:8.1f} {p95:8.1f} {queries:8d} {hits:5d}")
        client = app.test_client()
        client.post("/login", data={"email": "owner@bench.example", "password": PASSWORD})
        print(f"{'/search page (owner)':32} {'p50 ms':>8} {'p95 ms':>8}")
        with app.app_context():
            for typed in SEARCHES[:4]:
                p50, p95, _queries = timed(lambda: client.get("/search", query_string={"q": typed}).get_data())
                print(f"{typed:32} {p50:8.1f} {p95:8.1f}")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if drop:
            drop()


if __name__ == "__main__":
    main()
