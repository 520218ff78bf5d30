"""The home page."""
from flask import Blueprint

bp = Blueprint("pages", __name__)

from sales.pages import views  # noqa: E402,F401
