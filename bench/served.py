"""Mostrador served as `make run` serves it, against the framework's ceiling in the same run: `make bench-served`.

1. Builds the lead-funnel data set with bulk inserts (bench/lead_funnel.py's generator, plus the demo's quotes),
   or reuses it: SQLite in BENCH_DIR (one file per size), or an empty PostgreSQL database in BENCH_DATABASE_URL.
2. Starts the app with the gunicorn command of `make run` (read from `make -n run`: two sync workers,
   --preload, access log) and bench/ceiling.py under the same command.
3. Signs in over HTTP like a browser (owner; a seller for My day), then for each page runs wrk on the ceiling
   and on the page, one after the other (BENCH_SECONDS each, BENCH_CONNECTIONS connections), so both figures
   come from the same minute of a machine whose load changes.
4. Prints per page req/s, p50/p99, the share of the ceiling, SQL queries and bytes (counted once through the
   Flask test client on the same database), and each worker's private memory at the end.

BENCH_LEADS (10 000), BENCH_CONTACTS (10 per lead), BENCH_SECONDS (5), BENCH_CONNECTIONS (4), BENCH_PAGES
(comma-separated labels, to run a few) change it. Needs wrk (apt-get install wrk).
"""
import os
import random
import re
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import event, func, insert, select, text  # noqa: E402

import lead_funnel  # noqa: E402
from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402
from models import (TICKET_KINDS, TICKET_PRIORITIES, TICKET_STATUSES, Customer, Lead, Quote,  # noqa: E402
                    QuoteRevision, Ticket, TicketMessage, User)

LEADS = int(os.environ.get("BENCH_LEADS", 10_000))
TICKETS = LEADS // 5     # the search issue's proportion: 20 000 tickets beside 100 000 leads
CONTACTS = int(os.environ.get("BENCH_CONTACTS", LEADS * 10))
SECONDS = int(os.environ.get("BENCH_SECONDS", 5))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 4))
BENCH_DIR = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "mostrador-bench"))
SECRET_KEY = "bench-served"
USER_AGENT = "mostrador-bench"   # the same for signing in and for wrk: Flask-Login's session protection


def database_url():
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith(("postgres://", "postgresql://")) \
            else url
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{BENCH_DIR}/served-{LEADS}-{CONTACTS}.db"


def prepare(url):
    """The data set, built once: the lead funnel's leads, customers and contact log, and the demo's quotes."""
    lead_funnel.LEADS, lead_funnel.CONTACTS, lead_funnel.CUSTOMERS = LEADS, CONTACTS, max(1, LEADS // 2)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "WTF_CSRF_ENABLED": False})
    upgrade_schema(app)
    with app.app_context():
        leads = db.session.scalar(select(func.count()).select_from(Lead))
    if leads and leads != LEADS:
        sys.exit(f"{url} holds {leads} leads, not {LEADS}: give an empty database or BENCH_LEADS={leads}")
    if not leads:
        started = time.perf_counter()
        lead_funnel.fill(app)
        with app.test_request_context():
            from sales.quotes.demo import fill_demo_quotes

            fill_demo_quotes(db.session.scalar(select(User).where(User.role == "owner")), random.Random(5))
            db.session.commit()
        print(f"data set built in {time.perf_counter() - started:.0f} s")
    else:
        print("data set reused")
    if add_support(app) or not leads:
        settle(app)
    return app


def settle(app):
    """What autovacuum leaves the tables in after a bulk write, so the pages meet them as in a shop: statistics,
    and on PostgreSQL the visibility map (without it every index-only read also fetches the row)."""
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE"))


def add_support(app):
    """Tickets with a conversation each, and a portal link for the sent quote's customer (added to a data set
    built before they were part of it)."""
    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(Ticket)):
            return False
        started = time.perf_counter()
        rng = random.Random(7)
        now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
        customers = db.session.scalar(select(func.max(Customer.id)))
        staff = db.session.scalars(select(User.id).order_by(User.id)).all()
        tickets, messages = [], []
        for i in range(1, TICKETS + 1):
            opened = now - timedelta(hours=rng.randint(1, 24 * 300))
            status = rng.choice(TICKET_STATUSES)
            tickets.append(dict(id=i, customer_id=rng.randint(1, customers), title=f"Avería {i}",
                                kind=rng.choice(TICKET_KINDS),
                                priority=rng.choice(TICKET_PRIORITIES), status=status,
                                assignee_id=rng.choice(staff), due_at=opened + timedelta(hours=48),
                                public_token=secrets.token_urlsafe(24), created_at=opened, updated_at=opened,
                                version=1))
            for n in range(rng.randint(1, 4)):
                messages.append(dict(ticket_id=i, author_id=None if n % 2 else rng.choice(staff),
                                     is_public=True, from_customer=bool(n % 2), body=f"Mensaje {n} de la avería {i}",
                                     created_at=opened + timedelta(minutes=10 * (n + 1))))
        for start in range(0, len(tickets), 10_000):
            db.session.execute(insert(Ticket), tickets[start:start + 10_000])
        for start in range(0, len(messages), 20_000):
            db.session.execute(insert(TicketMessage), messages[start:start + 20_000])
        sent = db.session.scalar(select(Quote.customer_id).join(QuoteRevision, QuoteRevision.quote_id == Quote.id)
                                 .where(QuoteRevision.status == "sent").order_by(QuoteRevision.id).limit(1))
        if sent:
            db.session.get(Customer, sent).portal_token = secrets.token_urlsafe(32)
        db.session.commit()
        from sales.search_index import rebuild   # bulk inserts skip the write path that keeps it current

        rebuild(db.session.connection())
        db.session.commit()
        print(f"{TICKETS} tickets added in {time.perf_counter() - started:.0f} s")
        return True


def pages(app):
    """label -> (who, path); who is 'owner', 'seller' or None (a customer's link, no sign-in)."""
    with app.app_context():
        sent = db.session.scalars(select(QuoteRevision).where(QuoteRevision.status == "sent")
                                  .order_by(QuoteRevision.id)).first()
        customer = db.session.scalar(select(Customer.id).order_by(Customer.id).offset(min(776, LEADS // 4)))
        lead = db.session.scalar(select(Lead.id).order_by(Lead.id).offset(min(1233, LEADS // 2)))
        quote = (sent.quote_id, sent.number, sent.token) if sent else None
        ticket = db.session.scalar(select(Ticket.id).order_by(Ticket.id).offset(TICKETS // 2))
        portal = db.session.scalar(select(Customer.portal_token).where(Customer.portal_token.is_not(None)))
    found = {
        "customer list p1": ("owner", "/customers/"),
        "lead list p1": ("owner", "/leads/"),
        "lead detail": ("owner", f"/leads/{lead}"),
        "customer timeline": ("owner", f"/customers/{customer}"),
        "board": ("owner", "/leads/board"),
        "My day (seller)": ("seller", "/leads/my-day"),
        "dashboard": ("owner", "/"),
        "funnel": ("owner", "/manage/funnel"),
        "performance": ("owner", "/manage/performance"),
        "goals": ("owner", "/manage/goals"),
        "segments": ("owner", "/manage/segments"),
        "loyalty": ("owner", "/manage/loyalty"),
        "tickets list": ("owner", "/support/"),
        "ticket": ("owner", f"/support/tickets/{ticket}"),
        "customer search": ("owner", "/customers/?q=cliente%2012"),
        "lead search": ("owner", "/leads/?q=oportunidad%2099"),
    }
    if quote:
        found["quote detail"] = ("owner", f"/quotes/{quote[0]}")
        found["quote PDF (sent)"] = ("owner", f"/quotes/{quote[0]}/r/{quote[1]}.pdf")
        found["public quote page"] = (None, f"/quotes/q/{quote[2]}")
    if portal:
        found["customer portal"] = (None, f"/p/{portal}")
    wanted = [label.strip() for label in os.environ.get("BENCH_PAGES", "").split(",") if label.strip()]
    return {label: found[label] for label in wanted} if wanted else found


def sql_and_bytes(app, who, path, clients, statements):
    """SQL statements and body bytes of one request, through the test client on the same database."""
    if who not in clients:
        clients[who] = app.test_client()
        if who:
            clients[who].post("/login", data={"email": f"{'owner' if who == 'owner' else 'seller0'}@bench.example",
                                              "password": lead_funnel.PASSWORD})
    clients[who].get(path)   # the first request may do one-off work (a sent PDF is drawn and kept)
    statements.clear()
    response = clients[who].get(path)
    return response.status_code, len(statements), len(response.get_data())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_run_command(port):
    """The gunicorn command line `make run` runs (its prerequisites are only printed, never run, by make -n)."""
    printed = subprocess.run(["make", "-n", "run", "HOST=127.0.0.1", f"PORT={port}"], cwd=ROOT, text=True,
                             capture_output=True, check=True).stdout
    lines = printed.replace("\\\n", " ").splitlines()
    return shlex.split(next(line for line in lines if "bin/gunicorn " in line and not line.lstrip().startswith("#")))


def serve(target, port, url, log):
    command = make_run_command(port)
    if target != "wsgi:app":
        command[command.index("wsgi:app")] = target
        command[-1:-1] = ["--pythonpath", str(ROOT / "bench")]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
            return server
        except urllib.error.HTTPError:      # answering, if only "sign in first"
            return server
        except OSError:
            if server.poll() is not None:
                sys.exit(f"{target} did not start: see {log.name}")
            time.sleep(0.2)
    sys.exit(f"{target} did not answer on port {port}")


def get(url, cookie=None):
    """(status, headers) of a GET as wrk sends it."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                   **({"Cookie": f"session={cookie}"} if cookie else {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
            return answer.status, answer.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def sign_in(port, email):
    """The session cookie a browser gets from signing in (the CSRF token of the form included)."""
    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    browser.addheaders = [("User-Agent", USER_AGENT)]
    form = browser.open(f"http://127.0.0.1:{port}/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    fields = urllib.parse.urlencode({"email": email, "password": lead_funnel.PASSWORD, "csrf_token": token})
    home = browser.open(f"http://127.0.0.1:{port}/login", data=fields.encode(), timeout=60).read().decode()
    assert "Sign out" in home, f"{email} could not sign in"
    return next(cookie.value for cookie in jar if cookie.name == "session")


def wrk(url, cookie):
    """(req/s, p50 ms, p99 ms, errors) of SECONDS of load with CONNECTIONS connections."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "30s",
               "-H", f"User-Agent: {USER_AGENT}", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: session={cookie}"]
    out = subprocess.run(command, text=True, capture_output=True, timeout=SECONDS + 60).stdout

    def ms(label):
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"Socket errors:.*?timeout (\d+)", out))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), ms("50%"), ms("99%"), errors


def private_mb(pid):
    """(private MB, of which the database file's pages): what only this worker holds. With SQLite's memory map
    (app.py), pages of the database file that this worker alone has read count as private too, though they are
    the file's cache, not the worker's heap: they are told apart by mapping."""
    try:
        smaps = Path(f"/proc/{pid}/smaps").read_text()
    except OSError:
        return None
    total = mapped_db = 0
    for mapping in re.split(r"\n(?=[0-9a-f]+-[0-9a-f]+ )", smaps):
        private = sum(int(n) for n in re.findall(r"^Private_(?:Clean|Dirty):\s+(\d+) kB", mapping, re.M))
        total += private
        if mapping.split("\n", 1)[0].rstrip().endswith(".db"):
            mapped_db += private
    return total / 1024, mapped_db / 1024


def workers_of(server):
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def main():
    url = database_url()
    app = prepare(url)
    where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{where}: {LEADS} leads, {CONTACTS} contacts; wrk {CONNECTIONS} connections, {SECONDS} s per run, "
          f"page and ceiling alternating")
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))
    app_port, ceiling_port = free_port(), free_port()
    log = open(BENCH_DIR / "served-gunicorn.log", "w") if not os.environ.get("BENCH_DATABASE_URL") \
        else tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
    servers = [serve("wsgi:app", app_port, url, log), serve("ceiling:app", ceiling_port, url, log)]
    try:
        cookies = {"owner": sign_in(app_port, "owner@bench.example"),
                   "seller": sign_in(app_port, "seller0@bench.example"), None: None}
        if "Set-Cookie" in get(f"http://127.0.0.1:{app_port}/", cookies["owner"])[1]:
            print("NOTE: a signed-in page wrote the session cookie again (every response will)")
        clients = {}
        print(f"| page ({where}) | req/s | p50 ms | p99 ms | ceiling req/s | share of the ceiling | SQL | bytes |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, (who, path) in pages(app).items():
            status, queries, size = sql_and_bytes(app, who, path, clients, statements)
            if status != 200:
                print(f"| {label} | answered {status} through the test client: skipped | | | | | | |")
                continue
            ceiling = wrk(f"http://127.0.0.1:{ceiling_port}/", cookies[who] or cookies["owner"])[0]
            rps, p50, p99, errors = wrk(f"http://127.0.0.1:{app_port}{path}", cookies[who])
            note = f" ({errors} errors)" if errors else ""
            print(f"| {label}{note} | {rps:.1f} | {p50:.1f} | {p99:.1f} | {ceiling:.0f} | {rps / ceiling:.1%} | "
                  f"{queries} | {size / 1024:.1f} KB |", flush=True)
        memory = [private_mb(pid) for pid in workers_of(servers[0])]
        print("app workers' private memory after the run: " + ", ".join(
            f"{total:.0f} MB ({db_pages:.0f} MB of it the database file's pages)" for total, db_pages in
            (m for m in memory if m is not None)))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()
