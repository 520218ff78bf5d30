"""After-sale: support tickets, warranty, scheduled maintenance, follow-up promises and the satisfaction gap."""
from flask import Blueprint

# cli_group=None: the cron line reads `flask maintenance-due`, not `flask support maintenance-due`.
bp = Blueprint("support", __name__, url_prefix="/support", cli_group=None)

from sales.support import cli, planning, public, reports, timeline, views  # noqa: E402,F401


@bp.record_once
def _template_names(state):
    # Names of the codes the after-sale pages show, for every template and macro.
    from sales.support import forms
    from sales.support.rules import is_overdue, ticket_warranty
    from models import utcnow

    state.app.jinja_env.globals.update(
        ticket_kind_names=forms.KIND_NAMES, ticket_status_names=forms.STATUS_NAMES,
        ticket_priority_names=forms.PRIORITY_NAMES, root_cause_names=forms.ROOT_CAUSE_NAMES,
        promise_kind_names=forms.PROMISE_KIND_NAMES, ticket_warranty=ticket_warranty,
        ticket_is_overdue=lambda ticket: is_overdue(ticket, utcnow()))
