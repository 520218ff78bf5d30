"""Send buttons on records, the outbox with its retry, quick-logged calls and chats, consent and the portal link."""
import secrets

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from extensions import db
from models import ContactLog, OutgoingEmail, QuoteRevision, Survey, User, utcnow
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.messaging import bp, emails
from sales.messaging.forms import QUICK_CHANNEL_GOALS, QUICK_CHANNELS, ConsentForm, QuickLogForm
from sales.messaging.outbox import deliver
from sales.pagination import page_number, paginate
from sales import records
from sales.policy import require
from sales.texts import stored

OUTBOX_VIEWS = ("queued", "failed", "sent")


def get_outgoing_email_or_404(email_id, change=False):
    """An email this user may read (sent by them, or about a record they see); `change`: retry it too."""
    return records.get_or_404(OutgoingEmail, email_id, change=change)


def _check_form():
    if not EmptyForm().validate_on_submit():
        abort(400)


def send_now(email):
    """Commit the queued email first (so it is never lost), then try it at once and say what happened."""
    db.session.commit()
    result = deliver([email])
    db.session.commit()
    if email.status == "sent":
        flash(_("Email sent to %(address)s.", address=email.to_address), "success")
    elif email.status == "failed":
        flash(_("The mail server refused the email to %(address)s: %(error)s. Check the address.",
                address=email.to_address, error=email.last_error), "error")
    else:
        flash(_("The mail server is not answering (%(error)s). The email to %(address)s is kept in the outbox: "
                "retry it below, or it goes out with the next automatic run.",
                error=result.problem, address=email.to_address), "error")
    return email


def _no_address(customer):
    flash(_("%(name)s has no email address. Add one to the customer first.", name=customer.name), "error")


@bp.route("/quote/<int:quote_id>", methods=["POST"])
@require("quotes.edit")
def send_quote(quote_id):
    from sales.quotes.views import get_quote_or_404

    quote = get_quote_or_404(quote_id, change=True)
    _check_form()
    revision = db.session.scalar(select(QuoteRevision).where(QuoteRevision.quote_id == quote.id,
                                                             QuoteRevision.status == "sent"))
    if revision is None:
        flash(_("Only a sent quotation can be emailed: send it first."), "error")
    else:
        try:
            send_now(emails.quote_email(revision, current_user.id))
        except emails.NoAddress:
            _no_address(quote.customer)
    return redirect(url_for("quotes.show", quote_id=quote.id), 303)


@bp.route("/ticket/<int:ticket_id>", methods=["POST"])
@require("tickets.work")
def send_ticket(ticket_id):
    from sales.support.views import get_ticket_or_404

    ticket = get_ticket_or_404(ticket_id, "tickets.work")
    _check_form()
    latest_reply = next((m for m in reversed(ticket.messages) if m.is_public and not m.from_customer), None)
    try:
        send_now(emails.ticket_email(ticket, latest_reply, current_user.id))
    except emails.NoAddress:
        _no_address(ticket.customer)
    return redirect(url_for("support.show", ticket_id=ticket.id, _anchor="links"), 303)


@bp.route("/survey/<int:survey_id>", methods=["POST"])
@require("tickets.work")
def send_survey(survey_id):
    survey = records.get_or_404(Survey, survey_id, change=True)
    _check_form()
    try:
        send_now(emails.survey_email(survey, current_user.id))
    except emails.NoAddress:
        _no_address(survey.customer)
    if survey.ticket_id:
        return redirect(url_for("support.show", ticket_id=survey.ticket_id, _anchor="links"), 303)
    return redirect(url_for("customers.show", customer_id=survey.customer_id), 303)


@bp.route("/user/<int:user_id>/password-link", methods=["POST"])
@require("users.manage")
def send_password_link(user_id):
    from sales.users.views import password_link

    user = db.session.get(User, user_id) or abort(404)
    _check_form()
    if not user.active:
        flash(_("Activate the account first."), "error")
    elif not user.email:
        flash(_("Add their email first: they sign in with it."), "error")
    else:
        send_now(emails.password_email(user, password_link(user), current_user.id))
    return redirect(url_for("users.show", user_id=user.id), 303)


@bp.route("/<int:email_id>/retry", methods=["POST"])
@require("mail.send")
def retry(email_id):
    email = get_outgoing_email_or_404(email_id, change=True)
    _check_form()
    if email.status == "sent":
        flash(_("That email was sent already."), "success")
    elif email.status == "sending":
        flash(_("That email is being sent right now."), "success")
    else:
        email.status = "queued"      # a refused email may be retried after the address was fixed elsewhere
        send_now(email)
    return redirect(_back(), 303)


def _back():
    target = request.form.get("next") or ""
    # Only a path on this site: never an open redirect.
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("messaging.outbox")


@bp.route("/outbox")
@require("mail.outbox")
def outbox():
    view = request.args.get("view") if request.args.get("view") in OUTBOX_VIEWS else "queued"
    # Waiting includes what a sending run holds right now.
    shown = ("queued", "sending") if view == "queued" else (view,)
    statement = (select(OutgoingEmail).where(OutgoingEmail.status.in_(shown))
                 .order_by(OutgoingEmail.id.desc()))
    counts = dict(db.session.execute(select(OutgoingEmail.status, func.count()).group_by(OutgoingEmail.status)).all())
    counts["queued"] = counts.get("queued", 0) + counts.pop("sending", 0)
    page = paginate(statement, page_number(request.args.get("page")), 50)
    config = current_app.config
    return render_page(None, "messaging/_outbox.html", title=_("Outbox"), page=page, view=view, counts=counts,
                       backend=config["MAIL_BACKEND"], host=config["MAIL_HOST"], port=config["MAIL_PORT"],
                       action_form=EmptyForm())


@bp.route("/<int:email_id>")
@require("mail.send")
def email(email_id):
    """One email as it went out: to whom, when, its status, subject, body and attached files. Read by whoever may
    see what it is about (sales/records.py); its links only by who may use them."""
    from sales.messaging.outbox import attachments_of

    email = get_outgoing_email_or_404(email_id)
    usable = records.may_change(current_user, email)
    return render_page(None, "messaging/_email.html", title=email.subject, email=email,
                       body=email.body if usable else records.without_links(email.body), may_retry=usable,
                       attachments=attachments_of(email), about=_about_link(email), action_form=EmptyForm())


@bp.route("/<int:email_id>/files/<int:number>")
@require("mail.send")
def email_file(email_id, number):
    """One attached file as it went out, downloaded (never shown inline: it came from outside the page)."""
    from flask import send_file
    import io

    from sales.messaging.outbox import attachments_of

    email = get_outgoing_email_or_404(email_id)
    attached = next((a for a in attachments_of(email) if a.number == number), None)
    if attached is None:
        abort(404)
    response = send_file(io.BytesIO(attached.data), mimetype=attached.content_type, as_attachment=True,
                         download_name=attached.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _about_link(email):
    """(label, url) of the record the email was sent from, when the reader may open it."""
    subject = records.about_of(email)
    if subject is None or not records.may_view(current_user, subject):
        return None
    if email.about == "quote":
        return subject.number, url_for("quotes.show", quote_id=subject.id)
    if email.about == "ticket":
        return subject.number, url_for("support.show", ticket_id=subject.id)
    if email.about == "survey" and subject.ticket_id:
        return _("Survey"), url_for("support.show", ticket_id=subject.ticket_id)
    if email.about == "campaign":
        return subject.name, url_for("messaging.campaign", campaign_id=subject.id)
    if email.about == "portal":
        return _("Portal link"), url_for("customers.show", customer_id=subject.customer.id)
    return None


@bp.route("/outbox/send", methods=["POST"])
@require("mail.outbox")
def send_queued():
    from sales.messaging.outbox import drain_queue

    _check_form()
    result = drain_queue()
    if result.ok:
        flash(_("%(sent)d sent, %(refused)d refused by the server.", sent=result.sent, refused=result.refused),
              "success")
    else:
        flash(_("The mail server is not answering (%(error)s). Nothing is lost: the emails stay queued.",
                error=result.problem), "error")
    return redirect(url_for("messaging.outbox"), 303)


@bp.route("/outbox/test", methods=["POST"])
@require("mail.outbox")
def send_test():
    """One email to the signed-in owner: proof that the mail server settings work."""
    _check_form()
    send_now(emails.test_email(current_user))
    return redirect(url_for("messaging.outbox"), 303)


# --- The customer page: quick log, consent, portal link ----------------------------------------------------


def get_customer_or_404(customer_id, action="customers.view"):
    from sales.customers.views import get_customer_or_404 as customer_or_404

    return customer_or_404(customer_id, action)


@bp.route("/customer/<int:customer_id>/log/<any(call, chat, whatsapp):channel>", methods=["GET", "POST"])
@require("contacts.log")
def quick_log(customer_id, channel):
    customer = get_customer_or_404(customer_id)
    form = QuickLogForm()
    if form.validate_on_submit():
        db.session.add(ContactLog(customer=customer, user_id=current_user.id, channel=channel,
                                  happened_at=utcnow(), goal=stored(QUICK_CHANNEL_GOALS[channel]),
                                  outcome=form.note.data.strip()))
        db.session.commit()
        flash(_("Logged on %(name)s's timeline.", name=customer.name), "success")
        return redirect(url_for("customers.show", customer_id=customer.id), 303)
    return render_page(None, "messaging/_quick_log.html", title=QUICK_CHANNELS[channel], form=form,
                       customer=customer, channel=channel, status=422 if form.errors else 200)


@bp.route("/customer/<int:customer_id>/consent", methods=["POST"])
@require("customers.edit")
def consent(customer_id):
    customer = get_customer_or_404(customer_id, "customers.edit")
    form = ConsentForm()
    if not form.validate_on_submit():
        abort(400)
    customer.email_opt_in = bool(form.email_opt_in.data)
    if customer.email_opt_in:
        customer.unsubscribed_at = None   # they said yes again, in person
    db.session.commit()
    flash(_("%(name)s receives our mailings by email.", name=customer.name) if customer.email_opt_in else
          _("%(name)s receives no mailings by email.", name=customer.name), "success")
    return redirect(url_for("customers.show", customer_id=customer.id, _anchor="mailing"), 303)


@bp.route("/customer/<int:customer_id>/portal", methods=["POST"])
@require("portal.manage")
def issue_portal(customer_id):
    # The link opens every quote of the customer: only who may change them all issues it (H3).
    customer = get_customer_or_404(customer_id, "portal.manage")
    _check_form()
    action = request.form.get("action")
    if action == "revoke":
        customer.portal_token = None
        flash(_("The portal link of %(name)s no longer works.", name=customer.name), "success")
    elif action == "email" and customer.portal_token:
        db.session.commit()
        try:
            send_now(emails.portal_email(customer, portal_url(customer), current_user.id))
        except emails.NoAddress:
            _no_address(customer)
    else:
        # A new link; any earlier one stops working.
        customer.portal_token = secrets.token_urlsafe(32)
        flash(_("A new portal link for %(name)s is ready. Earlier links no longer work.", name=customer.name),
              "success")
    db.session.commit()
    return redirect(url_for("customers.show", customer_id=customer.id, _anchor="mailing"), 303)


def portal_url(customer):
    return url_for("portal.home", token=customer.portal_token, _external=True)
