"""Management pages: each reads its period (and seller) from the query string, calls a rule, renders."""
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from extensions import db
from models import GOAL_METRICS, CommissionRule, Product, Segment, Tag
from sales.clock import shop_today
from sales.csv_export import csv_response
from sales.htmx import render_page
from sales.pagination import page_number, paginate
from sales.forms import EmptyForm
from sales.management import bp, commissions as commission_rules, funnel as funnel_rules, metrics, periods
from sales.management import loyalty as loyalty_rules, segments as segment_rules
from sales.management.access import get_seller_or_404, seller_from_args
from sales.management.forms import METRIC_NAMES, CommissionRuleForm, GoalForm, SegmentForm
from sales import records
from sales.policy import require


def _page(template, **context):
    """Management pages sit under the Dashboard entry of the main navigation."""
    return render_page(None, f"management/{template}", active_nav="pages.home", **context)


def _people(seller):
    """The people a report covers: one person, or (for the owner) everyone who sells."""
    return [seller] if seller is not None else metrics.sellers()


def _percent(value):
    return f"{value:.1%}" if value is not None else ""


def _number(value):
    return "" if value is None else value


# --- Goals -------------------------------------------------------------------------------------------------------


@bp.route("/goals")
@require("management.view")
def goals():
    return _goals_page(_goal_form() if current_user.is_owner else None)


@bp.route("/goals", methods=["POST"])
@require("goals.set")
def save_goals():
    form = _goal_form()
    if not form.validate_on_submit():
        return _goals_page(form, status=422)
    person = get_seller_or_404(form.seller_id.data)
    chosen = periods.parse(form.period.data)
    for metric in GOAL_METRICS:
        metrics.set_goal(person.id, chosen, metric, getattr(form, metric).data)
    db.session.commit()
    flash(_("Goals for %(name)s, %(period)s saved.", name=person.name, period=chosen.label), "success")
    return redirect(url_for("management.goals", period=chosen.key), 303)


def _goals_page(form, status=200):
    today = shop_today()
    period = periods.from_request(request.args, today)
    seller = seller_from_args(request.args)
    board = metrics.without_idle_owner(metrics.goal_progress(period, _people(seller)),
                                       lambda entry: entry.seller, lambda entry: bool(entry.goals))
    return _page("_goals.html", title=_("Goals"), period=period, seller=seller, board=board, form=form,
                 shop_goals=metrics.shop_goal_progress(board) if seller is None else [],
                 expected_share=period.elapsed_share(today), status=status)


def _goal_form():
    """The owner's goal form, filled with the saved goals of the seller and period asked for (?seller, ?period)."""
    today = shop_today()
    period = periods.from_request(request.args, today)
    seller = seller_from_args(request.args)
    people = metrics.sellers()
    choices = periods.goal_periods(today)
    if period.key not in {p.key for p in choices}:
        choices.append(period)
    target = seller or (people[0] if people else None)
    data = {"seller_id": target.id if target else None, "period": period.key}
    if target is not None and request.method == "GET":
        existing = metrics.goals_for(period, [target.id]).get(target.id, {})
        data.update({metric: goal.target for metric, goal in existing.items()})
    form = GoalForm(data=data) if request.method == "GET" else GoalForm()
    form.seller_id.choices = [(p.id, p.name) for p in people]
    form.period.choices = [(p.key, p.label) for p in choices]
    return form


@bp.route("/goals.csv")
@require("management.view")
def goals_csv():
    period = periods.from_request(request.args, shop_today())
    board = metrics.goal_progress(period, _people(seller_from_args(request.args)))
    rows = [(entry.seller.name, period.key, str(METRIC_NAMES[goal.metric]), goal.target, goal.actual,
             _percent(goal.share))
            for entry in board for goal in entry.goals]
    return csv_response(f"goals-{period.key}.csv",
                        [_("Seller"), _("Period"), _("Goal"), _("Target"), _("Actual"), _("Progress")], rows)


# --- Seller performance ------------------------------------------------------------------------------------------


def _performance_rows(period, seller):
    if seller is not None:
        return [(seller, metrics.performance(period, [seller.id])[seller.id])], None
    # The whole shop in one pass: every seller's row and the total come from the same four queries.
    numbers = metrics.performance(period)
    rows = [(person, numbers.get(person.id) or metrics.Performance(person.id)) for person in metrics.sellers()]
    rows = metrics.without_idle_owner(rows, lambda row: row[0], lambda row: row[1].is_active)
    return rows, metrics.shop_total(period, numbers)


@bp.route("/performance")
@require("management.view")
def performance():
    period = periods.from_request(request.args, shop_today())
    seller = seller_from_args(request.args)
    rows, total = _performance_rows(period, seller)
    return _page("_performance.html", title=_("Seller performance"), period=period, seller=seller, rows=rows,
                 total=total)


@bp.route("/performance.csv")
@require("management.view")
def performance_csv():
    period = periods.from_request(request.args, shop_today())
    rows, total = _performance_rows(period, seller_from_args(request.args))
    if total is not None:
        rows.append((None, total))

    def line(person, p):
        return (person.name if person else _("Whole shop"), period.key, p.new_leads, p.contacts, p.won, p.lost,
                _percent(p.win_rate), p.revenue, _number(p.average_deal), _number(p.cycle_days), _number(p.gap),
                p.gap_answers)

    return csv_response(f"performance-{period.key}.csv",
                        [_("Seller"), _("Period"), _("New leads"), _("Contacts made"), _("Deals won"),
                         _("Deals lost"), _("Win rate"), _("Revenue"), _("Average deal"), _("Sales cycle (days)"),
                         _("Satisfaction gap"), _("Surveys")],
                        [line(person, p) for person, p in rows])


# --- Funnel fractures ----------------------------------------------------------------------------------------------


@bp.route("/funnel")
@require("management.view")
def funnel():
    period = periods.from_request(request.args, shop_today())
    seller = seller_from_args(request.args)
    flows = funnel_rules.funnel(period, seller.id if seller else None)
    compare = seller is None and request.args.get("compare") == "1"
    by_seller = []
    if compare:
        matrix = funnel_rules.conversion_by_seller(period)
        by_seller = metrics.without_idle_owner([(person, matrix.get(person.id, {})) for person in metrics.sellers()],
                                               lambda row: row[0], lambda row: bool(row[1]))
    return _page("_funnel.html", title=_("Funnel"), period=period, seller=seller, flows=flows, compare=compare,
                 by_seller=by_seller, people=metrics.sellers() if current_user.is_owner else [],
                 extra_args={"compare": "1"} if compare else {})


@bp.route("/funnel.csv")
@require("management.view")
def funnel_csv():
    period = periods.from_request(request.args, shop_today())
    seller = seller_from_args(request.args)
    flows = funnel_rules.funnel(period, seller.id if seller else None)
    rows = [(f.stage.name, f.reached, f.left, f.moved_on, f.lost, f.went_back, _percent(f.conversion),
             _number(f.median_days), _("fracture") if f.is_fracture else "", _("stall") if f.is_stall else "")
            for f in flows]
    return csv_response(f"funnel-{period.key}.csv",
                        [_("Stage"), _("Reached it"), _("Left it"), _("Moved on"), _("Lost here"), _("Went back"),
                         _("Conversion"), _("Median days in stage"), _("Fracture"), _("Stall")], rows)


# --- Commissions ---------------------------------------------------------------------------------------------------


def _rule_form():
    form = CommissionRuleForm()
    form.seller_id.choices = [(0, _("Every seller"))] + [(p.id, p.name) for p in metrics.sellers()]
    form.category.choices = [("", _("All categories"))] + [(c, c) for c in commission_rules.categories()]
    return form


def _commissions_page(form=None, status=200):
    period = periods.from_request(request.args, shop_today())
    seller = seller_from_args(request.args)
    rows = metrics.without_idle_owner(commission_rules.commissions(period, _people(seller)),
                                      lambda row: row[0], lambda row: row[1].sold > 0)
    rules = commission_rules.all_rules() if current_user.is_owner else []
    if form is None and current_user.is_owner:
        form = _rule_form()
    return _page("_commissions.html", title=_("Commissions"), period=period, seller=seller, rows=rows,
                 rules=rules, form=form, delete_form=EmptyForm(), status=status,
                 people=metrics.sellers() if current_user.is_owner else [])


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


@bp.route("/commissions/rules/<int:rule_id>/delete", methods=["POST"])
@require("commissions.configure")
def delete_commission_rule(rule_id):
    rule = db.session.get(CommissionRule, rule_id)
    if rule is None or not EmptyForm().validate_on_submit():
        abort(404)
    db.session.delete(rule)
    db.session.commit()
    flash(_("Commission rule removed."), "success")
    return redirect(url_for("management.commissions"), 303)


@bp.route("/commissions.csv")
@require("management.view")
def commissions_csv():
    period = periods.from_request(request.args, shop_today())
    rows = commission_rules.commissions(period, _people(seller_from_args(request.args)))
    lines = [(person.name, period.key, line.category or _("All other categories"), line.sold, line.threshold or "",
              line.base, line.percent, line.amount)
             for person, commission in rows for line in commission.lines]
    return csv_response(f"commissions-{period.key}.csv",
                        [_("Seller"), _("Period"), _("Category"), _("Sold"), _("Threshold"), _("Commissionable"),
                         _("Percent"), _("Commission")], lines)


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


@bp.route("/segments/<int:segment_id>/delete", methods=["POST"])
@require("segments.use")
def delete_segment(segment_id):
    segment = get_segment_or_404(segment_id, change=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    db.session.delete(segment)
    db.session.commit()
    flash(_("Segment “%(name)s” deleted.", name=segment.name), "success")
    return redirect(url_for("management.segments"), 303)


@bp.route("/segments/<int:segment_id>.csv")
@require("segments.use")
def segment_csv(segment_id):
    segment = get_segment_or_404(segment_id)
    return _customers_csv(f"segment-{segment.id}.csv", segment_rules.export_rows(segment))


@bp.route("/segments.csv")
@require("segments.use")
def segment_filters_csv():
    form = _segment_form()
    form.validate()
    return _customers_csv("segment.csv", segment_rules.export_rows(form.filters()))


def _customers_csv(filename, rows):
    return csv_response(filename, [_("Customer"), _("Email"), _("Phone"), _("City"), _("Orders"), _("Spent"),
                                   _("Last purchase")], rows)


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
    """One list at a time (due, lapsed, best, cross-sell): each is its own aggregate over every order."""
    context = _loyalty_context()
    shown = request.args.get("list", "due")
    if shown not in LOYALTY_LISTS:
        shown = "due"
    as_of = context["as_of"]
    if shown == "cross_sell":
        rows = loyalty_rules.cross_sell(context["bought"], context["never"]) \
            if context["bought"] and context["never"] else None
    else:
        rows = {"due": loyalty_rules.due_to_buy, "lapsed": loyalty_rules.lapsed,
                "best": loyalty_rules.best_customers}[shown](as_of)
    return _page("_loyalty.html", title=_("Loyalty"), seller=None, shown=shown, rows=rows,
                 due_ahead=loyalty_rules.DUE_AHEAD_DAYS, **context)


@bp.route("/loyalty/<any(due, lapsed, best, cross_sell):name>.csv")
@require("loyalty.view")
def loyalty_csv(name):
    context = _loyalty_context()
    as_of = context["as_of"]
    header = [_("Customer"), _("City"), _("Orders"), _("Last purchase"), _("Spent")]
    if name == "best":
        rows = [(r["name"], r["city"], r["orders"], r["last"], r["spent"], r["recency"], r["frequency"], r["amount"],
                 r["score"]) for r in loyalty_rules.best_customers(as_of, limit=None)]
        header += [_("Recency"), _("Frequency"), _("Amount"), _("RFM score")]
    elif name == "cross_sell":
        rows = [(r["name"], r["city"], r["orders"], r["last"], r["spent"])
                for r in loyalty_rules.cross_sell(context["bought"], context["never"], limit=None)]
    else:
        found = (loyalty_rules.due_to_buy if name == "due" else loyalty_rules.lapsed)(as_of, limit=None)
        rows = [(r["name"], r["city"], r["orders"], r["last"], r["spent"], _number(_days(r["interval"])),
                 _days(r["since"])) for r in found]
        header += [_("Buys every (days)"), _("Days since last purchase")]
    return csv_response(f"loyalty-{name}-{as_of.isoformat()}.csv", header, rows)


def _days(value):
    return None if value is None else round(float(value))
