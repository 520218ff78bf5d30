"""Customers: the reference feature whose patterns the other blueprints follow."""
from flask import Blueprint

bp = Blueprint("customers", __name__, url_prefix="/customers")

from sales.customers import views  # noqa: E402,F401
