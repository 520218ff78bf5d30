"""One place that fetches a lead or answers 404/403: access control for leads lives here."""
from flask import abort
from flask_login import current_user

from extensions import db
from models import Lead
from sales.leads.rules import may_see, may_work


def get_lead_or_404(lead_id, work=False):
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        abort(404)
    allowed = may_work(current_user, lead) if work else may_see(current_user, lead)
    if not allowed:
        # Another seller's lead is simply not there for this user.
        abort(404 if not may_see(current_user, lead) else 403)
    return lead
