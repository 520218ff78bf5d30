"""The owner's negotiation reports: why deals are lost, objections by type, the win rate with and without a
competitor and the average concession — for any period the other reports take (sales.management.periods)."""

from flask import g, request
from flask_babel import gettext as _

from sales.clock import shop_today
from sales.management import periods
from sales.negotiation import bp, rules
from sales.negotiation.forms import LOST_REASON_NAMES, OBJECTION_NAMES
from sales.policy import require
from sales.report_tables import Column, Table, report_page, shares_by_largest_remainder

def _period():
    """The report's period; the older ?start=…&end=… links still work (as a free range). Default: all time."""
    args = request.args.to_dict()
    if "start" in args or "end" in args:
        args.setdefault("from", args.pop("start", ""))
        args.setdefault("to", args.pop("end", ""))
    return periods.from_request(args, shop_today(), default_kind="all")

def lost_table(period, lost) -> Table:
    table = Table("lost", _("Why deals were lost"), [Column(_("Reason")), Column(_("Deals"), "count"),
                                                     Column(_("Share"), "percent")],
                  f"lost-reasons-{period.key}", empty=_("No deals lost in this period."))
    shares = shares_by_largest_remainder([count for _reason, count, _share in lost])
    for (reason, count, _share), share in zip(lost, shares):
        table.add(str(LOST_REASON_NAMES.get(reason, reason)), count, share / 100)
    if lost:
        table.total(_("All lost deals"), sum(count for _reason, count, _share in lost), 1)
        table.notes.append(_("Shares are rounded so that they add up to 100 % (largest remainder)."))
    return table

def objections_table(period, objections) -> Table:
    table = Table("objections", _("Objections by type"), [
        Column(_("Type")), Column(_("Raised"), "count"), Column(_("Resolved"), "count"),
        Column(_("Resolution rate"), "percent")], f"objections-{period.key}",
        empty=_("No objections in this period."))
    for kind, raised, resolved, rate in objections:
        table.add(str(OBJECTION_NAMES.get(kind, kind)), raised, resolved, rate)
    if objections:
        raised = sum(row[1] for row in objections)
        resolved = sum(row[2] for row in objections)
        table.total(_("All objections"), raised, resolved, resolved / raised if raised else None)
    return table


def competition_table(period, competition) -> Table:
    table = Table("competition", _("Win rate when a competitor is present"), [
        Column(_("Deals")), Column(_("Won"), "count"), Column(_("Closed"), "count"),
        Column(_("Win rate"), "percent")], f"win-rate-competition-{period.key}")
    for key, label in (("with", _("With a competitor")), ("without", _("Without a competitor"))):
        won, closed, rate = competition[key]
        table.add(label, won, closed, rate)
    won = sum(competition[key][0] for key in ("with", "without"))
    closed = sum(competition[key][1] for key in ("with", "without"))
    table.total(_("All closed deals"), won, closed, won / closed if closed else None)
    return table


def concession_table(period, concession) -> Table:
    average, deals, share = concession
    table = Table("concession", _("Average concession on won deals"), [
        Column(_("Won deals with concessions"), "count"), Column(_("Average concession"), "money"),
        Column(_("Share of the amount won"), "percent", places=1)], f"average-concession-{period.key}",
        empty=_("No concessions on won deals in this period."))
    if deals:
        table.add(deals, average, share)
    return table


@bp.route("/reports")
@require("negotiation.reports")
def reports():
    period = _period()
    first, last = period.start, period.last_day
    lost = rules.lost_reasons(first, last)
    report = [lost_table(period, lost), objections_table(period, rules.objections_by_type(first, last)),
              competition_table(period, rules.win_rate_by_competition(first, last)),
              concession_table(period, rules.average_concession_on_won(first, last))]
    return report_page(None, "negotiation/_reports.html", report, endpoint="negotiation.reports",
                       report_endpoint="negotiation.reports", title=_("Negotiation reports"), period=period,
                       seller=None, lost=lost)


@bp.route("/reports/<any(lost, objections, competition, concession):name>.csv")
@require("negotiation.reports")
def report_csv(name):
    g.report_csv = name
    return reports()
