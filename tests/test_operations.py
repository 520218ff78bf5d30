"""What the person running the servers sees: each cron run recorded (start, end, counts, failure) and shown to the
owner with a warning when a job stalls; read-mail reading the mailbox one run at a time; /metrics behind its token;
one JSON line per request; /healthz split into liveness and readiness."""
import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app import create_app
from extensions import db
from models import JobLease, JobRun, MaintenancePlan, OutgoingEmail, WebhookDelivery, WebhookEndpoint, utcnow
from sales.clock import shop_today
from sales.operations import jobs
from sales.operations.logs import REQUEST_LOGGER
from tests.conftest import login, text_of
from tests.mail_servers import IMAPServer, free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "scrape-token-for-tests"


def runs_of(app, job):
    with app.app_context():
        return [(r.status, r.counts, r.summary, r.error, r.host, r.started_at, r.finished_at)
                for r in db.session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id))]


# --- Runs recorded -------------------------------------------------------------------------------------------

def test_a_cron_run_is_recorded_with_what_it_did(app, runner, make_customer):
    customer = make_customer()
    today = shop_today()
    with app.app_context():
        db.session.add_all([MaintenancePlan(customer_id=customer.id, every_months=6, next_due_on=today - timedelta(days=d))
                            for d in (0, 3, 40)] + [MaintenancePlan(customer_id=customer.id, every_months=6,
                                                                    next_due_on=today + timedelta(days=2))])
        db.session.commit()
        due = db.session.scalar(select(db.func.count()).select_from(MaintenancePlan)
                                .where(MaintenancePlan.next_due_on <= today))
    result = runner.invoke(args=["maintenance-due"])
    assert result.exit_code == 0, result.output
    [(status, counts, summary, error, host, started, finished)] = runs_of(app, "maintenance-due")
    # No customer of these plans has an email: tickets opened, no reminder sent.
    assert (status, counts, error) == ("succeeded", {"opened": due, "reminded": 0}, None)
    assert summary == f"{due} maintenance ticket(s) opened." and summary in result.output
    assert host and started <= finished


def test_a_failed_run_is_recorded_with_its_reason_and_exits_non_zero(app, runner, monkeypatch):
    closed = free_port()                          # nothing listens there: the mailbox cannot be reached
    for key, value in {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": closed, "IMAP_TLS": "none"}.items():
        monkeypatch.setitem(app.config, key, value)
    result = runner.invoke(args=["read-mail"])
    assert result.exit_code != 0
    [(status, _counts, _summary, error, _host, _started, finished)] = runs_of(app, "read-mail")
    assert status == "failed" and finished is not None
    assert error.startswith("Could not read the mailbox") and error in result.output
    with app.app_context():                       # the failed run let the mailbox go
        assert db.session.scalar(select(JobLease.claim_token).where(JobLease.job == "read-mail")) is None


def test_send_mail_records_what_it_sent(app, runner):
    with app.test_request_context():
        from sales.messaging.outbox import enqueue

        for n in range(3):
            enqueue(f"c{n}@example.com", "Hello", "Body")
        db.session.commit()
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    [(status, counts, summary, *_rest)] = runs_of(app, "send-mail")
    assert status == "succeeded" and counts["sent"] == 3 and summary == "Sent 3, refused 0."


# --- read-mail: one run at a time ----------------------------------------------------------------------------

@pytest.fixture
def mailbox(app, monkeypatch):
    server = IMAPServer()
    for key, value in {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": server.port, "IMAP_TLS": "none",
                       "IMAP_USER": server.user, "IMAP_PASSWORD": server.password, "IMAP_FOLDER": "INBOX"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


def _email(sender, subject):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "shop@example.com", subject
    message["Message-ID"] = make_msgid(domain="example.com")
    message.set_content("Hello")
    return message.as_bytes()


def test_read_mail_leaves_the_mailbox_to_the_run_reading_it(app, runner, mailbox):
    mailbox.deliver(_email("new@example.com", "A question"))
    with app.app_context():
        other_run = jobs.take_lease("read-mail")          # another server's run, reading right now
    result = runner.invoke(args=["read-mail"])
    assert result.exit_code == 0, result.output
    assert "Another run is reading the mailbox now" in result.output
    assert len(mailbox.unseen()) == 1
    with app.app_context():
        assert jobs.take_lease("read-mail") is None        # still held by the other run
        other_run.release()
    result = runner.invoke(args=["read-mail"])
    assert "Read 1:" in result.output and mailbox.unseen() == []


def test_a_killed_runs_lease_runs_out(app):
    with app.app_context():
        dead = jobs.take_lease("read-mail")
        assert jobs.take_lease("read-mail") is None
        db.session.execute(update(JobLease).values(claimed_at=utcnow() - timedelta(seconds=jobs.LEASE_SECONDS + 1)))
        db.session.commit()
        taken = jobs.take_lease("read-mail")
        assert taken is not None and taken.token != dead.token
        assert dead.renew() is False                       # the dead run, were it to wake, stops at once
        assert taken.renew() is True


# --- The owner's page and dashboard ---------------------------------------------------------------------------

def _record(job, status, hours_ago, **fields):
    started = utcnow() - timedelta(hours=hours_ago)
    db.session.add(JobRun(job=job, host="app-2", status=status, started_at=started,
                          finished_at=None if status == "running" else started + timedelta(seconds=3), **fields))


@pytest.fixture
def job_history(app):
    with app.app_context():
        _record("send-mail", "succeeded", 30, summary="Sent 12, refused 0.", counts={"sent": 12})
        _record("send-mail", "failed", 1, error="The mail server did not take the rest: 535 Authentication failed.")
        _record("maintenance-due", "succeeded", 2, summary="4 maintenance ticket(s) opened.")
        _record("deliver-webhooks", "running", 3)
        db.session.commit()


def test_the_owner_sees_each_jobs_last_runs_and_which_stalled(as_owner, job_history):
    response = as_owner.get("/settings/jobs")
    assert response.status_code == 200
    page = text_of(response)
    send_mail = page[page.index("Send the queued emails"):page.index("Read the shop's mailbox")]
    assert "No successful run for more than 25 hours" in send_mail
    assert "Failed The mail server did not take the rest: 535 Authentication failed." in send_mail
    assert "app-2 Succeeded Sent 12, refused 0." in send_mail
    read_mail = page[page.index("Read the shop's mailbox"):page.index("Open the maintenance tickets that are due")]
    assert "This job has never run" in read_mail
    maintenance = page[page.index("Open the maintenance tickets that are due"):page.index("Deliver webhooks")]
    assert "4 maintenance ticket(s) opened." in maintenance and "No successful run" not in maintenance
    webhooks = page[page.index("Deliver webhooks"):]
    assert "Stopped without finishing" in webhooks and "No run of this job has succeeded yet" in webhooks
    fragment = as_owner.get("/settings/jobs", headers={"HX-Request": "true"})
    assert "<nav" not in fragment.get_data(as_text=True) and "Scheduled jobs" in text_of(fragment)
    assert 'href="/settings/jobs"' in as_owner.get("/settings/data/").get_data(as_text=True)


def test_the_owners_dashboard_warns_of_a_stalled_job(as_owner, job_history):
    page = text_of(as_owner.get("/"))
    assert "2 scheduled jobs have not succeeded for more than a day" in page
    assert "Send the queued emails ( flask send-mail ) — last success" in page
    assert "Deliver webhooks ( flask deliver-webhooks ) — never succeeded" in page
    assert "Open the maintenance tickets" not in page        # it ran fine two hours ago


def test_no_warning_when_every_job_succeeded_today(as_owner, app):
    with app.app_context():
        for job in jobs.JOBS:
            _record(job, "succeeded", 1)
        db.session.commit()
    assert "scheduled job" not in text_of(as_owner.get("/"))
    assert "No successful run" not in text_of(as_owner.get("/settings/jobs"))


def test_jobs_are_the_owners_page(as_seller, job_history):
    assert as_seller.get("/settings/jobs").status_code == 403
    assert "scheduled job" not in text_of(as_seller.get("/"))


# --- /metrics --------------------------------------------------------------------------------------------------

def _scrape(client, token=TOKEN):
    return client.get("/metrics", headers={"Authorization": f"Bearer {token}"})


def _sample(text, name, **labels):
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if match and match.group(1) == name and ",".join(sorted((match.group(2) or "").split(","))) == wanted:
            return float(match.group(3))
    return None


def test_metrics_need_the_token(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    assert client.get("/metrics").status_code == 404                # not set up: nothing there
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert _scrape(client, "not-the-token").status_code == 403
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    response = _scrape(client)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "# TYPE mostrador_http_requests_total counter" in response.get_data(as_text=True)


def test_metrics_count_requests_by_route_never_by_path(as_owner, app, monkeypatch, make_customer):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    route = "/customers/<int:customer_id>"
    before = _sample(_scrape(as_owner).get_data(as_text=True), "mostrador_http_requests_total",
                     method="GET", route=route, status="200") or 0
    customers = [make_customer(f"Cliente {n}") for n in range(3)]
    for customer in customers:
        assert as_owner.get(f"/customers/{customer.id}").status_code == 200
    as_owner.get("/customers/999999")
    text = _scrape(as_owner).get_data(as_text=True)
    assert _sample(text, "mostrador_http_requests_total", method="GET", route=route,
                   status="200") == before + len(customers)
    assert _sample(text, "mostrador_http_requests_total", method="GET", route=route, status="404") >= 1
    assert _sample(text, "mostrador_http_request_duration_seconds_count", method="GET", route=route) >= 4
    assert f'/customers/{customers[0].id}"' not in text and "Cliente" not in text


def test_metrics_read_queues_and_job_successes_from_the_database(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    with app.test_request_context():
        from sales.connect import webhooks
        from sales.messaging.outbox import enqueue

        for n in range(4):
            enqueue(f"c{n}@example.com", "Hello", "Body")
        endpoint = WebhookEndpoint(url="http://127.0.0.1:9/hook", secret=webhooks.new_secret(),
                                   events="customer.created")
        db.session.add(endpoint)
        db.session.flush()
        for n in range(3):
            webhooks.send_test(endpoint)
        _record("maintenance-due", "succeeded", 5)
        _record("maintenance-due", "failed", 1, error="boom")
        db.session.commit()
        queued = db.session.scalar(select(db.func.count()).select_from(OutgoingEmail)
                                   .where(OutgoingEmail.status == "queued"))
        pending = db.session.scalar(select(db.func.count()).select_from(WebhookDelivery)
                                    .where(WebhookDelivery.status == "pending"))
        success = jobs.last_successes()["maintenance-due"]
    text = _scrape(client).get_data(as_text=True)
    assert _sample(text, "mostrador_database_up") == 1
    assert _sample(text, "mostrador_outbox_queued_emails") == queued == 4
    assert _sample(text, "mostrador_webhook_pending_deliveries") == pending == 3
    seconds = _sample(text, "mostrador_job_last_success_timestamp_seconds", job="maintenance-due")
    assert abs(seconds - (success - success.__class__(1970, 1, 1)).total_seconds()) < 0.01
    assert _sample(text, "mostrador_job_last_success_timestamp_seconds", job="send-mail") is None


SERVE_REQUESTS = """
import sys
from app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x", "METRICS_TOKEN": "t"})
client = app.test_client()
for _ in range(int(sys.argv[2])):
    assert client.get("/healthz/live").status_code == 200
if sys.argv[3] == "scrape":
    sys.stdout.write(client.get("/metrics", headers={"Authorization": "Bearer t"}).get_data(as_text=True))
"""


def test_with_a_multiprocess_folder_any_worker_reports_every_workers_requests(tmp_path):
    """What gunicorn's workers do with PROMETHEUS_MULTIPROC_DIR: separate processes, one sum."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    url = f"sqlite:///{tmp_path}/shop.db"
    workers = [subprocess.Popen([sys.executable, "-c", SERVE_REQUESTS, url, str(n), "no"], cwd=ROOT, env=env)
               for n in (3, 4)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    scrape = subprocess.run([sys.executable, "-c", SERVE_REQUESTS, url, "2", "scrape"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=True).stdout
    assert _sample(scrape, "mostrador_http_requests_total", method="GET", route="/healthz/live",
                   status="200") == 3 + 4 + 2


# --- JSON logs -------------------------------------------------------------------------------------------------

@pytest.fixture
def json_log(database_url):
    """An app with LOG_FORMAT=json; yields (app, the lines it logged). The loggers are put back afterwards."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "logs",
                      "WTF_CSRF_ENABLED": False, "LOG_FORMAT": "json"})
    buffer = io.StringIO()
    for logger in (logging.getLogger(REQUEST_LOGGER), app.logger):
        for handler in logger.handlers:
            handler.setStream(buffer)
    yield app, lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    for logger in (logging.getLogger(REQUEST_LOGGER), app.logger):
        logger.handlers[:] = []
        logger.propagate, logger.level = True, logging.NOTSET
    with app.app_context():
        db.engine.dispose()


def test_json_logs_one_line_a_request_without_personal_data(json_log, owner, make_customer):
    app, lines = json_log
    customer = make_customer("Ana García", email="ana.garcia@example.com", phone="600123456")
    client = app.test_client()
    login(client, owner)
    assert client.get(f"/customers/{customer.id}?q=Garc%C3%ADa").status_code == 200
    assert app.test_client().get("/healthz/live").status_code == 200      # nobody signed in
    logged = lines()
    view = next(line for line in logged if line.get("route") == "/customers/<int:customer_id>")
    assert view["status"] == 200 and view["method"] == "GET" and view["user_id"] == owner.id
    assert isinstance(view["duration_ms"], float) and view["event"] == "request"
    anonymous = next(line for line in logged if line.get("route") == "/healthz/live")
    assert anonymous["user_id"] is None
    everything = "\n".join(json.dumps(line, ensure_ascii=False) for line in logged)
    for personal in ("Ana", "García", "ana.garcia", owner.email, owner.name, "600123456", f"/customers/{customer.id}"):
        assert personal not in everything


# --- Health checks -----------------------------------------------------------------------------------------------

def test_liveness_and_readiness(client, app, monkeypatch, tmp_path):
    assert client.get("/healthz/live").json["status"] == "ok"
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200 and ready.json["database"] == "ok" and ready.json["storage"] == "ok"
    assert client.get("/healthz").json["database"] == "ok"            # as monitors knew it
    (tmp_path / "attachments").write_text("a file where the photos' folder should be")
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    not_ready = client.get("/healthz/ready")
    assert not_ready.status_code == 503 and not_ready.json["storage"].startswith("error")
    assert client.get("/healthz/live").status_code == 200            # up, just not ready


def test_readiness_fails_without_a_database(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db", "SECRET_KEY": "x"})
    client = app.test_client()
    assert client.get("/healthz/live").status_code == 200
    ready = client.get("/healthz/ready")
    assert ready.status_code == 503 and ready.json["database"].startswith("error")
