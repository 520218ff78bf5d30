"""A new seller's first days on one page: the playbook of answers that worked, the catalog's competitor notes and
the checklist the owner writes; their manager (and the owner) see who has gone through it."""
from flask import Blueprint

bp = Blueprint("onboarding", __name__, url_prefix="/onboarding")

from sales.onboarding import views  # noqa: E402,F401
