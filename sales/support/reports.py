"""For the owner: the satisfaction gap report, complaints by root cause, and the SLA settings."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from extensions import db
from models import Survey
from sales.clock import shop_today
from sales.htmx import render_page
from sales.management import periods
from sales.policy import require
from sales.support import bp, rules
from sales.report_tables import Column, Table, report_page
from sales.support.forms import KIND_NAMES as TICKET_KIND_NAMES, ROOT_CAUSE_NAMES, SlaForm

def gap_table(period, group, rows, totals) -> Table:
    group_label = {"product": _("Product"), "seller": _("Seller"), "team": _("Team"), "branch": _("Branch"),
                   "kind": _("Ticket type")}[group]
    table = Table("gap", _("Satisfaction gap"), [
        Column(group_label), Column(_("Answers"), "count"), Column(_("Expected"), "number", places=2),
        Column(_("Got"), "number", places=2), Column(_("Gap"), "signed", places=2, coloured=True),
        Column(_("CSAT"), "number", places=2), Column(_("NPS"), "signed", places=0)],
        f"satisfaction-by-{group}-{period.key}", empty=_("No surveys answered in this period yet."))
    for r in rows:
        if group == "kind":
            label = str(TICKET_KIND_NAMES.get(r["key"], r["key"])) if r["key"] else _("After a delivery")
        else:
            label = r["label"] or _("Not recorded")
        table.add(label, r["answers"], r["expectation"], r["experience"], r["gap"], r["csat"], r["nps"])
    if rows:
        table.total(_("All answered surveys"), totals["answers"], totals["expectation"], totals["experience"],
                    totals["gap"], totals["csat"], totals["nps"])
        table.notes.append(_("The last row is over every survey answered in the period: its averages are not the "
                             "average of the rows above, which have different numbers of answers."))
    return table

def complaints_table(period, complaints) -> Table:
    table = Table("complaints", _("Complaints by root cause"), [
        Column(_("Root cause")), Column(_("Complaints"), "count"), Column(_("Still open"), "count")],
        f"complaints-{period.key}", empty=_("No complaints. Keep it that way!"))
    for cause, count, still_open in complaints:
        table.add(str(ROOT_CAUSE_NAMES.get(cause, _("Not found yet"))) if cause else _("Not found yet"), count,
                  still_open)
    if complaints:
        table.total(_("All complaints"), sum(row[1] for row in complaints), sum(row[2] for row in complaints))
    return table


@bp.route("/reports")
@require("support.reports")
def reports():
    group = request.args.get("by", "product")
    if group not in rules.REPORT_GROUPS:
        group = "product"
    period = periods.from_request(request.args, shop_today(), default_kind="year")
    since, until = period.starts_at, period.ends_at
    rows, (totals,) = rules.gap_report_with_totals(group, since, until, [(since, until, None)])
    comments = db.session.scalars(
        select(Survey).where(Survey.answered_at.is_not(None), Survey.comment.is_not(None),
                             Survey.answered_at >= since, Survey.answered_at < until)
        .order_by(Survey.answered_at.desc()).limit(10)).all()
    report = [gap_table(period, group, rows, totals),
              complaints_table(period, rules.complaints_by_root_cause(since, until))]
    return report_page("support/reports.html", "support/_reports.html", report, endpoint="support.reports",
                       report_endpoint="support.reports", group=group, period=period, seller=None,
                       extra_args={"by": group}, rows=rows, totals=totals, comments=comments)


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
