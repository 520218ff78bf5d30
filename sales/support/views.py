"""Tickets: the list, opening one, and working on it (status, warranty, conversation, photos, charges)."""
from io import BytesIO

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from models import Attachment, Customer, OrderLine, Survey, Ticket, TicketCharge, TicketMessage, utcnow
from sales import bulk, idempotency, records, storage
from sales.customers.rules import search_statement
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.ids import record_id
from sales.money import shop_currency
from sales.pagination import page_number, paginate
from sales.policy import can, require
from sales.support import bp, rules
from sales.support import bulk as bulk_kind
from sales.support.forms import (KIND_NAMES, ROOT_CAUSE_NAMES, ChargeForm, MessageForm, PhotoForm, TicketForm, TicketUpdateForm,
                                 WarrantyForm)


def get_ticket_or_404(ticket_id, action="tickets.view", options=()):
    """The ticket, or 404 if there is none or this user may not see it; 403 if they may see but not `action`."""
    ticket = db.session.get(Ticket, ticket_id, options=options)
    if ticket is None or not rules.may_see_ticket(current_user, ticket):
        abort(404)
    if not can(current_user, action, ticket):
        abort(403)
    return ticket


def list_statement(args):
    """The list's tickets for its search and filters in `args` (all pages), and the filters as read."""
    view = args.get("view", "open")
    if view not in rules.TICKET_VIEWS:
        view = "open"
    kind = args.get("kind") if args.get("kind") in KIND_NAMES else None
    text = args.get("q", "").strip()
    return rules.ticket_statement(current_user, view=view, kind=kind, text=text), dict(view=view, kind=kind, q=text)


@bp.route("/")
@require("tickets.view")
def index():
    statement, filters = list_statement(request.args)
    page = paginate(statement, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    bulk_context = bulk.list_context(bulk_kind.KIND) if can(current_user, "tickets.work") else {}
    return render_page("support/index.html", "support/_results.html", page=page, **filters, **bulk_context)


bulk.add_routes(bp, bulk_kind.KIND)


def _assignee_choices():
    return [(0, "—")] + [(user.id, user.name) for user in rules.support_staff()]


def _line_label(line):
    serial = f" · {line.serial_number}" if line.serial_number else ""
    return f"{line.order.number} ({format_date(line.order.ordered_on, 'short')}) · {line.description}{serial}"


@bp.route("/tickets/new", methods=["GET", "POST"])
@require("tickets.open")
def new():
    customer_id = request.values.get("customer_id", type=record_id)
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        # First pick the customer: a plain search form, so it works without JavaScript.
        text = request.args.get("q", "").strip()
        matches = db.session.scalars(search_statement(text).limit(20)).all() if text else []
        return render_page("support/pick_customer.html", "support/_pick_customer.html", q=text, matches=matches)
    lines = rules.sold_lines(customer.id, current_user)
    form = TicketForm()
    form.order_line_id.choices = [(0, _("None / not bought here"))] + [(line.id, _line_label(line)) for line in lines]
    form.assignee_id.choices = _assignee_choices()
    if request.method == "GET":
        # No product chosen until someone chooses one: the warranty is decided from the product picked.
        form.order_line_id.data = request.args.get("line", type=record_id) or 0
        form.assignee_id.data = current_user.id if current_user.role == "support" else 0
    if form.validate_on_submit():
        line = db.session.get(OrderLine, form.order_line_id.data) if form.order_line_id.data else None
        ticket = rules.open_ticket(customer, title=form.title.data.strip(), kind=form.kind.data,
                                   priority=form.priority.data, order_line=line,
                                   serial_number=(form.serial_number.data or "").strip() or None,
                                   description=(form.description.data or "").strip() or None,
                                   assignee_id=form.assignee_id.data or None)
        db.session.commit()
        flash(_("Ticket %(number)s is open.", number=ticket.number), "success")
        return redirect(url_for("support.show", ticket_id=ticket.id), 303)
    return render_page("support/form.html", "support/_form.html", form=form, customer=customer,
                       status=422 if form.errors else 200)


def _show(ticket, status=200, **forms):
    """The ticket page, with any form that failed kept as the person left it."""
    decision = rules.ticket_warranty(ticket)
    update_form = forms.get("update_form") or TicketUpdateForm(obj=ticket, formdata=None)
    update_form.assignee_id.choices = _assignee_choices()
    if "update_form" not in forms:
        update_form.version.data = ticket.version
        update_form.assignee_id.data = ticket.assignee_id or 0
        update_form.root_cause.data = ticket.root_cause or ""
    warranty_form = forms.get("warranty_form") or WarrantyForm(
        formdata=None, decision=ticket.warranty_override or "", reason=ticket.warranty_override_reason)
    survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
    can_see_public_link = can(current_user, "tickets.work")
    from sales.documents.rules import for_ticket

    return render_page(
        "support/show.html", "support/_detail.html", ticket=ticket, decision=decision,
        warranty_reason=rules.warranty_reason_text(decision, format_date),
        overdue=rules.is_overdue(ticket, utcnow()), update_form=update_form, warranty_form=warranty_form,
        message_form=forms.get("message_form") or MessageForm(formdata=None),
        photo_form=forms.get("photo_form") or PhotoForm(formdata=None),
        charge_form=forms.get("charge_form") or ChargeForm(formdata=None),
        charges_totals=rules.charges_totals(ticket), survey=survey, action_form=EmptyForm(),
        product_documents=for_ticket(ticket),
        public_url=url_for("support.customer_ticket", token=ticket.public_token, _external=True)
        if can_see_public_link else None,
        survey_url=url_for("support.survey", token=survey.token, _external=True) if survey and
        can_see_public_link else None,
        status=status)


@bp.route("/tickets/<int:ticket_id>")
@require("tickets.view")
def show(ticket_id):
    # What the page shows of the ticket in two statements: the ticket with its customer, assignee and sold line,
    # and its messages with their authors. (The staff list read for the form's choices keeps no User objects, so
    # the assignee would be read again on its own.)
    return _show(get_ticket_or_404(ticket_id, options=[
        joinedload(Ticket.customer), joinedload(Ticket.assignee),
        joinedload(Ticket.order_line).joinedload(OrderLine.order),
        selectinload(Ticket.messages).joinedload(TicketMessage.author)]))


@bp.route("/tickets/<int:ticket_id>", methods=["POST"])
@require("tickets.work")
def update(ticket_id):
    ticket = get_ticket_or_404(ticket_id, "tickets.work")
    form = TicketUpdateForm()
    form.assignee_id.choices = _assignee_choices()
    if not form.validate_on_submit():
        return _show(ticket, 422, update_form=form)
    if form.loaded_version() != ticket.version:
        flash(_("Someone else changed this ticket while you were looking at it. Here it is as it is now; "
                "make your change again."), "error")
        return redirect(url_for("support.show", ticket_id=ticket.id), 303)
    ticket.assignee_id = form.assignee_id.data or None
    ticket.root_cause = form.root_cause.data if form.root_cause.data in ROOT_CAUSE_NAMES else None
    ticket.resolution = (form.resolution.data or "").strip() or None
    rules.change_priority(ticket, form.priority.data)
    try:
        survey = rules.change_status(ticket, form.status.data)
    except rules.TicketRuleError as error:
        form.status.errors.append(str(error))
        return _show(ticket, 422, update_form=form)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else changed this ticket at the same moment. Here it is as it is now."), "error")
        return redirect(url_for("support.show", ticket_id=ticket_id), 303)
    if survey is not None:
        flash(_("Ticket closed. Send the customer the survey link below."), "success")
    else:
        flash(_("Ticket %(number)s saved.", number=ticket.number), "success")
    return redirect(url_for("support.show", ticket_id=ticket.id), 303)


@bp.route("/tickets/<int:ticket_id>/warranty", methods=["POST"])
@require("tickets.work")
def warranty(ticket_id):
    ticket = get_ticket_or_404(ticket_id, "tickets.work")
    form = WarrantyForm()
    if form.validate_on_submit():
        try:
            rules.override_warranty(ticket, form.decision.data or None, form.reason.data)
        except rules.TicketRuleError as error:
            form.reason.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Warranty decision saved."), "success")
            return redirect(url_for("support.show", ticket_id=ticket.id, _anchor="warranty"), 303)
    return _show(ticket, 422, warranty_form=form)


@bp.route("/tickets/<int:ticket_id>/messages", methods=["POST"])
@require("tickets.work")
def add_message(ticket_id):
    ticket = get_ticket_or_404(ticket_id, "tickets.work")
    form = MessageForm()
    if not form.validate_on_submit():
        return _show(ticket, 422, message_form=form)
    public = form.visibility.data == "public"
    if idempotency.stored_before("ticket_message", TicketMessage) is None:
        message = rules.add_message(ticket, form.body.data, public=public, author_id=current_user.id)
        if ticket.status == "new":
            rules.change_status(ticket, "in_progress")
        db.session.flush()
        if idempotency.claim("ticket_message", message, TicketMessage) is None:
            idempotency.commit_once("ticket_message", TicketMessage)
    flash(_("Reply sent: the customer sees it on their link.") if public else _("Internal note added."), "success")
    return redirect(url_for("support.show", ticket_id=ticket.id, _anchor="conversation"), 303)


@bp.route("/tickets/<int:ticket_id>/photos", methods=["POST"])
@require("tickets.work")
def add_photo(ticket_id):
    ticket = get_ticket_or_404(ticket_id, "tickets.work")
    form = PhotoForm()
    if idempotency.stored_before("ticket_photo", Attachment) is not None:
        # The tablet's outbox sending a photo again (perhaps without the file, which it let go once sent): it is
        # here already. Nothing changes, so nothing to check first.
        flash(_("Photo attached."), "success")
        return redirect(url_for("support.show", ticket_id=ticket.id, _anchor="photos"), 303)
    if form.validate_on_submit():
        upload = request.files.get("photo")
        try:
            attachment = rules.save_photo(ticket, upload.stream if upload else BytesIO(),
                                          upload.filename if upload else None, current_user.id)
        except rules.TicketRuleError as error:
            form.photo.errors = [str(error)]
        else:
            db.session.flush()
            if idempotency.claim("ticket_photo", attachment, Attachment) is None:
                idempotency.commit_once("ticket_photo", Attachment)
            flash(_("Photo attached."), "success")
            return redirect(url_for("support.show", ticket_id=ticket.id, _anchor="photos"), 303)
    return _show(ticket, 422, photo_form=form)


@storage.back_when_too_large("support.add_photo")
def _photo_too_large(view_args):
    return (url_for("support.show", ticket_id=view_args["ticket_id"], _anchor="photos"),
            _("That file is too large. Photos can be up to %(mb)d MB.", mb=rules.MAX_PHOTO_BYTES // storage.MB))


@bp.route("/photos/<int:attachment_id>")
@require("tickets.view")
def photo(attachment_id):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    get_ticket_or_404(attachment.ticket_id)
    return storage.files().send(attachment.stored_name, attachment.content_type)


@bp.route("/tickets/<int:ticket_id>/charges", methods=["POST"])
@require("tickets.work")
def add_charge(ticket_id):
    ticket = get_ticket_or_404(ticket_id, "tickets.work")
    form = ChargeForm()
    if not form.validate_on_submit():
        return _show(ticket, 422, charge_form=form)
    db.session.add(TicketCharge(ticket=ticket, kind=form.kind.data, description=form.description.data.strip(),
                                quantity=form.quantity.data, unit_price=form.unit_price.data,
                                currency=shop_currency()))
    db.session.commit()
    flash(_("Line added to the billable work."), "success")
    return redirect(url_for("support.show", ticket_id=ticket.id, _anchor="charges"), 303)


class ChargeDeletion(bulk.Deletion):
    model = TicketCharge
    permission = "tickets.work"

    def question(self, charge):
        return _("Remove the line “%(line)s” from the billable work?", line=charge.description)

    def summary(self, charge):
        return _("Line “%(line)s” removed.", line=charge.description)

    def restored_text(self, before):
        return _("Line “%(line)s” is back.", line=before["description"])

    def back(self, before):
        return url_for("support.show", ticket_id=before["ticket_id"], _anchor="charges")

    def may_restore(self, user, charge):
        return records.may_change(user, charge.ticket)


CHARGE_DELETION = bulk.deletion(ChargeDeletion())


@bp.route("/tickets/<int:ticket_id>/charges/<int:charge_id>/delete", methods=["GET", "POST"])
@require("tickets.work")
def delete_charge(ticket_id, charge_id):
    """GET asks first; POST removes the line, with ten minutes to undo it."""
    ticket = get_ticket_or_404(ticket_id, "tickets.work")
    charge = db.session.get(TicketCharge, charge_id)
    if charge is None or charge.ticket_id != ticket.id:
        abort(404)
    if request.method == "GET":
        return bulk.confirm_delete(CHARGE_DELETION, charge, request.path)
    return bulk.delete_view(CHARGE_DELETION, charge)
