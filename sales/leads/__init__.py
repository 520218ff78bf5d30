"""Pre-sale: the lead funnel — leads, qualification, priority, contacts, inquiries, the pipeline board."""
from flask import Blueprint

bp = Blueprint("leads", __name__, url_prefix="/leads")

from sales.leads import bulk_views, capture, contacts, import_views, inquiries, settings, timeline, views  # noqa: E402,F401


@bp.record_once
def _template_names(state):
    # Names of codes the lead pages show, available to every template and macro.
    from sales.leads.forms import CHANNEL_NAMES, INQUIRY_KIND_NAMES, SOURCE_NAMES

    state.app.jinja_env.globals.update(source_names=SOURCE_NAMES, channel_names=CHANNEL_NAMES,
                                       inquiry_kind_names=INQUIRY_KIND_NAMES)
