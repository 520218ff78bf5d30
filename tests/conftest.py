"""Fixtures: one app per test run on a fresh database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
emptied after every test, plus factories and a sign-in helper."""
import os
import re
import uuid
from contextlib import contextmanager
from html import unescape

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from app import create_app, upgrade_schema
from config import _normalise_database_url
from extensions import db
from models import Customer, Tag, User

PASSWORD = "a long enough password"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "mostrador-test.db")
        return
    # A brand-new database for this run, dropped at the end: no run sees another's leftovers.
    url = make_url(_normalise_database_url(server))
    name = f"mostrador_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "tests-only-" + uuid.uuid4().hex,
        "WTF_CSRF_ENABLED": False,
        # One cheap hash round instead of scrypt's 0.1 s: the suite makes and signs in thousands of accounts.
        # test_accounts checks that the shop's own setting (none) hashes with scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    })
    # Files the tests upload, back up or restore stay out of the checkout's own instance folder (and out of a
    # second suite's, running at the same time against the other database).
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    upgrade_schema(app)  # the real migrations build the test schema
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_database(app):
    yield
    empty_database(app)


def empty_database(app):
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # TRUNCATE of every table costs a third of a second per test (new files for each table): empty
                # only the tables the test wrote to, and start every id sequence at 1 again, as SQLite does.
                written = set(connection.execute(text(" UNION ALL ".join(
                    f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables))).scalars())
                tables = [t for t in tables if t in written]
                connection.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                                        "ON n.oid = c.relnamespace WHERE c.relkind = 'S' "
                                        "AND n.nspname = current_schema()"))
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _detached(obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(role="seller", name=None, email=None, password=PASSWORD, active=True, language=None):
        n = next(counter)
        with app.app_context():
            user = User(name=name or f"{role.title()} {n}", email=email or f"{role}{n}@shop.example",
                        role=role, active=active, language=language)
            if password:
                user.set_password(password)
            db.session.add(user)
            db.session.commit()
            return _detached(user)

    return make


@pytest.fixture
def make_customer(app):
    def make(name="Ana García", tags=(), **fields):
        with app.app_context():
            customer = Customer(name=name, **fields)
            customer.tags = [db.session.query(Tag).filter_by(name=t).one_or_none() or Tag(name=t) for t in tags]
            customer.refresh_phone_digits()
            db.session.add(customer)
            db.session.commit()
            return _detached(customer)

    return make


@pytest.fixture
def fetch(app):
    """Read a row fresh from the database, as the next request would see it."""

    def get(model, ident):
        with app.app_context():
            obj = db.session.get(model, ident)
            return _detached(obj) if obj is not None else None

    return get


def login(client, user, password=PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


@pytest.fixture
def owner(make_user):
    return make_user("owner", name="Olga Owner")


@pytest.fixture
def seller(make_user):
    return make_user("seller", name="Sam Seller")


@pytest.fixture
def support(make_user):
    return make_user("support", name="Sue Support")


@pytest.fixture
def as_owner(client, owner):
    login(client, owner)
    return client


@pytest.fixture
def as_seller(client, owner, seller):
    login(client, seller)
    return client


@pytest.fixture
def count_queries(app):
    """Usage: with count_queries() as queries: ...; len(queries) is the number of SQL statements run."""

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


def text_of(response):
    """The visible text of an HTML response, tags stripped and spaces collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def make_lead(app):
    """make_lead(customer, seller, title=..., stage="New", value=...): a lead placed in its stage."""

    def make(customer, seller=None, title="E-bike for commuting", stage=None, value=None, source="walk_in",
             **fields):
        from decimal import Decimal

        from models import Lead
        from sales.leads.rules import refresh_priority
        from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage

        with app.test_request_context():
            stages = {s.shown_name: s for s in ensure_default_stages()}
            lead = Lead(customer_id=customer.id, title=title, source=source, seller_id=seller.id if seller else None,
                        estimated_value=Decimal(str(value)) if value is not None else None, **fields)
            db.session.add(lead)
            start_in_stage(lead, stages["New"])
            if stage and stage != "New":
                move_to_stage(lead, stages[stage])
            db.session.flush()
            refresh_priority(lead)
            db.session.commit()
            return _detached(lead)

    return make


def stage_id(app, name):
    from models import PipelineStage

    with app.test_request_context():
        from sales.leads.stages import ensure_default_stages

        ensure_default_stages()
        db.session.commit()
        # The name as an English reader sees it (the shop's own, `name`, is in the shop's language).
        [found] = [s.id for s in db.session.query(PipelineStage) if name in (s.name, s.shown_name)]
        return found


@pytest.fixture
def smtp_settings(app, monkeypatch):
    """Point the app at an SMTP server on `port` (a real one started by the test, or nothing at all)."""

    def point(port, user=None, password=None):
        for key, value in {"MAIL_BACKEND": "smtp", "MAIL_HOST": "127.0.0.1", "MAIL_PORT": port, "MAIL_TLS": "none",
                           "MAIL_USER": user, "MAIL_PASSWORD": password, "MAIL_TIMEOUT": 5,
                           "MAIL_FROM": "shop@ruedalibre.example"}.items():
            monkeypatch.setitem(app.config, key, value)

    return point


@pytest.fixture
def sent_quote(app):
    """sent_quote(customer, seller) -> quote id of a sent (binding) one-line quotation."""

    def make(customer, seller):
        from decimal import Decimal

        from models import Product
        from sales.quotes import rules

        with app.test_request_context():
            product = Product(code=f"EB{customer.id}", name="E-bike City", unit_price=Decimal("2199.00"),
                              tax_rate=Decimal("21"))
            db.session.add(product)
            quote, revision = rules.new_quote(db.session.get(Customer, customer.id), seller.id)
            rules.set_lines(revision, [dict(product_id=None, description="E-bike City", quantity=Decimal(1),
                                            unit_price=Decimal("2199.00"), discount_percent=Decimal(0),
                                            tax_rate=Decimal("21"))])
            rules.send(revision)
            db.session.commit()
            return quote.id

    return make
