"""Running the shop's servers: the record of scheduled jobs (and the owner's page of them), /metrics for
Prometheus, one JSON line per request for the logs. The health checks live in sales/health.py."""
import time

from flask import Blueprint, g

bp = Blueprint("operations", __name__)


def instrument(app):
    """Time every request, count it for /metrics, and log it as a JSON line when LOG_FORMAT=json.

    Registered before the blueprints, so the clock starts before any other check (sign-in, CSRF) runs."""
    from sales.operations import logs, metrics

    json_lines = app.config.get("LOG_FORMAT") == "json"
    if json_lines:
        logs.use_json_lines(app)

    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def _measure(response):
        started = g.get("request_started")
        seconds = time.perf_counter() - started if started is not None else None
        route = metrics.route_of_request()
        metrics.count_request(response, route, seconds)
        if json_lines:
            logs.log_request(response, route, seconds)
        return response


from sales.operations import metrics, views  # noqa: E402,F401
