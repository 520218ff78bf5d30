from datetime import date

from flask import request
from flask_babel import gettext as _

from sales.csv_export import csv_response
from sales.htmx import render_page
from sales.negotiation import bp, rules
from sales.negotiation.forms import LOST_REASON_NAMES, OBJECTION_NAMES
from sales.policy import require


def _period():
    def parse(name):
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    return parse("start"), parse("end")


@bp.route("/reports")
@require("negotiation.reports")
def reports():
    start, end = _period()
    return render_page(None, "negotiation/_reports.html", title=_("Negotiation reports"), start=start, end=end,
                       lost=rules.lost_reasons(start, end), objections=rules.objections_by_type(start, end),
                       competition=rules.win_rate_by_competition(start, end),
                       concession=rules.average_concession_on_won(start, end))


@bp.route("/reports/<any(lost, objections):name>.csv")
@require("negotiation.reports")
def report_csv(name):
    start, end = _period()
    if name == "lost":
        rows = [(str(LOST_REASON_NAMES.get(r, r)), n, f"{share:.1%}") for r, n, share in rules.lost_reasons(start, end)]
        return csv_response("lost-reasons.csv", [_("Reason"), _("Deals"), _("Share")], rows)
    rows = [(str(OBJECTION_NAMES.get(k, k)), raised, resolved, f"{rate:.1%}")
            for k, raised, resolved, rate in rules.objections_by_type(start, end)]
    return csv_response("objections.csv", [_("Type"), _("Raised"), _("Resolved"), _("Resolution rate")], rows)
