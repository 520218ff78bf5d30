"""The connect blueprint's pages: calendar feeds and .ics downloads, vCards out and in, the owner's webhooks."""
from datetime import timedelta

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from extensions import db
from models import (CalendarFeed, ContactLog, Customer, MaintenancePlan, Promise, WebhookDelivery, WebhookEndpoint,
                    utcnow)
from sales import bulk, records
from sales.connect import bp, calendar, vcards, webhooks
from sales.connect.forms import ApiTokenForm, VCardImportForm, WebhookForm
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.policy import public, require


def calendar_response(body, filename, download=True):
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The user's calendar feed -------------------------------------------------------------------------------

def feed_of(user):
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def feed_url(user):
    feed = feed_of(user)
    return url_for("connect.calendar_feed", token=feed.token, _external=True) if feed else None


@bp.route("/account/calendar", methods=["POST"])
def calendar_settings():
    """Make the secret address, change it (the old one stops working) or stop it."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    action = request.form.get("action")
    feed = feed_of(current_user)
    if feed is not None and action in ("renew", "revoke"):
        db.session.delete(feed)
        db.session.flush()
    if action in ("create", "renew"):
        db.session.add(CalendarFeed(user_id=current_user.id))
        flash(_("Your calendar address is ready: add it to your phone's calendar."), "success")
    elif action == "revoke":
        flash(_("Your calendar address no longer works."), "success")
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for("accounts.account", _anchor="calendar"), 303)


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token):
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token)) if len(token) < 100 else None
    if feed is None or not feed.user.is_active:
        abort(404)
    # Phones poll every few minutes: note the reading now and then, not on every poll.
    if feed.last_read_at is None or feed.last_read_at < utcnow() - timedelta(minutes=10):
        feed.last_read_at = utcnow()
        db.session.commit()
    name = _("%(shop)s · %(user)s", shop=_shop_name(), user=feed.user.name)
    return calendar_response(calendar.calendar_bytes(calendar.items_for(feed.user), name), "mostrador.ics",
                             download=False)


def _shop_name():
    from flask import current_app

    from models import ShopSetting

    return ShopSetting.get("shop_name", current_app.config["SHOP_NAME"])


# --- One item as an .ics download ----------------------------------------------------------------------------

def get_contact_log_or_404(log_id):
    """A contact the user works (their own; a team's manager: their team's; the owner: anyone's), whose customer
    they may see."""
    from sales.customers.views import get_customer_or_404

    log = records.get_or_404(ContactLog, log_id)
    if not records.may_change(current_user, log):
        abort(404)
    get_customer_or_404(log.customer_id)
    return log


def get_promise_or_404(promise_id):
    # Another seller's promise is not there for a seller (sales/records.py).
    return records.get_or_404(Promise, promise_id)


def get_maintenance_plan_or_404(plan_id):
    # A seller's customers' plans are theirs to put in a calendar; others' are not there (sales/records.py).
    return records.get_or_404(MaintenancePlan, plan_id)


def _item(kind, ident):
    from sales.support.views import get_ticket_or_404

    if kind == "step":
        log = get_contact_log_or_404(ident)
        if not (log.next_step and log.next_step_due):
            abort(404)
        return calendar.next_step_item(log)
    if kind == "visit":
        return calendar.visit_item(get_contact_log_or_404(ident))
    if kind == "promise":
        return calendar.promise_item(get_promise_or_404(ident))
    if kind == "maintenance":
        return calendar.maintenance_item(get_maintenance_plan_or_404(ident))
    return calendar.ticket_item(get_ticket_or_404(ident))


@bp.route("/calendar/<any(step, visit, promise, maintenance, ticket):kind>/<int:ident>.ics")
def calendar_item(kind, ident):
    item = _item(kind, ident)
    return calendar_response(calendar.calendar_bytes([item], item.summary), f"{kind}-{ident}.ics")


# --- vCards ------------------------------------------------------------------------------------------------------

def vcard_response(text, filename):
    response = Response(text, mimetype="text/vcard")
    response.headers["Content-Type"] = "text/vcard; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/customers/<int:customer_id>.vcf")
@require("customers.view")
def customer_vcard(customer_id):
    from sales.customers.views import get_customer_or_404

    customer = get_customer_or_404(customer_id)
    return vcard_response(vcards.vcard_text([customer]), f"customer-{customer.id}.vcf")


@bp.route("/manage/segments/<int:segment_id>.vcf")
@require("segments.use")
def segment_vcards(segment_id):
    from sales.management.segments import customers_in
    from sales.management.views import get_segment_or_404

    segment = get_segment_or_404(segment_id)
    customers = db.session.scalars(select(Customer).options(selectinload(Customer.tags))
                                   .where(Customer.id.in_(customers_in(segment))).order_by(Customer.name)).all()
    return vcard_response(vcards.vcard_text(customers), f"segment-{segment.id}.vcf")


@bp.route("/customers/import-vcf", methods=["GET", "POST"])
@require("customers.edit")
def import_vcards():
    form = VCardImportForm()
    result = error = None
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            if not upload or not upload.filename:
                raise vcards.VCardProblem(_("Choose a .vcf file to import."))
            contacts, problems = vcards.read_vcards(upload.read(vcards.MAX_BYTES + 1))
            counts = vcards.import_contacts(contacts, form.duplicates.data, current_user)
            db.session.commit()
            result = {**counts, "problems": problems}
        except vcards.VCardProblem as problem:
            error = str(problem)
    status = 422 if error or form.errors else 200
    return render_page(None, "connect/_vcard_import.html", title=_("Import contacts from a phone"), form=form,
                       result=result, error=error, status=status)


# --- Webhooks (the owner's) --------------------------------------------------------------------------------------

DELIVERIES_PER_PAGE = 50


def get_webhook_endpoint_or_404(endpoint_id):
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


def _webhook_form(endpoint=None):
    form = WebhookForm(obj=endpoint) if endpoint is not None else WebhookForm()
    form.events.choices = [(key, str(label)) for key, label in webhooks.EVENTS.items()]
    if endpoint is not None and request.method == "GET":
        form.events.data = endpoint.event_types
    return form


@bp.route("/settings/webhooks", methods=["GET", "POST"])
@require("shop.settings")
def webhook_endpoints():
    form = _webhook_form()
    if form.validate_on_submit():
        endpoint = WebhookEndpoint(url=form.url.data.strip(), description=(form.description.data or "").strip()
                                   or None, events=" ".join(form.events.data), secret=webhooks.new_secret())
        db.session.add(endpoint)
        db.session.commit()
        flash(_("Webhook added. Give its signing secret to the receiver."), "success")
        return redirect(url_for("connect.webhook_endpoint", endpoint_id=endpoint.id), 303)
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    return render_page(None, "connect/_webhooks.html", title=_("Webhooks"), form=form, endpoints=endpoints,
                       event_names=webhooks.EVENTS, status=422 if form.errors else 200)


@bp.route("/settings/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@require("shop.settings")
def webhook_endpoint(endpoint_id):
    endpoint = get_webhook_endpoint_or_404(endpoint_id)
    form = _webhook_form(endpoint)
    if form.validate_on_submit():
        endpoint.url = form.url.data.strip()
        endpoint.description = (form.description.data or "").strip() or None
        endpoint.events = " ".join(form.events.data)
        db.session.commit()
        flash(_("Webhook saved."), "success")
        return redirect(url_for("connect.webhook_endpoint", endpoint_id=endpoint.id), 303)
    # Newest first, a page at a time along the id: ?before=<id> continues the list.
    before = request.args.get("before", type=int)
    statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if before:
        statement = statement.where(WebhookDelivery.id < before)
    deliveries = db.session.scalars(statement.order_by(WebhookDelivery.id.desc())
                                    .limit(DELIVERIES_PER_PAGE + 1)).all()
    more = len(deliveries) > DELIVERIES_PER_PAGE
    deliveries = deliveries[:DELIVERIES_PER_PAGE]
    return render_page(None, "connect/_webhook.html", title=endpoint.description or endpoint.url, form=form,
                       endpoint=endpoint, deliveries=deliveries, event_names=webhooks.EVENTS,
                       next_before=deliveries[-1].id if more else None, action_form=EmptyForm(),
                       status=422 if form.errors else 200)


class WebhookDeletion(bulk.Deletion):
    model = WebhookEndpoint
    permission = "shop.settings"
    children = ((WebhookDelivery, "endpoint_id"),)

    def question(self, endpoint):
        return _("Delete the webhook to %(url)s?", url=endpoint.url)

    def consequence(self, endpoint):
        count = db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                                  .where(WebhookDelivery.endpoint_id == endpoint.id)) or 0
        return ngettext("Nothing more goes to this address, and its %(num)d delivery goes with it.",
                        "Nothing more goes to this address, and its %(num)d deliveries go with it.", count)

    def summary(self, endpoint):
        return _("Webhook deleted: nothing more goes to %(url)s.", url=endpoint.url)

    def restored_text(self, before):
        return _("The webhook to %(url)s is back, with its deliveries.", url=before["url"])

    def back(self, before):
        return url_for("connect.webhook_endpoints")


WEBHOOK_DELETION = bulk.deletion(WebhookDeletion())


@bp.route("/settings/webhooks/<int:endpoint_id>/<any(test, pause, resume, rotate, delete):action>",
          methods=["GET", "POST"])
@require("shop.settings")
def webhook_action(endpoint_id, action):
    endpoint = get_webhook_endpoint_or_404(endpoint_id)
    if request.method == "GET":
        # Only deleting asks first (and is undone for ten minutes); the rest are buttons that act.
        if action != "delete":
            abort(405)
        return bulk.confirm_delete(WEBHOOK_DELETION, endpoint, request.path)
    if action == "delete":
        return bulk.delete_view(WEBHOOK_DELETION, endpoint)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if action == "test":
        webhooks.send_test(endpoint)
        message = _("A test event is queued: it goes out with the next delivery run (flask deliver-webhooks).")
    elif action == "pause":
        endpoint.active, endpoint.paused_reason = False, _("Paused by %(name)s.", name=current_user.name)
        message = _("Paused. Events keep being recorded and go out when you resume.")
    elif action == "resume":
        webhooks.resume(endpoint)
        message = _("Resumed: what waited goes out with the next delivery run.")
    else:
        endpoint.secret = webhooks.new_secret()
        message = _("New signing secret made: give it to the receiver; the old one no longer signs anything.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("connect.webhook_endpoint", endpoint_id=endpoint.id), 303)


@bp.route("/settings/webhooks/deliveries/<int:delivery_id>/retry", methods=["POST"])
@require("shop.settings")
def webhook_retry(delivery_id):
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    webhooks.retry(delivery)
    db.session.commit()
    flash(_("It goes out again with the next delivery run."), "success")
    return redirect(url_for("connect.webhook_endpoint", endpoint_id=delivery.endpoint_id), 303)


# --- Personal API tokens (sales/api checks them) -----------------------------------------------------------------

@bp.route("/account/api-tokens", methods=["POST"])
def create_api_token():
    from flask import render_template

    from sales.api.auth import create_token

    form = ApiTokenForm()
    if not form.validate_on_submit():
        return render_template("connect/api_token.html", form=form, token=None), 422
    row, token = create_token(current_user, form.name.data, form.expires_on.data)
    db.session.commit()
    # Shown on this page only: it is not kept anywhere we could show it from again.
    return render_template("connect/api_token.html", form=form, token=token, row=row)


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_api_token(token_id):
    from sales.api.auth import revoke

    if not EmptyForm().validate_on_submit():
        abort(400)
    row = revoke(current_user, token_id)
    if row is None:
        abort(404)
    db.session.commit()
    flash(_("Token “%(name)s” revoked: it no longer works.", name=row.name), "success")
    return redirect(url_for("accounts.account", _anchor="api-tokens"), 303)
