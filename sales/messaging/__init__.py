"""Collaborative CRM: email out (the outbox) and in (the mailbox), quick-logged calls and chats, mailing
campaigns with consent, and the customer's portal: one link to everything they have with the shop."""
from flask import Blueprint

# cli_group=None: the cron lines read `flask send-mail` and `flask read-mail`.
bp = Blueprint("messaging", __name__, url_prefix="/mail", cli_group=None)
# What customers open without an account: their portal and the unsubscribe page.
portal_bp = Blueprint("portal", __name__, url_prefix="/p")

from sales.messaging import campaign_views, cli, portal, timeline, views  # noqa: E402,F401


@bp.record_once
def _template_helpers(state):
    from sales.messaging.outbox import queued_about

    state.app.jinja_env.globals["unsent_emails"] = queued_about
