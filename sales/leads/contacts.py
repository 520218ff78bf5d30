"""The contact log (visits, calls, letters…) and My day: the next steps due for the signed-in user."""
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extensions import db
from models import ContactLog, Customer, Lead, PipelineStage, User, utcnow
from sales import idempotency
from sales.clock import shop_today
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.ids import record_id
from sales.leads import bp, rules
from sales.leads.forms import ContactForm
from sales import records
from sales.policy import require


def get_customer_or_404(customer_id):
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    return customer


def leads_to_log_on(customer, user):
    """The leads a contact with `customer` may be about: their open leads that `user` works."""
    return db.session.scalars(
        select(Lead).join(Lead.stage).where(Lead.customer_id == customer.id, PipelineStage.kind == "open",
                                            records.changeable(Lead, user))
        .order_by(Lead.priority.desc())
    ).all()


def _lead_choices(customer):
    leads = leads_to_log_on(customer, current_user)
    return [(0, _("— no particular lead —"))] + [(lead.id, lead.title) for lead in leads]


def own_open_step(step_id):
    """The user's own next step that is still open, or None."""
    try:
        step = db.session.get(ContactLog, record_id(step_id))
    except (TypeError, ValueError):
        return None
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
        lead_id = request.args.get("lead_id", type=record_id)
        form.lead_id.data = lead_id if lead_id in dict(form.lead_id.choices) else 0
        if request.args.get("channel") in dict(form.channel.choices):
            form.channel.data = request.args["channel"]
        if completes:
            form.goal.data = completes.next_step
            form.lead_id.data = completes.lead_id or 0
            form.completes.data = completes.id
    if form.validate_on_submit():
        earlier = idempotency.stored_before("contact", ContactLog)
        if earlier is not None:
            return _contact_logged(earlier)
        contact = ContactLog(customer=customer, user_id=current_user.id, channel=form.channel.data,
                             happened_at=form.happened_at.data, lead_id=form.lead_id.data or None,
                             goal=form.goal.data.strip(), outcome=(form.outcome.data or "").strip() or None,
                             next_step=(form.next_step.data or "").strip() or None,
                             next_step_due=form.next_step_due.data)
        db.session.add(contact)
        if completes:
            completes.next_step_done_at = utcnow()
        db.session.flush()
        earlier = idempotency.claim("contact", contact, ContactLog)
        if earlier is not None:
            return _contact_logged(earlier)
        rules.refresh_customer_leads(customer.id)
        return _contact_logged(idempotency.commit_once("contact", ContactLog) or contact)
    return render_page("leads/contact_form.html", "leads/_contact_form.html", form=form, customer=customer,
                       completes=completes, back=request.values.get("back", ""),
                       status=422 if form.errors else 200)


def _contact_logged(contact):
    """Where a logged contact leads, the first time and when the same form comes again (a retry)."""
    flash(_("Contact with %(name)s is logged.", name=contact.customer.name), "success")
    back = request.form.get("back")
    if back == "my-day":
        return redirect(url_for("leads.my_day"), 303)
    if contact.lead_id:
        return redirect(url_for("leads.show", lead_id=contact.lead_id), 303)
    return redirect(url_for("customers.show", customer_id=contact.customer_id), 303)


def due_steps(user_id, today, limit=None):
    """Open next steps of a user due today or earlier, oldest first, with customer and lead loaded (all of
    them, or the oldest `limit`)."""
    return db.session.scalars(
        select(ContactLog)
        .options(joinedload(ContactLog.customer), joinedload(ContactLog.lead))
        .where(ContactLog.user_id == user_id, ContactLog.next_step_done_at.is_(None),
               ContactLog.next_step_due <= today)
        .order_by(ContactLog.next_step_due, ContactLog.id)
        .limit(limit)
    ).all()


def upcoming_steps(user_id, today, days=7):
    return db.session.scalars(
        select(ContactLog)
        .options(joinedload(ContactLog.customer), joinedload(ContactLog.lead))
        .where(ContactLog.user_id == user_id, ContactLog.next_step_done_at.is_(None),
               ContactLog.next_step_due > today, ContactLog.next_step_due <= today + timedelta(days=days))
        .order_by(ContactLog.next_step_due, ContactLog.id)
        .limit(30)
    ).all()


@bp.route("/my-day")
@require("contacts.log")
def my_day():
    """Everything due today or late for the person (sales.agenda); the owner may open anyone's day."""
    from sales.agenda import agenda, due_counts, due_totals, people_with_a_day

    today = shop_today()
    person = _day_person(request.args.get("person"))
    people, counts, everyone = [], {}, None
    if current_user.is_owner:
        people = people_with_a_day()
        everyone = due_counts(today)     # once, for the people list and the day shown
        counts = due_totals(everyone)
    return render_page("leads/my_day.html", "leads/_my_day.html", today=today, now=utcnow(), person=person,
                       day=agenda(person, today, counts=everyone), upcoming=upcoming_steps(person.id, today), people=people,
                       counts=counts, done_form=EmptyForm())


def _day_person(raw):
    """?person=<id>: the owner looks at anyone's day; everyone else sees only their own."""
    if not raw:
        return db.session.get(User, current_user.id)
    if not str(raw).isdigit() or int(raw) > 2 ** 63 - 1:   # an id the database can hold
        abort(404)
    person = db.session.get(User, int(raw))
    if person is None:
        abort(404)
    if person.id != current_user.id and not current_user.is_owner:
        abort(403)
    return person


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
