"""Webhooks: events written to the outbox in the change's own transaction, delivered by `flask deliver-webhooks`
to a real HTTP receiver started here that checks every Standard Webhooks signature; retries with backoff keep
the webhook-id, two workers at once deliver each message exactly once, and an endpoint failing for days is
paused with the owner told."""
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Customer, OutgoingEmail, PipelineStage, WebhookDelivery, WebhookEndpoint, utcnow
from sales.connect import webhooks
from tests.conftest import login, stage_id, text_of


class Receiver:
    """A web shop's webhook endpoint: verifies each signature, answers with the next planned status (then 200),
    and keeps the webhook-ids it accepted — handling each once, as a receiver must."""

    def __init__(self):
        self.secret = None
        self.planned = []                 # statuses to answer before the 200s
        self.requests = []                # (headers, body, signature ok)
        self.accepted = []                # webhook-ids answered 2xx
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                valid = webhooks.verify(receiver.secret, headers, body)
                with receiver.lock:
                    receiver.requests.append((headers, body, valid))
                    status = receiver.planned.pop(0) if receiver.planned else (200 if valid else 401)
                    if 200 <= status < 300:
                        receiver.accepted.append(headers["webhook-id"])
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks" if status < 300 else b"receiver is down for maintenance")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/crm"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(app, receiver):
    """An endpoint of the receiver that hears about every event."""

    def make(events=tuple(webhooks.EVENTS), url=None):
        with app.app_context():
            row = WebhookEndpoint(url=url or receiver.url, events=" ".join(events), secret=webhooks.new_secret())
            db.session.add(row)
            db.session.commit()
            receiver.secret = row.secret
            return row.id

    return make


def deliveries(app):
    with app.app_context():
        return [(d.event_type, json.loads(d.payload)["data"], d.status, d.attempts)
                for d in db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))]


def run(app, now=None):
    with app.app_context():
        return webhooks.deliver_due(now=now)


def test_a_signature_is_what_the_standard_webhooks_libraries_compute():
    # The example from the Standard Webhooks specification's test vectors.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    assert webhooks.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
               "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
    assert webhooks.verify(secret, headers, body, now=1614265330)
    assert not webhooks.verify(secret, headers, body + " ", now=1614265330)
    assert not webhooks.verify(secret, headers, body, now=1614265330 + 3600)     # a replay an hour later


def test_events_are_written_with_the_change_and_only_for_what_was_asked(as_owner, owner, app, endpoint):
    endpoint(events=("customer.created",))
    response = as_owner.post("/customers/new", data={"name": "Ana García", "kind": "person",
                                                     "email": "ana@example.com", "owner_id": str(owner.id)})
    assert response.status_code == 303
    [(kind, data, status, attempts)] = deliveries(app)
    assert (kind, data["name"], data["email"], status, attempts) == ("customer.created", "Ana García",
                                                                     "ana@example.com", "pending", 0)
    with app.app_context():
        assert data["id"] == db.session.scalar(select(Customer.id))
        # A change that rolls back tells nobody.
        db.session.add(Customer(name="Never saved"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def test_a_lead_won_on_the_board_is_a_stage_change_and_a_win(as_owner, app, make_customer, make_lead, owner,
                                                               endpoint):
    lead = make_lead(make_customer(), owner, title="Two e-bikes", value=2400)
    endpoint(events=("lead.stage_changed", "lead.won", "lead.lost"))
    won = stage_id(app, "Won")
    as_owner.post(f"/leads/{lead.id}/move", data={"stage_id": won})
    kinds = [(kind, data["id"], data["stage"]) for kind, data, _s, _a in deliveries(app)]
    with app.app_context():     # webhooks name the stage as the shop does, in its language
        shop_name = db.session.get(PipelineStage, won).name
    assert kinds == [("lead.stage_changed", lead.id, shop_name), ("lead.won", lead.id, shop_name)]


def test_retries_keep_the_webhook_id_and_every_attempt_is_signed(app, receiver, endpoint, make_customer):
    endpoint(events=("customer.created",))
    make_customer("Ana García")
    receiver.planned = [500]
    first = run(app)
    assert (first.delivered, first.retrying) == (0, 1)
    [(_k, _d, status, attempts)] = deliveries(app)
    assert (status, attempts) == ("pending", 1)
    assert run(app).delivered == 0                                  # not due yet: the backoff holds it
    later = run(app, now=utcnow() + timedelta(seconds=6))
    assert later.delivered == 1
    ids = [headers["webhook-id"] for headers, _b, _v in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1] and ids[0].startswith("msg_")
    assert all(valid for _h, _b, valid in receiver.requests)
    assert receiver.accepted == [ids[0]]
    body = json.loads(receiver.requests[1][1])
    assert body["type"] == "customer.created" and body["data"]["name"] == "Ana García"
    with app.app_context():
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
        assert delivery.endpoint.failing_since is None


def test_two_workers_at_once_deliver_each_message_exactly_once(app, receiver, endpoint, make_customer):
    endpoint(events=("customer.created",))
    for n in range(30):
        make_customer(f"Customer {n}")
    reports = []

    def worker():
        reports.append(run(app))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.delivered for r in reports) == 30
    assert len(receiver.accepted) == 30 and len(set(receiver.accepted)) == 30
    assert len(receiver.requests) == 30
    assert {status for _k, _d, status, _a in deliveries(app)} == {"delivered"}


def test_a_receiver_down_for_days_is_paused_and_the_owner_told(app, receiver, endpoint, make_customer, owner):
    endpoint_id = endpoint(events=("customer.created",))
    make_customer("Ana García")
    receiver.planned = [503] * 20
    run(app)
    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint_id)
        assert row.active and row.failing_since is not None
        row.failing_since = utcnow() - timedelta(days=3, minutes=1)
        db.session.commit()
    run(app, now=utcnow() + timedelta(seconds=6))
    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint_id)
        assert not row.active and "UTC" in row.paused_reason
        email = db.session.scalars(select(OutgoingEmail)).one()
        assert email.to_address == owner.email and receiver.url in email.subject
    # Paused: nothing more is tried, however long one waits.
    tried = len(receiver.requests)
    run(app, now=utcnow() + timedelta(days=1))
    assert len(receiver.requests) == tried
    # Resumed (the receiver is back): what waited goes out.
    receiver.planned = []
    with app.app_context():
        webhooks.resume(db.session.get(WebhookEndpoint, endpoint_id))
        db.session.commit()
    assert run(app).delivered == 1


def test_gives_up_after_the_last_retry(app, receiver, endpoint, make_customer):
    endpoint(events=("customer.created",))
    make_customer("Ana García")
    receiver.planned = [500] * 50
    now = utcnow()
    for _ in range(webhooks.MAX_ATTEMPTS):
        run(app, now=now)
        now += timedelta(hours=11)
    [(_k, _d, status, attempts)] = deliveries(app)
    assert (status, attempts) == ("failed", webhooks.MAX_ATTEMPTS)


def test_an_unreachable_receiver_is_a_retry_with_the_reason(app, endpoint, make_customer):
    endpoint(events=("customer.created",), url="http://127.0.0.1:9/nothing-listens")
    make_customer("Ana García")
    assert run(app).retrying == 1
    with app.app_context():
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert delivery.last_status_code is None and delivery.last_response


def test_the_cron_command(runner, app, receiver, endpoint, make_customer):
    endpoint(events=("customer.created",))
    make_customer("Ana García")
    result = runner.invoke(args=["deliver-webhooks"])
    assert result.exit_code == 0 and "Delivered 1, to retry 0, given up 0." in result.output


def test_the_owner_registers_a_receiver_and_sees_its_deliveries(as_owner, app, receiver):
    bad = as_owner.post("/settings/webhooks", data={"url": "ftp://shop.example", "events": []})
    page = text_of(bad)
    assert bad.status_code == 422 and "starting with https://" in page and "Pick at least one event." in page
    assert 'value="ftp://shop.example"' in bad.get_data(as_text=True)
    response = as_owner.post("/settings/webhooks", data={"url": receiver.url, "description": "Web shop",
                                                         "events": ["customer.created", "order.created"]})
    assert response.status_code == 303
    with app.app_context():
        row = db.session.scalars(select(WebhookEndpoint)).one()
        endpoint_id, receiver.secret = row.id, row.secret
        assert row.event_types == ["customer.created", "order.created"] and row.secret.startswith("whsec_")
    as_owner.post(f"/settings/webhooks/{endpoint_id}/test")
    assert run(app).delivered == 1 and json.loads(receiver.requests[0][1])["type"] == "ping"
    page = text_of(as_owner.get(f"/settings/webhooks/{endpoint_id}"))
    assert "Web shop" in page and "ping" in page and "Delivered" in page and "200" in page
    assert "<html" not in as_owner.get(f"/settings/webhooks/{endpoint_id}",
                                       headers={"HX-Request": "true"}).get_data(as_text=True)
    as_owner.post(f"/settings/webhooks/{endpoint_id}/rotate")
    with app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id).secret != receiver.secret
    as_owner.post(f"/settings/webhooks/{endpoint_id}/pause")
    assert "Paused" in text_of(as_owner.get("/settings/webhooks"))
    as_owner.post(f"/settings/webhooks/{endpoint_id}/delete")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


@pytest.mark.parametrize("role", ["seller", "support"])
def test_only_the_owner_manages_webhooks(client, make_user, role):
    login(client, make_user(role))
    assert client.get("/settings/webhooks").status_code == 403
