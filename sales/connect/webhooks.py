"""Webhooks: the shop's other software hears about what happens here.

- **Events** are noticed in one place, a SQLAlchemy flush listener, whatever part of the app (web page, API,
  import, WhatsApp) made the change; each becomes a row in the `webhook_deliveries` outbox for every active
  endpoint that asked for that event, inserted on the same connection inside the same transaction. A change
  that rolls back tells nobody; a change that commits is never lost.
- **Signatures** follow Standard Webhooks: headers `webhook-id` (stable across retries: receivers deduplicate
  on it), `webhook-timestamp` (Unix seconds) and `webhook-signature` = `v1,` + base64(HMAC-SHA256(key,
  "{id}.{timestamp}.{body}")), the key being the base64 after `whsec_` in the endpoint's secret.
- **Delivery** is `flask deliver-webhooks` from cron: it claims due rows under a lease (sales/claims.py: FOR
  UPDATE SKIP LOCKED on PostgreSQL, so two machines never take the same row; the write lock on SQLite), sends
  each outside any transaction, and marks each in its own short one. Failures retry with backoff; an endpoint
  failing for PAUSE_AFTER without one success is paused and the owner is emailed.
"""
import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, event, insert, inspect, or_, select, update
from sqlalchemy.orm import Session

from extensions import db
from sales import claims
from models import (Customer, Lead, Order, PipelineStage, QuoteRevision, StageChange, Survey, Ticket, User,
                    WebhookDelivery, WebhookEndpoint, utcnow)

EVENTS = {
    "customer.created": _l("Customer created"),
    "lead.created": _l("Lead created"),
    "lead.stage_changed": _l("Lead moved to another stage"),
    "lead.won": _l("Lead won"),
    "lead.lost": _l("Lead lost"),
    "quote.sent": _l("Quote sent"),
    "quote.accepted": _l("Quote accepted"),
    "quote.declined": _l("Quote declined"),
    "order.created": _l("Order created"),
    "ticket.opened": _l("Ticket opened"),
    "ticket.closed": _l("Ticket closed"),
    "survey.answered": _l("Survey answered"),
}
# Standard Webhooks' suggested schedule, roughly: the first retry soon, the last about a day and a half later.
BACKOFF = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=5), timedelta(hours=10), timedelta(hours=10))
MAX_ATTEMPTS = len(BACKOFF) + 1
PAUSE_AFTER = timedelta(days=3)
LEASE = timedelta(minutes=5)
TIMEOUT_SECONDS = 10


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(16)


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers, body: str, tolerance=300, now=None) -> bool:
    """What a receiver does (and our tests): check one of the signatures and that the timestamp is recent."""
    try:
        timestamp = int(headers["webhook-timestamp"])
    except (KeyError, TypeError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, headers.get("webhook-id", ""), timestamp, body)
    return any(hmac.compare_digest(expected, candidate)
               for candidate in (headers.get("webhook-signature") or "").split())


# --- Noticing events -----------------------------------------------------------------------------------------

def _money(value):
    return str(value) if isinstance(value, Decimal) else value


def _when(value):
    return value.isoformat() + "Z" if value is not None and hasattr(value, "hour") else (
        value.isoformat() if value is not None else None)


def customer_data(c):
    return {"id": c.id, "name": c.name, "kind": c.kind, "email": c.email, "phone": c.phone, "mobile": c.mobile,
            "city": c.city, "owner_id": c.owner_id}


def lead_data(lead, stage=None):
    return {"id": lead.id, "customer_id": lead.customer_id, "title": lead.title, "source": lead.source,
            "estimated_value": _money(lead.estimated_value), "seller_id": lead.seller_id, "stage_id": lead.stage_id,
            "stage": stage, "won_amount": _money(lead.won_amount), "lost_reason": lead.lost_reason}


def revision_data(r):
    return {"quote_id": r.quote_id, "revision": r.number, "status": r.status, "total": _money(r.total),
            "currency": r.currency, "valid_until": _when(r.valid_until), "decline_reason": r.decline_reason}


def order_data(o):
    return {"id": o.id, "number": o.number, "customer_id": o.customer_id, "lead_id": o.lead_id,
            "seller_id": o.seller_id, "ordered_on": _when(o.ordered_on), "total": _money(o.total),
            "currency": o.currency}


def ticket_data(t):
    return {"id": t.id, "number": t.number, "customer_id": t.customer_id, "kind": t.kind, "priority": t.priority,
            "status": t.status, "title": t.title, "assignee_id": t.assignee_id, "due_at": _when(t.due_at)}


def survey_data(s):
    return {"id": s.id, "customer_id": s.customer_id, "ticket_id": s.ticket_id, "order_id": s.order_id,
            "expectation": s.expectation, "experience": s.experience, "csat": s.csat, "nps": s.nps,
            "comment": s.comment}


def _changed_to(obj, attribute):
    """The new value of `attribute` if this flush changed it, else None."""
    history = inspect(obj).attrs[attribute].history
    return history.added[0] if history.has_changes() and history.added else None


def events_in_flush(session):
    """(event type, data) for what this flush writes. Runs after the SQL, so new rows have their ids."""
    found = []
    stage_changes = []
    for obj in session.new:
        if isinstance(obj, Customer):
            found.append(("customer.created", customer_data(obj)))
        elif isinstance(obj, Lead):
            found.append(("lead.created", lead_data(obj)))
        elif isinstance(obj, StageChange) and obj.from_stage_id is not None:
            stage_changes.append(obj)
        elif isinstance(obj, Order):
            found.append(("order.created", order_data(obj)))
        elif isinstance(obj, Ticket):
            found.append(("ticket.opened", ticket_data(obj)))
    for obj in session.dirty:
        if isinstance(obj, QuoteRevision) and _changed_to(obj, "status") in ("sent", "accepted", "declined"):
            found.append((f"quote.{obj.status}", revision_data(obj)))
        elif isinstance(obj, Ticket) and _changed_to(obj, "status") == "closed":
            found.append(("ticket.closed", ticket_data(obj)))
        elif isinstance(obj, Survey) and _changed_to(obj, "answered_at") is not None:
            found.append(("survey.answered", survey_data(obj)))
    if stage_changes:
        ids = {change.to_stage_id for change in stage_changes} | {change.from_stage_id for change in stage_changes}
        stages = {row.id: row for row in session.connection().execute(
            select(PipelineStage.id, PipelineStage.name, PipelineStage.kind).where(PipelineStage.id.in_(ids)))}
        for change in stage_changes:
            to = stages[change.to_stage_id]
            lead = change.lead if "lead" in change.__dict__ else session.get(Lead, change.lead_id)
            data = {**lead_data(lead, stage=to.name), "from_stage_id": change.from_stage_id,
                    "from_stage": stages[change.from_stage_id].name if change.from_stage_id in stages else None,
                    "changed_by_id": change.changed_by_id}
            found.append(("lead.stage_changed", data))
            if to.kind in ("won", "lost"):
                found.append((f"lead.{to.kind}", data))
    return found


def _subscribers(connection):
    rows = connection.execute(select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.active))
    return [(row.id, set(row.events.split())) for row in rows]


def queue(connection, event_type, data, endpoints=None):
    """Write one outbox row per endpoint that wants `event_type`, on `connection` (the change's transaction)."""
    endpoints = _subscribers(connection) if endpoints is None else endpoints
    now = utcnow()
    rows = []
    for endpoint_id, wanted in endpoints:
        if event_type in wanted or event_type == "ping":
            body = json.dumps({"type": event_type, "timestamp": now.isoformat() + "Z", "data": data},
                              ensure_ascii=False, separators=(",", ":"))
            rows.append({"endpoint_id": endpoint_id, "message_id": new_message_id(), "event_type": event_type,
                         "payload": body, "status": "pending", "attempts": 0, "created_at": now,
                         "next_attempt_at": now})
    if rows:
        connection.execute(insert(WebhookDelivery), rows)
    return len(rows)


@event.listens_for(Session, "after_flush")
def _queue_events(session, flush_context):
    if session.info.get("webhooks_off"):
        return
    found = events_in_flush(session)
    if not found:
        return
    connection = session.connection()
    endpoints = _subscribers(connection)
    if not endpoints:
        return
    for event_type, data in found:
        queue(connection, event_type, data, endpoints)


def send_test(endpoint):
    """A `ping` to check the receiver: queued like any event (and sent by the next run or at once)."""
    queue(db.session.connection(), "ping", {"endpoint_id": endpoint.id, "message": "Hello from Mostrador"},
          [(endpoint.id, set())])


# --- Delivering ----------------------------------------------------------------------------------------------

def claim(limit=50, now=None, token=None):
    """Take up to `limit` due deliveries under a lease (sales/claims.py: FOR UPDATE SKIP LOCKED on PostgreSQL, so
    two machines never take the same row, the write lock on SQLite); returns their ids, oldest due first. Commits.
    """
    now = now or utcnow()
    active = select(WebhookEndpoint.id).where(WebhookEndpoint.active)
    due = and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
               WebhookDelivery.endpoint_id.in_(active),
               or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now))
    ids = claims.claim(WebhookDelivery, due, (WebhookDelivery.next_attempt_at, WebhookDelivery.id),
                       values={"claimed_until": now + LEASE, "claim_token": token or claims.new_token()},
                       limit=limit)
    db.session.commit()
    return ids


@dataclass
class Attempt:
    status_code: int | None
    response: str


def post(url, secret, message_id, body, timestamp=None) -> Attempt:
    timestamp = int(timestamp or time.time())
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Mostrador-Webhooks/1",
        "webhook-id": message_id, "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return Attempt(answer.status, answer.read(500).decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return Attempt(error.code, (error.read(500) or b"").decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        return Attempt(None, str(reason)[:500] or error.__class__.__name__)


def record(delivery, attempt, now=None):
    """Mark one delivery after an attempt, and its endpoint's run of failures."""
    now = now or utcnow()
    endpoint = delivery.endpoint
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = attempt.status_code
    delivery.last_response = attempt.response[:500] if attempt.response else None
    delivery.claimed_until = delivery.claim_token = None
    if attempt.status_code is not None and 200 <= attempt.status_code < 300:
        delivery.status, delivery.delivered_at = "delivered", now
        endpoint.failing_since = None
        return
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    endpoint.failing_since = endpoint.failing_since or now
    if endpoint.active and now - endpoint.failing_since >= PAUSE_AFTER:
        pause(endpoint, _("Failing since %(since)s without one delivery getting through.",
                          since=endpoint.failing_since.strftime("%Y-%m-%d %H:%M UTC")))


def pause(endpoint, reason):
    from sales.messaging.outbox import enqueue

    endpoint.active = False
    endpoint.paused_reason = reason[:300]
    owners = db.session.scalars(select(User).where(User.role == "owner", User.active)).all()
    for owner in owners:
        enqueue(owner.email, _("Webhook paused: %(url)s", url=endpoint.url),
                _("Mostrador stopped sending events to %(url)s: %(reason)s\n\nThe events wait in its list. When the "
                  "receiver works again, resume the webhook on its page: they go out then.",
                  url=endpoint.url, reason=reason), about="webhook", about_id=endpoint.id)


@dataclass
class RunReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_due(limit=200, now=None) -> RunReport:
    """One cron run: claim, send, mark, until nothing is due or `limit` attempts were made."""
    report = RunReport()
    attempted = 0
    token = claims.new_token()
    while attempted < limit:
        ids = claim(min(50, limit - attempted), now, token)
        if not ids:
            break
        for delivery_id in ids:
            delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
            endpoint = delivery.endpoint
            url, secret, message_id, body = endpoint.url, endpoint.secret, delivery.message_id, delivery.payload
            db.session.rollback()    # no transaction stays open while we wait on someone else's server
            attempt = post(url, secret, message_id, body)
            # Only the run still holding the claim records the attempt (a slow receiver can outlast the lease,
            # and another run sends it again, with the same webhook-id); the release locks the row until commit.
            if not claims.still_held(WebhookDelivery, delivery_id, token, {"claim_token": None}):
                db.session.rollback()
                continue
            delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
            record(delivery, attempt, now)
            db.session.commit()
            attempted += 1
            if delivery.status == "delivered":
                report.delivered += 1
            elif delivery.status == "failed":
                report.failed += 1
            else:
                report.retrying += 1
    return report


def resume(endpoint):
    """Back to work: pending deliveries go out with the next run, those given up on are tried again."""
    endpoint.active, endpoint.paused_reason, endpoint.failing_since = True, None, None
    db.session.execute(update(WebhookDelivery)
                       .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status != "delivered")
                       .values(status="pending", next_attempt_at=utcnow(), attempts=0)
                       .execution_options(synchronize_session=False))


def retry(delivery):
    delivery.status, delivery.next_attempt_at = "pending", utcnow()
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.attempts = MAX_ATTEMPTS - 1
