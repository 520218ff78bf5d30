"""The fault suite's pieces: a real gunicorn (several workers, as `make run` serves it) on a throwaway SQLite file
or PostgreSQL database, killable with SIGKILL; a small form-speaking HTTP client (cookies, CSRF token); the
shop's people and a customer, written straight into that database."""
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import _normalise_database_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "a long enough password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The suite's own database, like every other test: SQLite, or PostgreSQL when TEST_DATABASE_URL names a server
# (CI runs the suite once on each, so each fault is tried once on each).
DATABASES = ["postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


@pytest.fixture(params=DATABASES)
def database(request, tmp_path):
    """A database URL with the schema and the shop's people in it."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path / "faults.db")
        yield seeded(url)
        return
    server = os.environ["TEST_DATABASE_URL"]
    base = make_url(_normalise_database_url(server))
    name = f"mostrador_faults_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield seeded(base.set(database=name).render_as_string(hide_password=False))
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Shop:
    def __init__(self, url, owner_email, seller_email, customer_id, seller_id):
        self.url, self.owner_email, self.seller_email = url, owner_email, seller_email
        self.customer_id, self.seller_id = customer_id, seller_id

    def query(self, sql, **params):
        engine = create_engine(_normalise_database_url(self.url))
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql), params).all()
        finally:
            engine.dispose()


def seeded(url):
    from app import create_app, upgrade_schema
    from extensions import db
    from models import Customer, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": _normalise_database_url(url), "SECRET_KEY": "faults"})
    upgrade_schema(app)
    with app.app_context():
        owner = User(name="Olga Owner", email="owner@faults.example", role="owner", language="es")
        # The shop writes Spanish: "1.250,00" and "49,90" are read by the seller's language.
        seller = User(name="Sam Seller", email="seller@faults.example", role="seller", language="es")
        for user in (owner, seller):
            user.set_password(PASSWORD)
        db.session.add_all([owner, seller])
        db.session.flush()
        customer = Customer(name="Ana García", email="ana@faults.example", owner_id=seller.id)
        db.session.add(customer)
        db.session.commit()
        shop = Shop(url, owner.email, seller.email, customer.id, seller.id)
        db.engine.dispose()
    return shop


class Server:
    """gunicorn serving wsgi:app in its own process group, so SIGKILL takes the master and its workers."""

    def __init__(self, database_url, workers=3, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "faults-shared-secret",
                    "MAIL_BACKEND": "local", **(env or {})}
        self.env.pop("TEST_DATABASE_URL", None)
        self.workers, self.process = workers, None

    def start(self):
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--no-control-socket", "--preload", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.process.stderr.read().decode()[-2000:])
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        self.kill()
        raise RuntimeError("gunicorn did not answer within 90 s")

    def kill(self):
        """kill -9 of the master and every worker at once, as a power cut would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process and self.process.stderr:
            self.process.stderr.close()


@pytest.fixture
def serve():
    """serve(shop, workers=3, env=None) → a started Server; every one is stopped at the end of the test."""
    started = []

    def start(shop, workers=3, env=None):
        server = Server(shop.url, workers, env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One person at a tablet: their own cookies, signed in, posting forms with the page's CSRF token."""

    def __init__(self, base):
        self.base, self.token = base, None
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  NoRedirect())

    def request(self, method, path, fields=None, timeout=60):
        """(status, location, body); status 0 when the connection broke (the server was killed)."""
        data = urllib.parse.urlencode(fields, doseq=True).encode() if fields is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.headers.get("Location"), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location"), error.read().decode()
        except (OSError, urllib.error.URLError):
            return 0, None, ""

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields):
        return self.request("POST", path, {**fields, "csrf_token": self.token})

    def sign_in(self, email):
        _status, _location, page = self.get("/login")
        self.token = csrf_token(page)
        status, _location, _body = self.post("/login", {"email": email, "password": PASSWORD})
        assert status == 303, f"sign-in answered {status}"
        _status, _location, page = self.get("/customers/")
        self.token = csrf_token(page)
        return self


def csrf_token(html):
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)
