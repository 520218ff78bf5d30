"""Customers: the reference feature whose patterns the other blueprints follow."""
from flask import Blueprint

bp = Blueprint("customers", __name__, url_prefix="/customers")

from sales.customers import views  # noqa: E402,F401
from sales.customers import import_views  # noqa: E402,F401


@bp.record_once
def _template_helpers(state):
    from sales.custom_fields import shown

    state.app.jinja_env.globals.update(custom_value=shown)
