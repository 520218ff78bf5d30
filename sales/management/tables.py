"""The management reports' tables: rule results (metrics, funnel, commissions, loyalty, dashboard) laid out as
`Table`s, which the pages draw and the CSV downloads write (sales/report_tables.py). No database here."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from sales.management.forms import METRIC_NAMES
from sales.money import Amounts, shop_currency, spelled
from sales.report_tables import Column, Link, Row, Table, nothing_label


def _name(person, period):
    if person is None:
        return _("No seller")
    if not person.active:
        return _("%(name)s (no longer active)", name=person.name)
    return person.name


def performance_table(period, rows, total, no_seller=None) -> Table:
    """rows: [(person or None, Performance)]; total: the whole shop's Performance (or None for one seller)."""
    table = Table("performance", _("Seller performance"), [
        Column(_("Seller")), Column(_("New leads"), "count"), Column(_("Contacts made"), "count"),
        Column(_("Deals won"), "count"), Column(_("Deals lost"), "count"), Column(_("Win rate"), "percent"),
        Column(_("Revenue"), "money"), Column(_("Average deal"), "money"),
        Column(_("Sales cycle (days)"), "number", places=1),
        Column(_("Satisfaction gap"), "signed", places=2, coloured=True), Column(_("Surveys"), "count")], f"performance-{period.key}")

    def values(label, p):
        return [label, p.new_leads, p.contacts, p.won, p.lost, p.win_rate, p.revenue, p.average_deal,
                p.cycle_days, p.gap, p.gap_answers]

    for person, p in rows:
        table.add(*values(_name(person, period), p))
    if total is not None:
        table.total(*values(_("Whole shop"), total))
        table.notes.append(_("Whole shop: the rows above added up (averages and rates worked out from those "
                             "sums); its satisfaction gap is over every survey answered in the period."))
    return table


def goals_table(period, board, shop_goals, total_label=None) -> Table:
    """total_label: what the total row is (the whole shop, or the team / branch the page covers)."""
    total_label = total_label or _("Whole shop")
    table = Table("goals", _("Goals"), [
        Column(_("Seller")), Column(_("Measure")), Column(_("Target"), "number"), Column(_("Actual"), "number"),
        Column(_("Progress"), "percent")], f"goals-{period.key}",
        empty=_("No goals for this period."))

    def row(label, goal, css=""):
        money = {2: "money", 3: "money"} if goal.metric == "revenue" else {2: "count", 3: "count"}
        return Row([label, str(METRIC_NAMES[goal.metric]), goal.target, goal.actual, goal.share], css, money)

    for entry in board:
        for goal in entry.goals:
            table.rows.append(row(entry.seller.name, goal))
    for goal in shop_goals:
        table.totals.append(row(total_label, goal, "total"))
    if shop_goals and total_label == _("Whole shop"):
        table.notes.append(_("Whole shop: the sellers' targets added up, against what the whole shop did — the "
                             "Performance report's whole-shop figures (every seller, and deals with none)."))
    note = left_out_note(shop_goals or [goal for entry in board for goal in entry.goals])
    if note:
        table.warnings.append(note)
    return table


def left_out_note(goals):
    """Revenue goals are in the shop's currency: say what was won in others and so is not counted."""
    left_out = sum((goal.left_out for goal in goals if goal.metric == "revenue"), Amounts())
    if not left_out:
        return None
    return _("Revenue goals are in %(currency)s: only deals won in %(currency)s count towards them; %(amounts)s "
             "won in other currencies are left out, never converted.", currency=shop_currency(),
             amounts=spelled(left_out))


def funnel_table(period, flows, seller=None) -> Table:
    suffix = f"-{seller.id}" if seller else ""
    table = Table("funnel", _("Funnel"), [
        Column(_("Stage")), Column(_("Reached it"), "count"), Column(_("Left it"), "count"),
        Column(_("Moved on"), "count"), Column(_("Lost here"), "count"), Column(_("Went back"), "count"),
        Column(_("Conversion"), "percent"), Column(_("Median days in stage"), "number", places=1),
        Column(_("Note"), "badge")], f"funnel-{period.key}{suffix}",
        empty=_("No deal reached any stage in this period."))
    for f in flows:
        note = ", ".join(text for flag, text in ((f.is_fracture, _("drops most")), (f.is_stall, _("slowest")))
                         if flag)
        css = " ".join(c for flag, c in ((f.is_fracture, "fracture"), (f.is_stall, "stall")) if flag)
        table.add(f.stage.shown_name, f.reached, f.left, f.moved_on, f.lost, f.went_back, f.conversion, f.median_days,
                  note, css=css)
    if not any(f.reached or f.left for f in flows):
        table.rows = []
    return table


def compare_table(period, flows, by_seller) -> Table:
    """Per seller and stage: the share of the deals leaving the stage that moved on (and out of how many)."""
    columns = [Column(_("Seller"))]
    for f in flows:
        columns += [Column(_("%(stage)s: moved on", stage=f.stage.shown_name), "percent"),
                    Column(_("%(stage)s: left", stage=f.stage.shown_name), "count")]
    table = Table("compare", _("By seller: share of deals that move on"), columns, f"funnel-sellers-{period.key}")
    for person, stages in by_seller:
        values = [Link(person.name, url_for("management.funnel", period=period.key, seller=person.id))]
        for f in flows:
            left, moved_on = stages.get(f.stage.id, (0, 0))
            values += [moved_on / left if left else None, left]
        table.add(*values)
    return table


def commissions_table(period, rows, total_label=None) -> Table:
    table = Table("commissions", _("Commissions"), [
        Column(_("Seller")), Column(_("Category")), Column(_("Rule")), Column(_("Sold"), "money"),
        Column(_("Threshold a month"), "money"), Column(_("Commissionable"), "money"),
        Column(_("Percent"), "number"), Column(_("Commission"), "money")], f"commissions-{period.key}",
        empty=_("Nobody sold anything in this period."))
    grand = 0
    for person, commission in rows:
        for line in commission.lines:
            table.add(person.name, line.category or _("All other categories"),
                      _("own rule") if line.seller_rule else _("shop-wide rule"), line.sold, line.threshold,
                      line.base, line.percent, line.amount)
        table.add(_("%(name)s: total", name=person.name), "", "", commission.sold_in_all, None, None, None,
                  commission.total, css="subtotal")
        grand += commission.total
    if len(rows) > 1:
        table.total(total_label or _("Whole shop"), "", "", sum((c.sold_in_all for _p, c in rows), Amounts()),
                    None, None, None, grand)
    elsewhere = sum((c.sold_elsewhere for _p, c in rows), Amounts())
    if elsewhere:
        table.warnings.append(_("Commissions are worked out on sales in %(currency)s, the currency of the rules "
                                "and their thresholds; %(amounts)s sold in other currencies earn none here and "
                                "are never converted.", currency=shop_currency(), amounts=spelled(elsewhere)))
    return table


def commission_months_table(period, rows) -> Table:
    """Month by month, for periods longer than a month: each month's threshold applied to that month."""
    table = Table("commission-months", _("Commissions month by month"), [
        Column(_("Seller")), Column(_("Month")), Column(_("Category")), Column(_("Sold"), "money"),
        Column(_("Threshold a month"), "money"), Column(_("Commissionable"), "money"),
        Column(_("Commission"), "money")], f"commissions-by-month-{period.key}")
    for person, commission in rows:
        for month, of_month in commission.months:
            for line in of_month.lines:
                if line.sold:
                    table.add(person.name, month.label, line.category or _("All other categories"), line.sold,
                              line.threshold, line.base, line.amount)
    return table


def commission_notes(period, rows) -> list[str]:
    """Where the threshold was applied, and why a long period is the sum of its months."""
    has_threshold = any(line.threshold for _person, c in rows for line in c.lines)
    if not has_threshold:
        return []
    if period.kind == "month":
        return [_("The thresholds apply to the sales of %(month)s.", month=period.label)]
    months = {month.key for _person, c in rows for month, _c in c.months}
    return [ngettext("The thresholds apply month by month: each month's sales above the threshold earn the "
                     "commission, and %(period)s is the sum of its %(num)d month with sales (see month by month "
                     "below).",
                     "The thresholds apply month by month: each month's sales above the threshold earn the "
                     "commission, and %(period)s is the sum of its %(num)d months with sales (see month by month "
                     "below).", len(months), period=period.label)]


def rules_table(rules) -> Table:
    table = Table("rules", _("Commission rules"), [
        Column(_("For")), Column(_("Product category")), Column(_("Commission (%)"), "number"),
        Column(_("Only on sales above (a month)"), "money")], "commission-rules",
        empty=_("No rules yet: nobody earns a commission."))
    for rule in rules:
        table.add(rule.seller.name if rule.seller else _("Every seller"), rule.category or _("All categories"),
                  rule.percent, rule.threshold)
    return table


LOYALTY_TITLES = {"due": "Due to buy again", "lapsed": "Lapsed customers", "best": "Best customers",
                  "cross_sell": "Cross-sell"}


def loyalty_table(name, rows, as_of, title) -> Table:
    columns = [Column(_("Customer")), Column(_("City")), Column(_("Orders"), "count"),
               Column(_("Last purchase"), "date"), Column(_("Spent"), "money")]
    if name == "best":
        columns += [Column(_("Recency"), "count"), Column(_("Frequency"), "count"), Column(_("Amount"), "count"),
                    Column(_("RFM score"), "count")]
    elif name in ("due", "lapsed"):
        columns += [Column(_("Buys every (days)"), "count"), Column(_("Days since last purchase"), "count")]
    table = Table(name.replace("_", "-"), title, columns, f"loyalty-{name}-{as_of.isoformat()}")
    for r in rows or ():
        values = [Link(r["name"], url_for("customers.show", customer_id=r["id"])), r["city"], r["orders"],
                  r["last"], r["spent"]]
        if name == "best":
            values += [r["recency"], r["frequency"], r["amount"], r["score"]]
        elif name in ("due", "lapsed"):
            values += [_whole(r["interval"]), _whole(r["since"])]
        table.add(*values)
    return table


def _whole(value):
    return None if value is None else round(float(value))


def pipeline_table(period, rows) -> Table:
    """The dashboard's pipeline: open stages now (estimates), won and lost stages in the month."""
    table = Table("pipeline", _("Pipeline value by stage"), [
        Column(_("Stage")), Column(_("Deals"), "count"), Column(_("Value"), "money"), Column(_("Counted as"))],
        f"pipeline-{period.key}")
    # Short, the table sits in a dashboard card: the sentence above it says which period won and lost cover.
    counted = {"open": _("estimate, open now"), "won": _("amount won"), "lost": _("estimate, lost")}
    for row in rows:
        table.add(Link(row["stage"].shown_name, url_for("leads.index", stage=row["stage"].id)), row["count"],
                  row["value"], counted[row["stage"].kind])
    return table


def structure_table(period, level, groups, total) -> Table:
    """One level of the sales force (branches, teams, managers or sellers) with the total the level adds up to."""
    titles = {"branch": (_("Branch"), _("No branch")), "team": (_("Team"), _("No team")),
              "manager": (_("Manager"), _("No manager")), "seller": (_("Seller"), _("No seller"))}
    heading, nobody = titles[level]
    table = Table(f"per-{level}", heading, [
        Column(heading), Column(_("New leads"), "count"), Column(_("Contacts made"), "count"),
        Column(_("Deals won"), "count"), Column(_("Deals lost"), "count"), Column(_("Win rate"), "percent"),
        Column(_("Revenue"), "money")], f"{level}-{period.key}", empty=nothing_label())

    def values(label, p):
        return [label, p.new_leads, p.contacts, p.won, p.lost, p.win_rate, p.revenue]

    for group in groups:
        table.add(*values(group.label if group.label is not None else nobody, group.numbers))
    if groups:
        table.total(*values(_("Total"), total))
    if level == "manager":
        table.notes.append(_("A team with two managers counts under each of them; the total counts it once."))
    return table


def product_wins_tables(period, products, categories, total) -> list[Table]:
    """Wins per product and per category, each with the deals counted once as its total row."""
    tables = []
    for name, title, first, rows in (("per-product", _("Per product"), _("Product"), products),
                                     ("per-category", _("Per category"), _("Category"), categories)):
        table = Table(name, title, [Column(first), Column(_("Deals won"), "count"), Column(_("Deals lost"), "count"),
                                    Column(_("Win rate"), "percent"), Column(_("Won value"), "money")],
                      f"wins-{name}-{period.key}", empty=_("No deal with products was won or lost in this period."))
        for row in rows:
            table.add(row.name or _("No category"), row.won, row.lost, row.win_rate, row.value)
        if rows:
            table.total(_("Every deal with a product"), total.won, total.lost, total.win_rate, total.value)
            table.notes.append(_("A deal with several products counts in each of their rows, and once in the "
                                 "total."))
        tables.append(table)
    return tables
