"""The customer's portal: one unguessable link to their quotations, orders, tickets and surveys, and the
unsubscribe page every mailing links to. Neither needs an account.

The portal only lists and links: accepting a quote and replying to a ticket happen on those records' own
customer pages (sales/quotes/public.py, sales/support/public.py), with their own rules.
"""

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import csrf, db
from models import Customer, Order, Quote, QuoteRevision, Survey, Ticket, utcnow
from sales.clock import shop_today
from sales.languages import read_as
from sales.messaging import portal_bp
from sales.policy import public


def customer_by_portal_token(token):
    if not token or len(token) >= 64:
        return None
    return db.session.scalar(select(Customer).where(Customer.portal_token == token,
                                                    Customer.archived_at.is_(None)))


def portal_contents(customer):
    """What the portal shows: the latest sent revision of each quote, orders, tickets, unanswered surveys."""
    revisions = db.session.scalars(
        select(QuoteRevision).join(Quote).options(selectinload(QuoteRevision.quote))
        .where(Quote.customer_id == customer.id, QuoteRevision.status.in_(("sent", "accepted", "declined")))
        .order_by(QuoteRevision.sent_at.desc())).all()
    orders = db.session.scalars(select(Order).where(Order.customer_id == customer.id)
                                .order_by(Order.ordered_on.desc(), Order.id.desc())).all()
    tickets = db.session.scalars(select(Ticket).where(Ticket.customer_id == customer.id)
                                 .order_by(Ticket.created_at.desc())).all()
    surveys = db.session.scalars(select(Survey).where(Survey.customer_id == customer.id,
                                                      Survey.answered_at.is_(None))
                                 .order_by(Survey.created_at.desc())).all()
    today = shop_today()
    from sales.documents.rules import for_customer

    return {"quotes": [(r, "expired" if r.is_expired(today) else r.status) for r in revisions],
            "orders": orders, "tickets": tickets, "surveys": surveys, "product_documents": for_customer(customer)}


def _private(response):
    # The link is the key: no caching on shared computers, no search engines, no referrer carrying it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@portal_bp.route("/<token>")
@public
def home(token):
    customer = customer_by_portal_token(token)
    if customer is None:
        abort(404)
    read_as(customer)
    return _private(make_response(render_template("messaging/portal.html", customer=customer,
                                                  **portal_contents(customer))))


# --- Unsubscribe --------------------------------------------------------------------------------------------


def _unsubscribe_signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(customer):
    return _unsubscribe_signer().dumps(customer.id)


def unsubscribe_url(customer):
    return url_for("portal.unsubscribe", token=unsubscribe_token(customer), _external=True)


def unsubscribe(customer, when=None):
    customer.unsubscribed_at = customer.unsubscribed_at or when or utcnow()
    customer.email_opt_in = False


@portal_bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@public
@csrf.exempt   # the signed link is the authority; mail programs post here with no form (RFC 8058 one-click)
def unsubscribe_page(token):
    try:
        customer_id = _unsubscribe_signer().loads(token)
    except BadSignature:
        abort(404)
    customer = db.session.get(Customer, customer_id) or abort(404)
    read_as(customer)
    if request.method == "POST":
        unsubscribe(customer)
        db.session.commit()
        return redirect(url_for("portal.unsubscribe", token=token), 303)
    return _private(make_response(render_template("messaging/unsubscribe.html", customer=customer,
                                                  done=customer.unsubscribed_at is not None)))

