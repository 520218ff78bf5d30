"""The home page and the parts of the sales cycle that are still being built."""
from flask import Blueprint

bp = Blueprint("pages", __name__)

from sales.pages import views  # noqa: E402,F401
