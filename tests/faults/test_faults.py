"""Faults, for real: gunicorn with several workers on SQLite and PostgreSQL, people saving at once, saving the
same record at the same instant, the server and the mail job killed with SIGKILL mid-way, two app servers on one
PostgreSQL. What must hold: no 5xx, every save that was acknowledged is in the database, nothing half-written,
numbers without gaps, and every email recipient reached exactly once (counted at a real SMTP server)."""
import os
import re
import subprocess
import threading
import time
from collections import Counter
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from tests.faults.conftest import BIN, ROOT, Client
from tests.mail_servers import SMTPServer
from sales.clock import shop_today

CLIENTS = 8
SAVES_EACH = 4           # of each kind: quotes, leads, contacts


def _quote_fields(shop, marker):
    return {"customer_id": shop.customer_id, "lead_id": 0,
            "valid_until": (shop_today() + timedelta(days=30)).isoformat(), "need": marker,
            "lines-0-description": "Service " + marker, "lines-0-quantity": "2", "lines-0-unit_price": "49,90",
            "lines-0-tax_rate": "21"}


def _lead_fields(shop, marker):
    return {"customer_id": shop.customer_id, "title": marker, "source": "walk_in", "estimated_value": "1.250,00",
            "seller_id": shop.seller_id}


def _contact_fields(marker):
    return {"channel": "call", "happened_at": "2026-11-20T10:30", "lead_id": "0", "goal": marker}


def _save_everything(shop, bases, who, acknowledged, answers, stop=None):
    """One person saving quotes, leads and contacts through the forms; acknowledged saves are recorded."""
    clients = [Client(base).sign_in(shop.seller_email) for base in bases]
    for n in range(SAVES_EACH):
        client = clients[n % len(clients)]          # with two servers: alternate between them
        for kind, path, fields in (
                ("quote", f"/quotes/new?customer_id={shop.customer_id}", _quote_fields(shop, f"q-{who}-{n}")),
                ("lead", "/leads/new", _lead_fields(shop, f"l-{who}-{n}")),
                ("contact", f"/leads/contacts/new/{shop.customer_id}", _contact_fields(f"c-{who}-{n}"))):
            if stop is not None and stop.is_set():
                return
            status, location, _body = client.post(path, fields)
            answers.append(status)
            if status == 303:
                acknowledged.append((kind, fields.get("need") or fields.get("title") or fields.get("goal")))


def _run_clients(shop, bases, acknowledged, answers, stop=None):
    threads = [threading.Thread(target=_save_everything, args=(shop, bases, who, acknowledged, answers, stop))
               for who in range(CLIENTS)]
    for thread in threads:
        thread.start()
    return threads


def _assert_all_found_and_whole(shop, acknowledged):
    needs = {row[0] for row in shop.query("SELECT need FROM quote_revisions")}
    titles = {row[0] for row in shop.query("SELECT title FROM leads")}
    goals = {row[0] for row in shop.query("SELECT goal FROM contact_logs")}
    found = {"quote": needs, "lead": titles, "contact": goals}
    missing = [(kind, marker) for kind, marker in acknowledged if marker not in found[kind]]
    assert missing == []
    # Nothing half-written: every quote has its revision, every revision its line, totals add up.
    broken = shop.query("SELECT q.id FROM quotes q LEFT JOIN quote_revisions r ON r.quote_id = q.id "
                        "LEFT JOIN quote_lines l ON l.revision_id = r.id GROUP BY q.id "
                        "HAVING COUNT(r.id) = 0 OR COUNT(l.id) = 0 OR ABS(MIN(r.total) - SUM(l.net + l.tax)) > 0.005")
    assert broken == []
    numbers = sorted(int(row[0].rsplit("-", 1)[1]) for row in shop.query("SELECT number FROM quotes"))
    assert numbers == list(range(1, len(numbers) + 1)), "quote numbers have a gap or a twin"


def test_concurrent_saves_through_the_forms(database, serve):
    server = serve(database, workers=3)
    acknowledged, answers = [], []
    started = time.monotonic()
    for thread in _run_clients(database, [server.base], acknowledged, answers):
        thread.join()
    took = time.monotonic() - started
    counts = Counter(answers)
    print(f"\n{len(answers)} saves by {CLIENTS} clients in {took:.1f} s: {dict(counts)}")
    assert not [s for s in answers if s >= 500 or s == 0]
    assert len(acknowledged) == CLIENTS * SAVES_EACH * 3
    _assert_all_found_and_whole(database, acknowledged)


def test_two_people_saving_the_same_lead_at_the_same_instant(database, serve):
    server = serve(database, workers=3)
    first, second = Client(server.base).sign_in(database.owner_email), Client(server.base).sign_in(
        database.seller_email)
    status, location, _body = first.post("/leads/new", _lead_fields(database, "Original"))
    assert status == 303
    lead_path = urlsplit(location).path
    outcomes = Counter()
    for round_ in range(4):
        page = first.get(lead_path + "/edit")[2]
        version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
        typed = {"first": f"First typed {round_}", "second": f"Second typed {round_}"}
        answers, start = {}, threading.Barrier(2)

        def save(name, client):
            start.wait()
            answers[name] = client.post(lead_path + "/edit", {**_lead_fields(database, typed[name]),
                                                                "version": version})

        threads = [threading.Thread(target=save, args=(n, c)) for n, c in (("first", first), ("second", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(answer[0] for answer in answers.values())
        outcomes[tuple(statuses)] += 1
        assert statuses == [303, 409], statuses
        loser = next(name for name, answer in answers.items() if answer[0] == 409)
        winner = "first" if loser == "second" else "second"
        assert typed[loser] in answers[loser][2]        # the loser's text is on the conflict page
        lead_id = int(lead_path.rsplit("/", 1)[1])
        assert database.query("SELECT title FROM leads WHERE id = :id", id=lead_id)[0][0] == typed[winner]
    print(f"\nsimultaneous edits: {dict(outcomes)}")


def test_kill_9_of_the_server_mid_saves_loses_nothing_acknowledged(database, serve):
    server = serve(database, workers=3)
    acknowledged, answers, stop = [], [], threading.Event()
    threads = _run_clients(database, [server.base], acknowledged, answers, stop)
    deadline = time.monotonic() + 60
    while len(answers) < CLIENTS * 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    cut = Counter(answers)
    restarted = serve(database, workers=3)            # the same database, as after a power cut
    assert Client(restarted.base).get("/healthz")[0] == 200
    print(f"\nkilled after {len(answers)} answers: {dict(cut)}; {len(acknowledged)} acknowledged")
    assert not [s for s in answers if s >= 500]
    _assert_all_found_and_whole(database, acknowledged)


def test_two_app_servers_on_one_postgresql_number_quotes_without_a_gap(database, serve):
    if not database.url.startswith("postgresql"):
        pytest.skip("several app servers share one PostgreSQL; SQLite is one shop PC")
    one, two = serve(database, workers=2), serve(database, workers=2)
    acknowledged, answers = [], []
    for thread in _run_clients(database, [one.base, two.base], acknowledged, answers):
        thread.join()
    print(f"\ntwo servers: {dict(Counter(answers))}")
    assert not [s for s in answers if s >= 500 or s == 0]
    _assert_all_found_and_whole(database, acknowledged)


# --- Mail: kill -9 of send-mail mid-run, and two runs at once -----------------------------------------------

EMAILS, CAMPAIGN = 120, 40


def _queue_mail(database):
    """EMAILS queued emails and a campaign to CAMPAIGN customers who agreed, put in as the app does."""
    from app import create_app
    from config import _normalise_database_url
    from extensions import db
    from models import Campaign, Customer
    from sales.messaging import campaigns, outbox

    app = create_app({"SQLALCHEMY_DATABASE_URI": _normalise_database_url(database.url), "SECRET_KEY": "faults"})
    with app.test_request_context(base_url="http://shop.example/"):
        for n in range(EMAILS):
            outbox.enqueue(f"queued{n}@faults.example", f"Your order {n}", "Body")
        for n in range(CAMPAIGN):
            db.session.add(Customer(name=f"Cliente {n}", email=f"camp{n}@faults.example", city="Cuenca",
                                    email_opt_in=True))
        campaign = Campaign(name="Spring", channel="email", subject="Spring, {name}", body="Hello {name}",
                            filters='{"city": "Cuenca"}')
        db.session.add(campaign)
        db.session.flush()
        campaigns.start(campaign)
        campaigns.remember_public_address("http://shop.example/")
        db.session.commit()
        db.engine.dispose()
    return {f"queued{n}@faults.example" for n in range(EMAILS)} | {f"camp{n}@faults.example"
                                                                     for n in range(CAMPAIGN)}


def _send_mail(database, smtp_port, **popen):
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": "faults", "MAIL_HOST": "127.0.0.1",
           "MAIL_PORT": str(smtp_port), "MAIL_TLS": "none", "MAIL_CLAIM_SECONDS": "1", "MAIL_TIMEOUT": "10"}
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.Popen([str(BIN / "flask"), "--app", "app", "send-mail", "--limit", "1000"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, **popen)


def _received(server):
    return Counter(address for envelope in list(server.messages) for address in envelope.rcpt_tos)


def test_send_mail_killed_mid_run_reaches_every_recipient_exactly_once(database):
    expected = _queue_mail(database)
    kills = 0
    with SMTPServer() as server:
        for target in (15, 60, 110):                  # kill it three times, each time further along
            run = _send_mail(database, server.port)
            deadline = time.monotonic() + 120
            while sum(_received(server).values()) < target and run.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            if run.poll() is None:
                os.killpg(run.pid, 9)
                kills += 1
            run.wait()
            run.stdout.close()
            time.sleep(1.1)                            # the dead run's claims outlive their lease
        for _attempt in range(3):                      # then let it finish
            run = _send_mail(database, server.port)
            output = run.communicate(timeout=300)[0].decode()
            assert run.returncode == 0, output
        received = _received(server)
    twice = {address: n for address, n in received.items() if n > 1}
    print(f"\nsend-mail killed {kills} times: {sum(received.values())} messages for {len(expected)} recipients")
    assert kills >= 2
    assert twice == {}
    assert set(received) == expected
    assert database.query("SELECT COUNT(*) FROM outgoing_emails WHERE status <> 'sent'")[0][0] == 0


def test_two_send_mail_runs_at_once_never_send_one_email_twice(database):
    expected = _queue_mail(database)
    with SMTPServer() as server:
        runs = [_send_mail(database, server.port) for _ in range(2)]
        outputs = [run.communicate(timeout=300)[0].decode() for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        received = _received(server)
    print(f"\ntwo send-mail runs at once: {sum(received.values())} messages for {len(expected)} recipients "
          f"({'; '.join(o.strip().splitlines()[-1] for o in outputs)})")
    assert {address: n for address, n in received.items() if n > 1} == {}
    assert set(received) == expected
