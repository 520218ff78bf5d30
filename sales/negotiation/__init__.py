"""Sale: what happens between a proposal and a signature — notes, objections, concessions, competitors,
decision makers, and closing the deal won or lost."""
from flask import Blueprint

bp = Blueprint("negotiation", __name__, url_prefix="/negotiation")

from sales.negotiation import reports, views  # noqa: E402,F401


@bp.record_once
def _template_names(state):
    from sales.negotiation.forms import (CONCESSION_NAMES, LOST_REASON_NAMES, OBJECTION_NAMES, ROLE_NAMES,
                                         STANCE_NAMES)

    state.app.jinja_env.globals.update(objection_names=OBJECTION_NAMES, concession_names=CONCESSION_NAMES,
                                       lost_reason_names=LOST_REASON_NAMES, role_names=ROLE_NAMES,
                                       stance_names=STANCE_NAMES)
