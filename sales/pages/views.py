from flask import redirect, url_for
from flask_login import current_user

from extensions import login_manager
from sales.clock import shop_today
from sales.accounts.rules import has_users
from sales.report_tables import report_page
from sales.management.dashboard import dashboard
from sales.pages import bp
from sales.policy import public


@bp.route("/")
@public
def home():
    # The home page is the one place that also leads a brand-new install to its first-run setup (someone
    # signed in is proof enough that the shop has users).
    if not current_user.is_authenticated:
        if not has_users():
            return redirect(url_for("accounts.setup"))
        return login_manager.unauthorized()
    # The dashboard: the owner sees the shop, a seller their own, support their tickets and follow-ups.
    context = dashboard(current_user, shop_today())
    tables = [context["pipeline_table"]] if "pipeline_table" in context else []
    return report_page("management/dashboard.html", "management/_dashboard.html", tables, **context)
