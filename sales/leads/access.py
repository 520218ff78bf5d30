"""One place that fetches a lead or answers 404/403 (the rule itself is in sales/records.py)."""
from models import Lead
from sales import records


def get_lead_or_404(lead_id, work=False, options=()):
    # Another seller's lead is simply not there for this user (404); a shared one they may not work, 403.
    return records.get_or_404(Lead, lead_id, change=work, options=options)
