"""Sale: the product catalog, quotations as binding documents, the customer's acceptance, orders."""
from flask import Blueprint

bp = Blueprint("quotes", __name__, url_prefix="/quotes")
catalog_bp = Blueprint("catalog", __name__, url_prefix="/catalog")

from sales.quotes import catalog, documents, public, timeline, views  # noqa: E402,F401


@bp.record_once
def _hooks(state):
    """Offer the quote where other parts of the sales cycle need it."""
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from sales.leads.inquiries import INQUIRY_ACTIONS
    from sales.negotiation.rules import WON_AMOUNT_SOURCES
    from sales.quotes.rules import accepted_total_for

    class Link:
        def __init__(self, url, label):
            self.url, self.label = url, label

    def quote_from_inquiry(inquiry):
        return [Link(url_for("quotes.new", inquiry_id=inquiry.id), _l("Make a quote from this inquiry"))]

    INQUIRY_ACTIONS.append(quote_from_inquiry)
    WON_AMOUNT_SOURCES.append(accepted_total_for)
    from sales.history import QUOTE_LINE_FIELDS, QUOTE_TOTAL_FIELDS

    state.app.jinja_env.globals["quote_line_fields"] = QUOTE_LINE_FIELDS
    state.app.jinja_env.globals["quote_total_fields"] = QUOTE_TOTAL_FIELDS
    state.app.jinja_env.globals["quote_status_names"] = {
        "draft": _l("Draft"), "sent": _l("Sent"), "accepted": _l("Accepted"), "declined": _l("Declined"),
        "superseded": _l("Superseded"), "expired": _l("Expired")}
