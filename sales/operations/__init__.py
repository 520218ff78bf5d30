"""Running the shop's servers: the record of scheduled jobs (and the owner's page of them), /metrics for
Prometheus, one JSON line per request for the logs. The health checks live in sales/health.py."""
from flask import Blueprint

bp = Blueprint("operations", __name__)

from sales.operations import views  # noqa: E402,F401
