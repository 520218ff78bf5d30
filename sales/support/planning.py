"""Looking ahead: scheduled maintenance plans and the promises made when something was sold."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from extensions import db
from models import Customer, MaintenancePlan, Promise, User, utcnow
from sales.clock import shop_today
from sales.documents.rules import care_interval, first_service_on
from sales.forms import EmptyForm
from sales.messaging.campaigns import remember_public_address
from sales.htmx import render_page
from sales import records
from sales.ids import record_id
from sales.policy import require
from sales.support import bp, rules
from sales.support.forms import MaintenancePlanForm, PromiseForm


def _customer_or_404(customer_id):
    return db.session.get(Customer, customer_id) or abort(404)


@bp.route("/maintenance")
@require("tickets.view")
def maintenance():
    today = shop_today()
    plans = rules.maintenance_due_soon(current_user, today, days=min(max(request.args.get("days", 30, type=int) or 30, 1), 3660))
    return render_page("support/maintenance.html", "support/_maintenance.html", plans=plans, today=today)


@bp.route("/maintenance/new", methods=["GET", "POST"])
@require("maintenance.plan")
def new_plan():
    customer = _customer_or_404(request.values.get("customer_id", type=record_id))
    lines = rules.sold_lines(customer.id, current_user)
    form = MaintenancePlanForm()
    form.order_line_id.choices = [(line.id, f"{line.order.number} · {line.description}") for line in lines]
    if request.method == "GET" and request.args.get("line", type=record_id):
        form.order_line_id.data = request.args.get("line", type=record_id)
    chosen = next((line for line in lines if line.id == form.order_line_id.data), None)
    care = care_interval(chosen.product_id) if chosen and chosen.product_id else None
    if request.method == "GET" and care:
        # The product's care instructions say how often: the plan starts from them.
        months, document = care
        form.every_months.data = months
        form.next_due_on.data = first_service_on(chosen.order.delivered_on or chosen.order.ordered_on, months,
                                                 shop_today())
        form.notes.data = document.title[:300]
    if form.validate_on_submit():
        remember_public_address(request.host_url)
        db.session.add(MaintenancePlan(customer=customer, order_line_id=form.order_line_id.data,
                                       every_months=form.every_months.data, next_due_on=form.next_due_on.data,
                                       notes=(form.notes.data or "").strip() or None))
        db.session.commit()
        flash(_("Maintenance planned: every %(months)d months from %(date)s.", months=form.every_months.data,
                date=format_date(form.next_due_on.data)), "success")
        return redirect(url_for("support.maintenance"), 303)
    return render_page("support/plan_form.html", "support/_plan_form.html", form=form, customer=customer,
                       has_lines=bool(lines), care=care, status=422 if form.errors else 200)


@bp.route("/maintenance/<int:plan_id>/stop", methods=["POST"])
@require("maintenance.plan")
def stop_plan(plan_id):
    plan = records.get_or_404(MaintenancePlan, plan_id, change=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    plan.active = False
    db.session.commit()
    flash(_("Maintenance plan stopped."), "success")
    return redirect(url_for("support.maintenance"), 303)


@bp.route("/maintenance/run", methods=["POST"])
@require("maintenance.plan")
def run_maintenance():
    """The cron job's work, on demand: open the tickets of plans that are due today."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    created = rules.create_due_maintenance_tickets(shop_today())
    reminded = rules.remind_customers(created, current_user.id)
    remember_public_address(request.host_url)
    db.session.commit()
    flash(_("%(count)d maintenance tickets opened.", count=len(created)) + " "
          + _("%(count)d customers were sent the reminder with the care instructions.", count=reminded), "success")
    return redirect(url_for("support.index"), 303)


@bp.route("/promises")
@require("promises.view")
def promises():
    return render_page("support/promises.html", "support/_promises.html", promises=rules.open_promises(current_user),
                       today=shop_today(), action_form=EmptyForm())


@bp.route("/promises/new", methods=["GET", "POST"])
@require("promises.edit")
def new_promise():
    customer = _customer_or_404(request.values.get("customer_id", type=record_id))
    # A seller promises on their own sales, in their own name; the owner for anyone.
    orders = [o for o in rules.customer_orders(customer.id) if records.may_change(current_user, o)]
    form = PromiseForm()
    form.order_id.choices = [(o.id, f"{o.number} · {format_date(o.ordered_on, 'short')}") for o in orders]
    sellers = db.session.scalars(select(User).where(User.active, User.role.in_(("owner", "seller")))
                                 .order_by(User.name)).all()
    form.seller_id.choices = [(u.id, u.name) for u in sellers
                              if current_user.is_owner or u.id == current_user.id]
    if request.method == "GET":
        form.seller_id.data = current_user.id
    if form.validate_on_submit():
        db.session.add(Promise(order_id=form.order_id.data, seller_id=form.seller_id.data, kind=form.kind.data,
                               description=form.description.data.strip(), due_on=form.due_on.data))
        db.session.commit()
        flash(_("Promise noted. It shows in My day if it is not kept in time."), "success")
        return redirect(url_for("support.promises"), 303)
    return render_page("support/promise_form.html", "support/_promise_form.html", form=form, customer=customer,
                       has_orders=bool(orders), status=422 if form.errors else 200)


@bp.route("/promises/<int:promise_id>/kept", methods=["POST"])
@require("promises.view")
def promise_kept(promise_id):
    promise = records.get_or_404(Promise, promise_id, change=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    promise.done_at = utcnow()
    db.session.commit()
    flash(_("Promise kept: %(what)s", what=promise.description), "success")
    if request.form.get("back") == "my-day":
        return redirect(url_for("leads.my_day"), 303)
    return redirect(url_for("support.promises"), 303)
