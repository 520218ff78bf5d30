"""Connecting the shop to other software: WhatsApp on the timeline, calendar feeds, vCards and webhooks.
(The JSON API is its own package, sales/api.)"""
from flask import Blueprint

# No prefix: its pages sit beside the records they belong to (/customers/7.vcf, /calendar/…).
# cli_group=None: the cron line reads `flask deliver-webhooks`.
bp = Blueprint("connect", __name__, cli_group=None)
# What other servers call, unsigned-in but signed: Meta's WhatsApp webhook.
hooks_bp = Blueprint("hooks", __name__, url_prefix="/hooks")

from sales.connect import cli, hooks, views, webhooks  # noqa: E402,F401


@bp.record_once
def _template_helpers(state):
    from sales.connect.views import feed_url
    from sales.connect.whatsapp import chat_link

    state.app.jinja_env.filters["whatsapp_link"] = chat_link
    state.app.jinja_env.globals["calendar_feed_url"] = feed_url
    state.app.jinja_env.globals["api_token_form"] = _api_token_form
    state.app.jinja_env.globals["api_tokens_of"] = _api_tokens_of


def _api_token_form():
    from sales.connect.forms import ApiTokenForm

    return ApiTokenForm(formdata=None)


def _api_tokens_of(user):
    from sales.api.auth import tokens_of

    return tokens_of(user)
