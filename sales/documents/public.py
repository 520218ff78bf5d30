"""A product's documents as the customer opens them, without an account: only through the unguessable link they
already hold — their quote's, their portal's or their ticket's — and only the documents that link lists
(sales/documents/rules.py: for_quote, for_customer, for_ticket). Any other id is a plain 404."""
from flask import abort, make_response, render_template
from sqlalchemy import select

from extensions import db
from models import Document, Ticket
from sales import storage
from sales.documents import bp, rules
from sales.languages import read_as
from sales.messaging.portal import customer_by_portal_token
from sales.policy import public
from sales.quotes.rules import revision_by_token


def _open(document_id, entries, customer):
    read_as(customer)
    document = db.session.get(Document, document_id)
    if document is None or not rules.opened_by(document, entries):
        abort(404)
    if document.is_file:
        response = storage.files().send(document.stored_name, document.content_type, document.original_name)
    else:
        response = make_response(render_template("documents/public_page.html", document=document))
    # The link is the key: no caching on shared computers, no search engines, no referrer carrying it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/q/<token>/<int:document_id>")
@public
def for_quote(token, document_id):
    revision = revision_by_token(token) if len(token) < 64 else None
    if revision is None or revision.status == "superseded":
        abort(404)
    return _open(document_id, rules.for_quote(revision), revision.quote.customer)


@bp.route("/p/<token>/<int:document_id>")
@public
def for_portal(token, document_id):
    customer = customer_by_portal_token(token)
    if customer is None:
        abort(404)
    return _open(document_id, rules.for_customer(customer), customer)


@bp.route("/t/<token>/<int:document_id>")
@public
def for_ticket(token, document_id):
    ticket = db.session.scalar(select(Ticket).where(Ticket.public_token == token)) if len(token) < 64 else None
    if ticket is None:
        abort(404)
    return _open(document_id, rules.for_ticket(ticket), ticket.customer)
