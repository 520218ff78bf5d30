"""What the customer sees without an account: the quote behind an unguessable link, accept or decline."""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from extensions import db
from models import ShopSetting
from sales.clock import shop_today
from sales.languages import read_as
from sales.policy import public
from sales.quotes import bp, rules
from sales.quotes.forms import DecisionForm


def _page(revision, form, state, status=200):
    from sales.documents.rules import for_quote

    response = make_response(render_template("quotes/public.html", revision=revision, quote=revision.quote,
                                             form=form, state=state, shop=ShopSetting.get("shop_name", "Mostrador"),
                                             product_documents=for_quote(revision), inline_document_css=True),
                             status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _state(revision):
    if revision.status == "superseded":
        return "superseded"
    if revision.is_expired(shop_today()):
        return "expired"
    return revision.status  # sent, accepted, declined


@bp.route("/q/<token>", methods=["GET", "POST"])
@public
def public_quote(token):
    revision = rules.revision_by_token(token)
    if revision is None:
        abort(404)
    read_as(revision.quote.customer)
    state = _state(revision)
    form = DecisionForm()
    if request.method == "POST":
        if state != "sent":
            return _page(revision, form, state, 409)
        if form.validate_on_submit():
            address = request.remote_addr or "?"
            if request.form.get("decision") == "accept":
                rules.accept(revision, form.name.data.strip(), address)
            elif request.form.get("decision") == "decline":
                rules.decline(revision, form.name.data.strip(), (form.reason.data or "").strip() or None, address)
            else:
                abort(400)
            db.session.commit()
            return redirect(url_for("quotes.public_quote", token=token), 303)
        return _page(revision, form, state, 422)
    return _page(revision, form, state)
