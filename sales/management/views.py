"""Management pages: each reads its period (and seller) from the query string, calls a rule, renders."""
from datetime import timedelta
from decimal import Decimal

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import format_percent, gettext as _
from flask_login import current_user
from sqlalchemy import select

from extensions import db
from models import GOAL_METRICS, CommissionRule, Product, Segment, Tag, User
from sales.clock import shop_today
from sales.csv_export import csv_response
from sales.htmx import render_page
from sales.pagination import page_number, paginate
from sales.forms import EmptyForm
from sales.management import bp, commissions as commission_rules, funnel as funnel_rules, metrics, periods
from sales.management import loyalty as loyalty_rules, scope as report_scope, segments as segment_rules, tables
from sales.management.access import get_seller_or_404, seller_from_args
from sales.management.forms import METRIC_NAMES, CommissionRuleForm, GoalForm, SegmentForm
from sales import bulk, records
from sales.policy import require
from sales.money import shop_currency
from sales.report_tables import report_page


def _page(template, **context):
    """Management pages sit under the Dashboard entry of the main navigation."""
    return render_page(None, f"management/{template}", active_nav="pages.home", **context)


def _report(template, tables, endpoint=None, **context):
    """A report page with its tables (each downloadable as CSV with ?csv=<table>)."""
    endpoint = endpoint or request.endpoint
    return report_page(None, f"management/{template}", tables, endpoint=endpoint, active_nav="pages.home",
                       report_endpoint=endpoint, **context)


def _people(seller, scope=None, readable=None):
    """The people a report covers: one person, or everyone whose numbers the user may read (in the scope asked
    for: a team, a branch…). `readable`: metrics.sellers(readable_by=current_user), when the page has them."""
    if seller is not None:
        return [seller]
    people = metrics.sellers(readable_by=current_user) if readable is None else readable
    return people if scope is None else [person for person in people if scope.keeps(person)]


def _scoped():
    """(seller or None, scope, the context the period bar needs to offer and keep the scope)."""
    seller, scope = report_scope.from_args(request.args)
    return seller, scope, {"scope": scope, "scopes": report_scope.choices(current_user)}


def _scope_total(period, scope, everyone=None):
    """The Performance of everything in the scope: the whole shop's row, or its people's (and no seller's) rows
    added up — the same figures, so teams and "no team" add up to the shop. `everyone`: performance(period),
    when the page has it already."""
    from sales.management.structure import added_up

    if scope.is_shop:
        return metrics.shop_total(period, metrics.performance(period) if everyone is None else everyone)
    return added_up(metrics.performance(period, scope.ids).values())


def _pickable():
    """The people a user may pick in a report's seller list: the owner everyone, a team's manager their team."""
    return metrics.sellers(readable_by=current_user) if current_user.is_owner or current_user.is_manager else []


def _may_set_goals():
    return current_user.is_owner or current_user.is_manager


def _csv(view, table):
    """The CSV addresses (/manage/performance.csv …): the table the page shows, from the same view."""
    g.report_csv = table
    return view()


# --- Goals -------------------------------------------------------------------------------------------------------


@bp.route("/goals")
@require("management.view")
def goals():
    return _goals_page(_goal_form() if _may_set_goals() else None)


@bp.route("/goals", methods=["POST"])
@require("management.view")
def save_goals():
    # The owner sets anyone's goals, a team's manager their team's (sales/records.py decides, per person).
    if not _may_set_goals():
        abort(403)
    form = _goal_form()
    if not form.validate_on_submit():
        return _goals_page(form, status=422)
    person = get_seller_or_404(form.seller_id.data)
    if not records.may_change(current_user, records.Figures(person)):
        abort(403)
    chosen = periods.parse(form.period.data)
    for metric in GOAL_METRICS:
        metrics.set_goal(person.id, chosen, metric, getattr(form, metric).data)
    db.session.commit()
    flash(_("Goals for %(name)s, %(period)s saved.", name=person.name, period=chosen.label), "success")
    return redirect(url_for("management.goals", period=chosen.key), 303)


def _goals_page(form, status=200):
    today = shop_today()
    period = periods.from_request(request.args, today)
    seller, scope, scoping = _scoped()
    # The whole shop's figures are counted once, for its people's rows and its total alike.
    everyone = metrics.performance(period) if seller is None and scope.is_shop else None
    people = _people(seller, scope, getattr(form, "readable_people", None))
    board = metrics.without_idle_owner(metrics.goal_progress(period, people, everyone,
                                                             getattr(form, "readable_goals", None)),
                                       lambda entry: entry.seller, lambda entry: bool(entry.goals))
    shop_goals = []
    if seller is None:
        shop_goals = metrics.shop_goal_progress(board, _scope_total(period, scope, everyone))
    table = tables.goals_table(period, board, shop_goals, scope.label)
    return _report("_goals.html", [table], endpoint="management.goals", title=_("Goals"), period=period,
                   seller=seller, board=board, form=form, shop_goals=shop_goals,
                   expected_share=period.elapsed_share(today), status=status, **scoping)


def _goal_form():
    """The owner's goal form, filled with the saved goals of the seller and period asked for (?seller, ?period)."""
    today = shop_today()
    period = periods.from_request(request.args, today)
    seller = seller_from_args(request.args)
    readable = metrics.sellers(readable_by=current_user)
    people = [person for person in readable if records.may_change(current_user, records.Figures(person))]
    choices = periods.goal_periods(today)
    if period.kind in ("month", "quarter") and period.key not in {p.key for p in choices}:
        choices.append(period)
    target = seller or (people[0] if people else None)
    data = {"seller_id": target.id if target else None, "period": period.key}
    # Everyone's goals of the period at once: the board below shows them too.
    ids = [person.id for person in readable]
    saved = metrics.goals_for(period, ids)
    form_readable_goals = (ids, saved)
    if target is not None and request.method == "GET":
        existing = (saved if target.id in ids else metrics.goals_for(period, [target.id])).get(target.id, {})
        data.update({metric: goal.target for metric, goal in existing.items()})
    form = GoalForm(data=data) if request.method == "GET" else GoalForm()
    form.seller_id.choices = [(p.id, p.name) for p in people]
    form.period.choices = [(p.key, p.label) for p in choices]
    form.readable_people = readable     # the goal board below lists them too: read once
    form.readable_goals = form_readable_goals
    return form


@bp.route("/goals.csv")
@require("management.view")
def goals_csv():
    return _csv(goals, "goals")


# --- Seller performance ------------------------------------------------------------------------------------------


def _performance_rows(period, seller):
    """The rows of the report and the whole-shop total, which is their sum: every active seller, then anyone
    else with figures in the period (people no longer active, support staff who logged contacts) and the deals
    with no seller, each on a row of its own, so nothing in the total is hidden."""
    if seller is not None:
        return [(seller, metrics.performance(period, [seller.id])[seller.id])], None
    # The whole shop in one pass: every row and the total come from the same four queries.
    numbers = metrics.performance(period)
    people = metrics.sellers()
    listed = {person.id for person in people}
    others = [db.session.get(User, key) for key in numbers if key is not None and key not in listed]
    rows = [(person, numbers.get(person.id) or metrics.Performance(person.id)) for person in people]
    rows = metrics.without_idle_owner(rows, lambda row: row[0], lambda row: row[1].is_active)
    rows += [(person, numbers[person.id]) for person in sorted(others, key=lambda p: (p.name, p.id))
             if numbers[person.id].is_active]
    if None in numbers and numbers[None].is_active:
        rows.append((None, numbers[None]))
    return rows, metrics.shop_total(period, numbers)


@bp.route("/performance")
@require("management.view")
def performance():
    period = periods.from_request(request.args, shop_today())
    seller = seller_from_args(request.args)
    rows, total = _performance_rows(period, seller)
    return _report("_performance.html", [tables.performance_table(period, rows, total)],
                   title=_("Seller performance"), period=period, seller=seller, total=total,
                   people=_pickable())


@bp.route("/performance.csv")
@require("management.view")
def performance_csv():
    return _csv(performance, "performance")


# --- The sales force's structure --------------------------------------------------------------------------------


@bp.route("/structure")
@require("management.view")
def structure():
    from sales.management.structure import LEVELS, by_structure

    period = periods.from_request(request.args, shop_today())
    levels, total = by_structure(period, current_user)
    report = [tables.structure_table(period, level, levels[level], total) for level in LEVELS]
    return _report("_structure.html", report, title=_("Sales force"), period=period, seller=None, people=[])


# --- Funnel fractures ----------------------------------------------------------------------------------------------


@bp.route("/funnel")
@require("management.view")
def funnel():
    period = periods.from_request(request.args, shop_today())
    seller, scope, scoping = _scoped()
    flows = funnel_rules.funnel(period, seller.id if seller else None, seller_ids=scope.ids if seller is None else None)
    compare = seller is None and request.args.get("compare") == "1"
    report = [tables.funnel_table(period, flows, seller)]
    if compare:
        matrix = funnel_rules.conversion_by_seller(period)
        by_seller = metrics.without_idle_owner([(person, matrix.get(person.id, {})) for person in _people(None, scope)],
                                               lambda row: row[0], lambda row: bool(row[1]))
        report.append(tables.compare_table(period, flows, by_seller))
    return _report("_funnel.html", report, title=_("Funnel"), period=period, seller=seller, flows=flows,
                   compare=compare, people=_pickable(),
                   extra_args={"compare": "1"} if compare else {}, **scoping)


@bp.route("/funnel.csv")
@require("management.view")
def funnel_csv():
    return _csv(funnel, "funnel")


# --- Commissions ---------------------------------------------------------------------------------------------------


def _rule_form():
    form = CommissionRuleForm()
    form.seller_id.choices = [(0, _("Every seller"))] + [(p.id, p.name) for p in metrics.sellers()]
    form.category.choices = [("", _("All categories"))] + [(c, c) for c in commission_rules.categories()]
    return form


def _commissions_page(form=None, status=200):
    period = periods.from_request(request.args, shop_today())
    seller, scope, scoping = _scoped()
    rows = metrics.without_idle_owner(commission_rules.commissions(period, _people(seller, scope)),
                                      lambda row: row[0], lambda row: row[1].sold > 0 or bool(row[1].sold_elsewhere))
    report = [tables.commissions_table(period, rows, scope.label)]
    if period.kind != "month":
        report.append(tables.commission_months_table(period, rows))
    rules = commission_rules.all_rules() if current_user.is_owner else []
    if current_user.is_owner:
        report.append(tables.rules_table(rules))
        if form is None:
            form = _rule_form()
    return _report("_commissions.html", report, endpoint="management.commissions", title=_("Commissions"),
                   period=period, seller=seller, rows=rows, rules=rules, form=form, delete_form=EmptyForm(),
                   status=status, notes=tables.commission_notes(period, rows),
                   people=_pickable(), **scoping)


@bp.route("/commissions")
@require("management.view")
def commissions():
    return _commissions_page()


@bp.route("/commissions/rules", methods=["POST"])
@require("commissions.configure")
def save_commission_rule():
    form = _rule_form()
    if not form.validate_on_submit():
        return _commissions_page(form, status=422)
    seller_id = form.seller_id.data or None
    if seller_id is not None:
        get_seller_or_404(seller_id)
    commission_rules.save_rule(seller_id, form.category.data or None, form.percent.data, form.threshold.data)
    db.session.commit()
    flash(_("Commission rule saved."), "success")
    return redirect(url_for("management.commissions", period=request.args.get("period")), 303)


class CommissionRuleDeletion(bulk.Deletion):
    model = CommissionRule
    permission = "commissions.configure"

    def _rule(self, seller_id, category, percent):
        seller = db.session.get(User, seller_id) if seller_id else None
        return " · ".join([seller.name if seller else _("Every seller"), category or _("All categories"),
                           format_percent(Decimal(str(percent)) / 100, "#,##0.##%")])

    def question(self, rule):
        return _("Remove the commission rule %(rule)s?", rule=self._rule(rule.seller_id, rule.category, rule.percent))

    def summary(self, rule):
        return _("Commission rule %(rule)s removed.", rule=self._rule(rule.seller_id, rule.category, rule.percent))

    def restored_text(self, before):
        return _("Commission rule %(rule)s is back.",
                 rule=self._rule(before["seller_id"], before["category"], before["percent"]))

    def back(self, before):
        return url_for("management.commissions")


COMMISSION_RULE_DELETION = bulk.deletion(CommissionRuleDeletion())


@bp.route("/commissions/rules/<int:rule_id>/delete", methods=["GET", "POST"])
@require("commissions.configure")
def delete_commission_rule(rule_id):
    """GET asks first; POST removes the rule, with ten minutes to undo it."""
    rule = db.session.get(CommissionRule, rule_id) or abort(404)
    if request.method == "GET":
        return bulk.confirm_delete(COMMISSION_RULE_DELETION, rule, request.path)
    return bulk.delete_view(COMMISSION_RULE_DELETION, rule)


@bp.route("/commissions.csv")
@require("management.view")
def commissions_csv():
    return _csv(commissions, "commissions")


# --- Segments ------------------------------------------------------------------------------------------------------


def _segment_form(segment=None):
    from sales.leads.forms import SOURCE_CHOICES

    if request.method == "POST":
        form = SegmentForm()
    else:
        # Counting is a GET with the filters in the query string: bookmarkable, and no CSRF token needed.
        values = request.args if any(k in request.args for k in segment_rules.FILTER_KEYS) or segment is None \
            else None
        form = SegmentForm(formdata=values, meta={"csrf": False},
                           data=dict(segment.filter_values, name=segment.name) if segment else None)
    any_choice = [("", _("Any"))]
    form.source.choices = any_choice + [(value, str(label)) for value, label in SOURCE_CHOICES]
    form.tag.choices = any_choice + [(t.name, t.name) for t in db.session.scalars(select(Tag).order_by(Tag.name))]
    categories = [(c, c) for c in commission_rules.categories()]
    form.bought_category.choices = any_choice + categories
    form.not_bought_category.choices = any_choice + categories
    form.bought_product.choices = any_choice + [
        (p.id, p.name) for p in db.session.scalars(select(Product).where(Product.active).order_by(Product.name))]
    return form


def get_segment_or_404(segment_id, change=False):
    return records.get_or_404(Segment, segment_id, change=change)


def _segment_preview(form):
    filters = form.filters() if not form.errors else {}
    return {"filters": filters, "total": segment_rules.count(filters),
            "sample": db.session.scalars(segment_rules.customers_statement(filters).limit(20)).all()}


@bp.route("/segments", methods=["GET", "POST"])
@require("segments.use")
def segments():
    form = _segment_form()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and _segment_name_ok(form):
            segment = segment_rules.save(form.name.data, form.filters())
            db.session.commit()
            flash(_("Segment “%(name)s” saved.", name=segment.name), "success")
            return redirect(url_for("management.segment", segment_id=segment.id), 303)
        status = 422
    else:
        form.validate()
    saved = [(segment, segment_rules.count(segment)) for segment in segment_rules.all_segments()]
    return _page("_segments.html", title=_("Segments"), form=form, saved=saved, status=status, segment=None,
                 may_save=True, **_segment_preview(form))


def _segment_name_ok(form, exclude_id=None):
    if not (form.name.data or "").strip():
        form.name.errors.append(_("Give the segment a name to save it."))
        return False
    if segment_rules.name_taken(form.name.data, exclude_id):
        form.name.errors.append(_("There is already a segment with this name."))
        return False
    return True


@bp.route("/segments/count")
@require("segments.use")
def segment_count():
    """The live count under the builder (htmx asks on every change)."""
    form = _segment_form()
    form.validate()
    return render_page(None, "management/_segment_count.html", title=_("Segments"), active_nav="pages.home",
                       **_segment_preview(form))


@bp.route("/segments/<int:segment_id>", methods=["GET", "POST"])
@require("segments.use")
def segment(segment_id):
    segment = get_segment_or_404(segment_id, change=request.method == "POST")
    form = _segment_form(segment)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and _segment_name_ok(form, exclude_id=segment.id):
            segment_rules.save(form.name.data, form.filters(), segment)
            db.session.commit()
            flash(_("Segment “%(name)s” saved.", name=segment.name), "success")
            return redirect(url_for("management.segment", segment_id=segment.id), 303)
        status = 422
    else:
        form.validate()
    page = paginate(segment_rules.customers_statement(segment), page_number(request.args.get("page")), 50)
    may_change = current_user.is_owner or segment.created_by_id == current_user.id
    # The list above is the preview of the saved filters; only changed filters need counting again.
    changed = request.method == "POST" or any(key in request.args for key in segment_rules.FILTER_KEYS)
    preview = _segment_preview(form) if changed else {"filters": segment_rules.filters_of(segment),
                                                       "total": page.total, "sample": []}
    return _page("_segment.html", title=segment.name, segment=segment, form=form, page=page, status=status,
                 delete_form=EmptyForm(), may_change=may_change, may_save=may_change, **preview)


class SegmentDeletion(bulk.Deletion):
    model = Segment
    permission = "segments.use"

    def question(self, segment):
        return _("Delete the segment “%(name)s”?", name=segment.name)

    def consequence(self, segment):
        return _("Its customers stay as they are: only the saved filter goes.")

    def summary(self, segment):
        return _("Segment “%(name)s” deleted.", name=segment.name)

    def restored_text(self, before):
        return _("Segment “%(name)s” is back.", name=before["name"])

    def back(self, before):
        return url_for("management.segments")


SEGMENT_DELETION = bulk.deletion(SegmentDeletion())


@bp.route("/segments/<int:segment_id>/delete", methods=["GET", "POST"])
@require("segments.use")
def delete_segment(segment_id):
    """GET asks first; POST deletes the segment, with ten minutes to undo it."""
    segment = get_segment_or_404(segment_id, change=True)
    if request.method == "GET":
        return bulk.confirm_delete(SEGMENT_DELETION, segment, request.path)
    return bulk.delete_view(SEGMENT_DELETION, segment)


@bp.route("/segments/<int:segment_id>.csv")
@require("segments.use")
def segment_csv(segment_id):
    segment = get_segment_or_404(segment_id)
    return _customers_csv(f"segment-{segment.id}.csv", segment)


@bp.route("/segments.csv")
@require("segments.use")
def segment_filters_csv():
    form = _segment_form()
    form.validate()
    return _customers_csv("segment.csv", form.filters())


def _customers_csv(filename, segment_or_filters):
    """The segment's customers; what they spent in one column per currency when they bought in several."""
    currencies = segment_rules.export_currencies(segment_or_filters)
    spent = [_("Spent")] if currencies == [shop_currency()] else [
        f'{_("Spent")} ({currency})' for currency in currencies]
    return csv_response(filename, [_("Customer"), _("Email"), _("Phone"), _("City"), _("Orders"), *spent,
                                   _("Last purchase")],
                        segment_rules.export_rows(segment_or_filters, currencies=currencies))


# --- Repeat purchase and loyalty --------------------------------------------------------------------------------------


def _loyalty_context():
    today = shop_today()
    period = periods.from_request(request.args, today, default_kind="year")
    # The lists as they stood at the end of the period (today for the current one).
    as_of = min(today, period.end - timedelta(days=1))
    bought, never = request.args.get("bought", ""), request.args.get("never", "")
    return {"period": period, "as_of": as_of, "bought": bought, "never": never,
            "categories": commission_rules.categories()}


LOYALTY_LISTS = ("due", "lapsed", "best", "cross_sell")


@bp.route("/loyalty")
@require("loyalty.view")
def loyalty():
    return _loyalty_page(request.args.get("list", "due"), request.args.get("all") == "1")


def _loyalty_page(shown, everyone):
    """One list at a time (due, lapsed, best, cross-sell): each is its own aggregate over every order.

    The page and its CSV list the same customers: the 50 first (20 best), or every one with ?all=1."""
    context = _loyalty_context()
    if shown not in LOYALTY_LISTS:
        shown = "due"
    as_of = context["as_of"]
    limit = None if everyone else (20 if shown == "best" else 50)
    if shown == "cross_sell":
        rows = loyalty_rules.cross_sell(context["bought"], context["never"], limit=limit) \
            if context["bought"] and context["never"] else None
    else:
        rows = {"due": loyalty_rules.due_to_buy, "lapsed": loyalty_rules.lapsed,
                "best": loyalty_rules.best_customers}[shown](as_of, limit=limit)
    titles = {"due": _("Due to buy again"), "lapsed": _("Lapsed customers"), "best": _("Best customers"),
              "cross_sell": _("Cross-sell: bought one thing, never another")}
    table = tables.loyalty_table(shown, rows, as_of, titles[shown])
    return _report("_loyalty.html", [table], title=_("Loyalty"), seller=None, shown=shown, rows=rows,
                   due_ahead=loyalty_rules.DUE_AHEAD_DAYS, limited=limit is not None and rows is not None
                   and len(rows) == limit, everyone=everyone, **context)


@bp.route("/loyalty/<any(due, lapsed, best, cross_sell):name>.csv")
@require("loyalty.view")
def loyalty_csv(name):
    g.report_csv = name.replace("_", "-")
    return _loyalty_page(name, everyone=True)


def _share(value):
    from flask_babel import format_percent

    return "" if value is None else format_percent(value)


# --- Wins per product --------------------------------------------------------------------------------------------


@bp.route("/products")
@require("management.view")
def product_wins():
    from sales.management.product_wins import product_wins_report

    period = periods.from_request(request.args, shop_today())
    seller, scope, scoping = _scoped()
    products, categories, total = product_wins_report(period, seller.id if seller else None,
                                                      seller_ids=scope.ids if seller is None else None)
    return _report("_product_wins.html", tables.product_wins_tables(period, products, categories, total),
                   title=_("Wins per product"), period=period, seller=seller,
                   people=_people(None, scope) if seller is None else [], **scoping)
