"""/metrics in Prometheus' text format, for the operator's monitoring, behind the METRICS_TOKEN setting.

- Requests by route and status, and their latency: the route is Flask's URL rule (`/customers/<int:customer_id>`),
  never the path asked for, so no id, search word or secret link becomes a label.
- Queue depths (emails waiting in the outbox, webhook deliveries pending) and each scheduled job's last success
  are read from the database when Prometheus asks: every app server reports the same shop-wide figures.

Under gunicorn each worker is its own process with its own counters. With PROMETHEUS_MULTIPROC_DIR set (an empty
folder the workers may write, emptied before each start) prometheus_client keeps the counters in files there and
any worker's /metrics adds up all of them. Without it, a scrape sees only the worker that answered.
"""
import calendar
import hmac
import os

from flask import Response, current_app, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram,
                               disable_created_metrics, generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from extensions import db
from models import OutgoingEmail, WebhookDelivery
from sales.operations import bp
from sales.operations.jobs import JOBS, last_successes
from sales.policy import public

# The *_created series double every series for a figure nobody graphs.
disable_created_metrics()
REQUESTS = Counter("mostrador_http_requests", "Requests answered, by method, route (the URL rule) and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("mostrador_http_request_duration_seconds", "Time from a request's start to its answer.",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
NO_ROUTE = "(no route)"       # a path no URL rule matched: a 404, counted without the path


def route_of_request() -> str:
    return request.url_rule.rule if request.url_rule is not None else NO_ROUTE


def count_request(response, route, seconds):
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    if seconds is not None:
        LATENCY.labels(request.method, route).observe(seconds)


def _timestamp(moment) -> float:
    return float(calendar.timegm(moment.utctimetuple())) + moment.microsecond / 1e6


class ShopCollector:
    """Figures of the shop as a whole, read from the database at each scrape (no process keeps them)."""

    def collect(self):
        up = GaugeMetricFamily("mostrador_database_up", "1 when this scrape could read the database.")
        try:
            queued = db.session.scalar(select(func.count()).select_from(OutgoingEmail)
                                       .where(OutgoingEmail.status == "queued"))
            pending = db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                                        .where(WebhookDelivery.status == "pending"))
            successes = last_successes()
            db.session.rollback()
        except Exception:              # noqa: BLE001  (a scrape reports the database down instead of failing)
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("mostrador_outbox_queued_emails", "Emails waiting in the outbox for send-mail.",
                                value=queued)
        yield GaugeMetricFamily("mostrador_webhook_pending_deliveries",
                                "Webhook deliveries waiting to go out (due or retrying later).", value=pending)
        last = GaugeMetricFamily("mostrador_job_last_success_timestamp_seconds",
                                 "When each scheduled job's newest successful run ended (Unix time); absent for a "
                                 "job that never succeeded.", labels=["job"])
        for job in JOBS:
            if successes.get(job) is not None:
                last.add_metric([job], _timestamp(successes[job]))
        yield last


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    shop = CollectorRegistry()
    shop.register(ShopCollector())
    return generate_latest(processes) + generate_latest(shop)


@bp.route("/metrics")
@public                       # no session: Prometheus sends the token instead
def metrics():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        # Not set up: the page does not exist, as far as anyone asking can tell.
        return Response("Not found\n", 404, mimetype="text/plain")
    scheme, _space, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not sent.strip():
        return Response("A bearer token is needed: Authorization: Bearer <METRICS_TOKEN>\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    if not hmac.compare_digest(sent.strip().encode(), token.encode()):
        return Response("Wrong token\n", 403, mimetype="text/plain")
    return Response(exposition(), content_type=CONTENT_TYPE_LATEST)
