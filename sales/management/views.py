"""Management pages: each reads its period (and seller) from the query string, calls a rule, renders."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from models import GOAL_METRICS, CommissionRule
from sales.csv_export import csv_response
from sales.htmx import render_page
from sales.forms import EmptyForm
from sales.management import bp, commissions as commission_rules, funnel as funnel_rules, metrics, periods
from sales.management.access import get_seller_or_404, seller_from_args
from sales.management.forms import METRIC_NAMES, CommissionRuleForm, GoalForm
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


@bp.route("/goals", methods=["GET", "POST"])
@require("management.view")
def goals():
    today = date.today()
    period = periods.from_request(request.args, today)
    seller = seller_from_args(request.args)
    form = None
    if current_user.is_owner:
        form = _goal_form(period, seller, today)
        if request.method == "POST":
            if form.validate_on_submit():
                person = get_seller_or_404(form.seller_id.data)
                chosen = periods.parse(form.period.data)
                for metric in GOAL_METRICS:
                    metrics.set_goal(person.id, chosen, metric, getattr(form, metric).data)
                db.session.commit()
                flash(_("Goals for %(name)s, %(period)s saved.", name=person.name, period=chosen.label), "success")
                return redirect(url_for("management.goals", period=chosen.key), 303)
    elif request.method == "POST":
        abort(403)
    board = metrics.goal_progress(period, _people(seller))
    return _page("_goals.html", title=_("Goals"), period=period, seller=seller, board=board, form=form,
                 shop_goals=metrics.shop_goal_progress(board) if seller is None else [],
                 expected_share=period.elapsed_share(today),
                 status=422 if form is not None and form.errors else 200)


def _goal_form(period, seller, today):
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
    period = periods.from_request(request.args, date.today())
    board = metrics.goal_progress(period, _people(seller_from_args(request.args)))
    rows = [(entry.seller.name, period.key, str(METRIC_NAMES[goal.metric]), goal.target, goal.actual,
             _percent(goal.share))
            for entry in board for goal in entry.goals]
    return csv_response(f"goals-{period.key}.csv",
                        [_("Seller"), _("Period"), _("Goal"), _("Target"), _("Actual"), _("Progress")], rows)


# --- Seller performance ------------------------------------------------------------------------------------------


def _performance_rows(period, seller):
    people = _people(seller)
    numbers = metrics.performance(period, [p.id for p in people])
    rows = [(person, numbers[person.id]) for person in people]
    total = metrics.shop_total(period, metrics.performance(period)) if seller is None else None
    return rows, total


@bp.route("/performance")
@require("management.view")
def performance():
    period = periods.from_request(request.args, date.today())
    seller = seller_from_args(request.args)
    rows, total = _performance_rows(period, seller)
    return _page("_performance.html", title=_("Seller performance"), period=period, seller=seller, rows=rows,
                 total=total)


@bp.route("/performance.csv")
@require("management.view")
def performance_csv():
    period = periods.from_request(request.args, date.today())
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
    period = periods.from_request(request.args, date.today())
    seller = seller_from_args(request.args)
    flows = funnel_rules.funnel(period, seller.id if seller else None)
    by_seller = []
    if seller is None:
        matrix = funnel_rules.conversion_by_seller(period)
        by_seller = [(person, matrix.get(person.id, {})) for person in metrics.sellers()]
    return _page("_funnel.html", title=_("Funnel"), period=period, seller=seller, flows=flows,
                 by_seller=by_seller, people=metrics.sellers() if current_user.is_owner else [])


@bp.route("/funnel.csv")
@require("management.view")
def funnel_csv():
    period = periods.from_request(request.args, date.today())
    seller = seller_from_args(request.args)
    flows = funnel_rules.funnel(period, seller.id if seller else None)
    rows = [(f.stage.name, f.entered, f.moved_on, f.lost, f.still_there, f.went_back, _percent(f.conversion),
             _number(f.median_days), _("fracture") if f.is_fracture else "", _("stall") if f.is_stall else "")
            for f in flows]
    return csv_response(f"funnel-{period.key}.csv",
                        [_("Stage"), _("Reached it"), _("Moved on"), _("Lost here"), _("Still there"),
                         _("Went back"), _("Conversion"), _("Median days in stage"), _("Fracture"), _("Stall")],
                        rows)


# --- Commissions ---------------------------------------------------------------------------------------------------


def _rule_form():
    form = CommissionRuleForm()
    form.seller_id.choices = [(0, _("Every seller"))] + [(p.id, p.name) for p in metrics.sellers()]
    form.category.choices = [("", _("All categories"))] + [(c, c) for c in commission_rules.categories()]
    return form


def _commissions_page(form=None, status=200):
    period = periods.from_request(request.args, date.today())
    seller = seller_from_args(request.args)
    rows = commission_rules.commissions(period, _people(seller))
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
    period = periods.from_request(request.args, date.today())
    rows = commission_rules.commissions(period, _people(seller_from_args(request.args)))
    lines = [(person.name, period.key, line.category or _("All other categories"), line.sold, line.threshold or "",
              line.base, line.percent, line.amount)
             for person, commission in rows for line in commission.lines]
    return csv_response(f"commissions-{period.key}.csv",
                        [_("Seller"), _("Period"), _("Category"), _("Sold"), _("Threshold"), _("Commissionable"),
                         _("Percent"), _("Commission")], lines)
