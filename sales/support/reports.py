"""For the owner: the satisfaction gap report, complaints by root cause, and the SLA settings."""
from datetime import timedelta

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from extensions import db
from models import Survey, utcnow
from sales.htmx import render_page
from sales.policy import require
from sales.support import bp, rules
from sales.support.forms import SlaForm

PERIODS = {"90": 90, "365": 365, "all": None}


@bp.route("/reports")
@require("support.reports")
def reports():
    group = request.args.get("by", "product")
    if group not in rules.REPORT_GROUPS:
        group = "product"
    period = request.args.get("period", "365")
    if period not in PERIODS:
        period = "365"
    since = utcnow() - timedelta(days=PERIODS[period]) if PERIODS[period] else None
    comments = db.session.scalars(
        select(Survey).where(Survey.answered_at.is_not(None), Survey.comment.is_not(None))
        .order_by(Survey.answered_at.desc()).limit(10)).all()
    return render_page("support/reports.html", "support/_reports.html", group=group, period=period,
                       rows=rules.gap_report(group, since), totals=rules.gap_totals(since),
                       complaints=rules.complaints_by_root_cause(), comments=comments)


@bp.route("/settings", methods=["GET", "POST"])
@require("support.settings")
def settings():
    form = SlaForm(data=rules.sla_hours()) if request.method == "GET" else SlaForm()
    if form.validate_on_submit():
        rules.save_sla_hours({priority: getattr(form, priority).data for priority in rules.DEFAULT_SLA_HOURS})
        db.session.commit()
        flash(_("Response times saved. They apply to tickets opened from now on."), "success")
        return redirect(url_for("support.settings"), 303)
    return render_page("support/settings.html", "support/_settings.html", form=form,
                       status=422 if form.errors else 200)
