"""The contact log (visits, calls, letters…) and My day: the next steps due for the signed-in user."""
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import ContactLog, Customer, Lead, PipelineStage, utcnow
from sales.clock import shop_today
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.leads import bp, rules
from sales.leads.forms import ContactForm
from sales import records
from sales.policy import require


def get_customer_or_404(customer_id):
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    return customer


def _lead_choices(customer):
    leads = db.session.scalars(
        select(Lead).join(Lead.stage).where(Lead.customer_id == customer.id, PipelineStage.kind == "open",
                                            records.changeable(Lead, current_user))
        .order_by(Lead.priority.desc())
    ).all()
    return [(0, _("— no particular lead —"))] + [(lead.id, lead.title) for lead in leads]


def own_open_step(step_id):
    """The user's own next step that is still open, or None."""
    if not step_id or not str(step_id).isdigit():
        return None
    step = db.session.get(ContactLog, int(step_id))
    if step is None or step.user_id != current_user.id or step.next_step_done_at is not None:
        return None
    return step


@bp.route("/contacts/new/<int:customer_id>", methods=["GET", "POST"])
@require("contacts.log")
def log_contact(customer_id):
    customer = get_customer_or_404(customer_id)
    form = ContactForm()
    form.lead_id.choices = _lead_choices(customer)
    completes = own_open_step(request.values.get("completes"))
    if request.method == "GET":
        form.happened_at.data = utcnow().replace(second=0, microsecond=0)
        lead_id = request.args.get("lead_id", type=int)
        form.lead_id.data = lead_id if lead_id in dict(form.lead_id.choices) else 0
        if request.args.get("channel") in dict(form.channel.choices):
            form.channel.data = request.args["channel"]
        if completes:
            form.goal.data = completes.next_step
            form.lead_id.data = completes.lead_id or 0
            form.completes.data = completes.id
    if form.validate_on_submit():
        contact = ContactLog(customer=customer, user_id=current_user.id, channel=form.channel.data,
                             happened_at=form.happened_at.data, lead_id=form.lead_id.data or None,
                             goal=form.goal.data.strip(), outcome=(form.outcome.data or "").strip() or None,
                             next_step=(form.next_step.data or "").strip() or None,
                             next_step_due=form.next_step_due.data)
        db.session.add(contact)
        if completes:
            completes.next_step_done_at = utcnow()
        db.session.flush()
        rules.refresh_customer_leads(customer.id)
        db.session.commit()
        flash(_("Contact with %(name)s is logged.", name=customer.name), "success")
        back = request.form.get("back")
        if back == "my-day":
            return redirect(url_for("leads.my_day"), 303)
        if contact.lead_id:
            return redirect(url_for("leads.show", lead_id=contact.lead_id), 303)
        return redirect(url_for("customers.show", customer_id=customer.id), 303)
    return render_page("leads/contact_form.html", "leads/_contact_form.html", form=form, customer=customer,
                       completes=completes, back=request.values.get("back", ""),
                       status=422 if form.errors else 200)


def due_steps(user_id, today):
    """Open next steps of a user due today or earlier, oldest first, with customer and lead loaded."""
    return db.session.scalars(
        select(ContactLog)
        .options(selectinload(ContactLog.customer), selectinload(ContactLog.lead))
        .where(ContactLog.user_id == user_id, ContactLog.next_step_done_at.is_(None),
               ContactLog.next_step_due <= today)
        .order_by(ContactLog.next_step_due, ContactLog.id)
        .limit(100)
    ).all()


def upcoming_steps(user_id, today, days=7):
    return db.session.scalars(
        select(ContactLog)
        .options(selectinload(ContactLog.customer), selectinload(ContactLog.lead))
        .where(ContactLog.user_id == user_id, ContactLog.next_step_done_at.is_(None),
               ContactLog.next_step_due > today, ContactLog.next_step_due <= today + timedelta(days=days))
        .order_by(ContactLog.next_step_due, ContactLog.id)
        .limit(30)
    ).all()


def extra_my_day_sections(user_id, today):
    """Due items from other parts of the sales cycle: after-sale promises not kept by their date."""
    from sales.support.rules import overdue_promises_for

    promises = overdue_promises_for(user_id, today)
    return [{"template": "leads/_my_day_promises.html", "promises": promises}] if promises else []


@bp.route("/my-day")
@require("contacts.log")
def my_day():
    today = shop_today()
    steps = due_steps(current_user.id, today)
    return render_page("leads/my_day.html", "leads/_my_day.html", today=today,
                       overdue=[s for s in steps if s.next_step_due < today],
                       due_today=[s for s in steps if s.next_step_due == today],
                       upcoming=upcoming_steps(current_user.id, today),
                       extra_sections=extra_my_day_sections(current_user.id, today), done_form=EmptyForm())


@bp.route("/steps/<int:step_id>/done", methods=["POST"])
@require("contacts.log")
def step_done(step_id):
    step = own_open_step(step_id)
    if step is None or not EmptyForm().validate_on_submit():
        abort(404)
    step.next_step_done_at = utcnow()
    db.session.commit()
    flash(_("Marked as done: %(step)s", step=step.next_step), "success")
    return redirect(url_for("leads.my_day"), 303)
