"""Management: goals, seller performance, funnel fractures, commissions, customer segments and loyalty.

It reads what the other parts of the sales cycle record; it owns only goals, commission rules and segments.
The owner's home page (the dashboard) is pages.home, built from sales/management/dashboard.py.
"""
from flask import Blueprint

bp = Blueprint("management", __name__, url_prefix="/manage")

from sales.management import views  # noqa: E402,F401


@bp.record_once
def _template_names(state):
    from sales.clock import shop_today
    from sales.management.forms import METRIC_NAMES
    from sales.management.periods import period_of

    state.app.jinja_env.globals.update(goal_metric_names=METRIC_NAMES,
                                       periods_of=lambda kind: period_of(kind, shop_today()),
                                       whole_days=lambda value: None if value is None else round(float(value)))
