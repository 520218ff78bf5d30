"""Documents: what a product comes with for the customer (datasheet, manual, installation guide, care and
safety instructions) and what the shop keeps on a customer, a lead or a quote (a signed order, a plan, a
supplier's offer). Staff pages here; the customer opens a product's documents only through the unguessable link
of their quote, their portal or their ticket (public.py)."""
from flask import Blueprint

bp = Blueprint("documents", __name__, url_prefix="/documents")

from sales.documents import public, timeline, views  # noqa: E402,F401



@bp.record_once
def _template_names(state):
    from sales.documents.rules import KIND_NAMES, language_name

    state.app.jinja_env.globals.update(document_kind_names=KIND_NAMES, language_name=language_name)
