"""Every cron command run on two servers at the same moment, on one PostgreSQL: two `flask --app app <command>`
processes started together against a throwaway database, and each piece of work — an email sent, a message of
the mailbox filed, a maintenance ticket opened, a webhook delivered — counted where it lands: exactly once.

PostgreSQL only (TEST_DATABASE_URL): it is where several servers share one database and FOR UPDATE SKIP LOCKED
does the claiming; on SQLite one machine's write lock already makes the runs take turns."""
import os
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.faults.conftest import BIN, ROOT
from tests.mail_servers import IMAPServer, SMTPServer

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="two servers share one database only on PostgreSQL (TEST_DATABASE_URL)")

EMAILS, MESSAGES, PLANS, DELIVERIES = 200, 60, 300, 120


def shop_app(database):
    from app import create_app
    from config import _normalise_database_url

    return create_app({"SQLALCHEMY_DATABASE_URI": _normalise_database_url(database.url), "SECRET_KEY": "faults"})


def run_twice_at_once(database, command, env=None):
    """Start two runs of `command` together, as two servers' crontabs do; returns their outputs once both end."""
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": "faults", **(env or {})}
    env.pop("TEST_DATABASE_URL", None)
    runs = [subprocess.Popen([str(BIN / "flask"), "--app", "app", command], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    return outputs


def recorded_runs(database, job):
    """Both runs are in job_runs, succeeded, and were at work at the same time."""
    rows = database.query("SELECT status, started_at, finished_at, counts FROM job_runs WHERE job = :job "
                          "ORDER BY started_at", job=job)
    assert [row.status for row in rows] == ["succeeded", "succeeded"]
    assert max(row.started_at for row in rows) < min(row.finished_at for row in rows), "the runs did not overlap"
    return [row.counts for row in rows]


def test_send_mail_on_two_servers_sends_each_email_once(database):
    app = shop_app(database)
    with app.app_context():
        from extensions import db
        from sales.messaging.outbox import enqueue

        for n in range(EMAILS):
            enqueue(f"customer{n}@faults.example", f"Your order {n}", "Body")
        db.session.commit()
        db.engine.dispose()
    with SMTPServer() as server:
        outputs = run_twice_at_once(database, "send-mail", {"MAIL_HOST": "127.0.0.1", "MAIL_PORT": str(server.port),
                                                            "MAIL_TLS": "none"})
        received = Counter(address for envelope in list(server.messages) for address in envelope.rcpt_tos)
    counts = recorded_runs(database, "send-mail")
    print(f"\nsend-mail ×2: {[c['sent'] for c in counts]} sent; {'; '.join(o.strip() for o in outputs)}")
    assert set(received) == {f"customer{n}@faults.example" for n in range(EMAILS)}
    assert {address: n for address, n in received.items() if n > 1} == {}
    assert sum(c["sent"] for c in counts) == EMAILS


def _message(n):
    message = EmailMessage()
    message["From"], message["To"] = f"Persona {n} <persona{n}@faults.example>", "taller@faults.example"
    message["Subject"], message["Message-ID"] = f"Pregunta {n}", make_msgid(domain="faults.example")
    message.set_content(f"Hola, pregunta número {n}")
    return message.as_bytes()


def test_read_mail_on_two_servers_files_each_message_once(database):
    server = IMAPServer()
    try:
        for n in range(MESSAGES):
            server.deliver(_message(n))
        outputs = run_twice_at_once(database, "read-mail", {
            "IMAP_HOST": "127.0.0.1", "IMAP_PORT": str(server.port), "IMAP_TLS": "none", "IMAP_USER": server.user,
            "IMAP_PASSWORD": server.password})
        assert server.unseen() == []
    finally:
        server.stop()
    counts = recorded_runs(database, "read-mail")
    print(f"\nread-mail ×2: {[c['read'] for c in counts]} read; {'; '.join(o.strip() for o in outputs)}")
    stored = database.query("SELECT from_address, COUNT(*) AS n FROM incoming_emails GROUP BY from_address")
    assert {row.from_address: row.n for row in stored} == {f"persona{n}@faults.example": 1 for n in range(MESSAGES)}
    leads = database.query("SELECT COUNT(*) FROM leads WHERE source = 'email'")[0][0]
    customers = database.query("SELECT COUNT(*) FROM customers WHERE email LIKE 'persona%@faults.example'")[0][0]
    assert leads == customers == MESSAGES
    assert sum(c["read"] for c in counts) == MESSAGES


def test_maintenance_due_on_two_servers_opens_each_ticket_once(database):
    from sales.clock import shop_today

    app = shop_app(database)
    today = shop_today()
    with app.app_context():
        from extensions import db
        from models import MaintenancePlan

        db.session.add_all(MaintenancePlan(customer_id=database.customer_id, every_months=1 + n % 12,
                                           next_due_on=today - timedelta(days=n % 40)) for n in range(PLANS))
        db.session.commit()
        db.engine.dispose()
    outputs = run_twice_at_once(database, "maintenance-due")
    counts = recorded_runs(database, "maintenance-due")
    print(f"\nmaintenance-due ×2: {[c['opened'] for c in counts]} opened; "
          f"{'; '.join(o.strip().splitlines()[-1] for o in outputs)}")
    tickets = database.query("SELECT maintenance_plan_id, COUNT(*) AS n FROM tickets "
                             "WHERE kind = 'maintenance' GROUP BY maintenance_plan_id")
    plans = database.query("SELECT id, next_due_on FROM maintenance_plans")
    assert {row.maintenance_plan_id: row.n for row in tickets} == {plan.id: 1 for plan in plans}
    assert all(plan.next_due_on > today for plan in plans)
    assert sum(c["opened"] for c in counts) == PLANS


class Receiver(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(0.02)                       # a real receiver takes a moment: the runs overlap
        Receiver.received.append(self.headers["webhook-id"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_deliver_webhooks_on_two_servers_delivers_each_once(database):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.received = []
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    app = shop_app(database)
    try:
        with app.app_context():
            from extensions import db
            from models import WebhookEndpoint
            from sales.connect import webhooks

            endpoint = WebhookEndpoint(url=f"http://127.0.0.1:{receiver.server_port}/hook",
                                       secret=webhooks.new_secret(), events="customer.created")
            db.session.add(endpoint)
            db.session.flush()
            for _n in range(DELIVERIES):
                webhooks.send_test(endpoint)
            db.session.commit()
            db.engine.dispose()
        outputs = run_twice_at_once(database, "deliver-webhooks")
    finally:
        receiver.shutdown()
        receiver.server_close()
    counts = recorded_runs(database, "deliver-webhooks")
    print(f"\ndeliver-webhooks ×2: {[c['delivered'] for c in counts]} delivered; "
          f"{'; '.join(o.strip() for o in outputs)}")
    queued = {row.message_id for row in database.query("SELECT message_id FROM webhook_deliveries")}
    assert len(queued) == DELIVERIES
    assert Counter(Receiver.received) == Counter({message_id: 1 for message_id in queued})
    assert database.query("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'")[0][0] == 0
    assert sum(c["delivered"] for c in counts) == DELIVERIES
