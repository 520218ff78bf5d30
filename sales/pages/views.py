
from flask import redirect, url_for
from flask_login import current_user

from extensions import login_manager
from sales.clock import shop_today
from sales.accounts.rules import has_users
from sales.htmx import render_page
from sales.management.dashboard import dashboard
from sales.pages import bp
from sales.policy import public


@bp.route("/")
@public
def home():
    # The home page is the one place that also leads a brand-new install to its first-run setup.
    if not has_users():
        return redirect(url_for("accounts.setup"))
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    # The dashboard: the owner sees the shop, a seller their own, support their tickets and follow-ups.
    return render_page("management/dashboard.html", "management/_dashboard.html",
                       **dashboard(current_user, shop_today()))
