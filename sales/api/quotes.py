"""/api/v1/quotes and /api/v1/orders: quotations with their revisions, and the orders they became.

The rules are the quote pages' (sales/quotes/rules.py): a draft is edited; a sent revision is binding and never
changes — a change to a sent quote starts its next revision, the sent one staying exactly as it was; an accepted
quote does not change at all. Amounts are in each document's own currency."""
from decimal import Decimal
from types import SimpleNamespace

from flask import url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Customer, Inquiry, Order, Product, Quote
from sales import records
from sales.api import schemas
from sales.api.endpoint import (check_if_match, columns, dump, endpoint, etag_of, json_response, named_record,
                                read_response)
from sales.api.pages import page_response
from sales.api.problems import Problem, invalid
from sales.clock import shop_today
from sales.quotes import rules
from sales.quotes.lines import line_values
from sales.quotes.views import status_of

# Numeric(12, 2): the largest amount a document can store.
MAX_TOTAL = Decimal("9999999999.99")


def state_of(quote):
    """What a quote's ETag stands for: the quote and its latest revision (a saved draft changes only the
    revision's version; a new revision, its number)."""
    latest = quote.latest
    return SimpleNamespace(version=f"{quote.version}.{latest.number}.{latest.version}")


def _revision_summary(revision, today):
    return {**columns(revision), "status": status_of(revision, today)}


def revision_out(revision, today=None):
    today = today or shop_today()
    return dump(schemas.QuoteRevision.model_validate({
        **_revision_summary(revision, today),
        "lines": [schemas.QuoteLine.model_validate(line) for line in revision.lines]}))


def _summary(quote, today):
    latest = quote.latest
    return {**columns(quote), "status": status_of(latest, today), "currency": latest.currency,
            "total": latest.total}


def quote_summary_out(quote, today=None):
    return dump(schemas.QuoteSummary.model_validate(_summary(quote, today or shop_today())))


def quote_out(quote):
    today = shop_today()
    return {**dump(schemas.QuoteSummary.model_validate(_summary(quote, today))),
            "revision": revision_out(quote.latest, today),
            "revisions": [dump(schemas.QuoteRevisionSummary.model_validate(_revision_summary(r, today)))
                          for r in quote.revisions]}


def _quote_response(quote, status=200, headers=None):
    return json_response(quote_out(quote), status, {**(headers or {}), "ETag": etag_of(state_of(quote))})


def _lines(items):
    """The lines sent, as `rules.set_lines` takes them, filled from the catalog as the quote form fills them;
    every problem on its own line's field."""
    wanted = {item.product_id for item in items if item.product_id is not None}
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(wanted)))} if wanted else {}
    lines, errors = [], []
    for index, item in enumerate(items):
        where = f"/body/lines/{index}"
        product = products.get(item.product_id)
        if item.product_id is not None and product is None:
            errors.append({"pointer": f"{where}/product_id", "detail": "No product in the catalog has this id."})
            continue
        values = line_values(product, item.description, item.quantity, item.unit_price, item.discount_percent,
                             item.tax_rate)
        if not values["description"]:
            errors.append({"pointer": f"{where}/description", "detail": "Name a product or describe the line."})
        if values["unit_price"] is None:
            errors.append({"pointer": f"{where}/unit_price", "detail": "A line without a product needs its price."})
        lines.append(values)
    if errors:
        raise Problem(422, "Some lines need a look.", kind="validation", errors=errors)
    if rules.typed_draft(lines, {}).total > MAX_TOTAL:
        raise invalid("/body/lines", f"A quotation's total can be at most {MAX_TOTAL}.")
    return lines


def _lead(customer, lead_id, keep=None):
    """A quote is for a lead of its customer that the user works (another seller's lead is not there, H2)."""
    lead = next((lead for lead in rules.lead_choices_for(customer.id, current_user, keep=keep)
                 if lead.id == lead_id), None)
    if lead is None:
        raise invalid("/body/lead_id", "This is not a lead of the quote's customer that you work.")
    return lead


def _set_header(revision, values):
    for name in rules.HEADER_FIELDS:
        if name not in values or (name == "valid_until" and values[name] is None):
            continue
        value = values[name]
        setattr(revision, name, (value or None) if isinstance(value, str) else value)


@endpoint("/v1/quotes", "GET", operation_id="list_quotes", summary="List quotes", tag="Quotes",
          action="quotes.view", query=schemas.QuoteQuery, response=schemas.QuotePage,
          description="The quotes you may see on the quotes page, in id order, with their latest revision's "
                      "status and total.")
def list_quotes(query):
    statement = (select(Quote).options(selectinload(Quote.revisions))
                 .where(records.visible(Quote, current_user)))
    if query.show == "open":
        statement = statement.where(rules.latest_status().in_(("draft", "sent")))
    elif query.show in ("accepted", "declined"):
        statement = statement.where(rules.latest_status() == query.show)
    if query.customer_id:
        statement = statement.where(Quote.customer_id == query.customer_id)
    if query.lead_id:
        statement = statement.where(Quote.lead_id == query.lead_id)
    today = shop_today()
    return page_response(statement, Quote.id, query, lambda quote: quote_summary_out(quote, today))


@endpoint("/v1/quotes", "POST", operation_id="create_quote", summary="Write a draft quote", tag="Quotes",
          action="quotes.edit", body=schemas.QuoteCreate, response=schemas.Quote, status=201, idempotent=True,
          description="A draft, numbered like the ones made on the web, in the shop's currency. A line names a "
                      "catalog product (its name, price and tax unless given) or describes itself with a price.")
def create_quote(body):
    customer = named_record(Customer, body.customer_id, "/body/customer_id", "customer")
    lead = _lead(customer, body.lead_id) if body.lead_id is not None else None
    inquiry = None
    if body.inquiry_id is not None:
        inquiry = named_record(Inquiry, body.inquiry_id, "/body/inquiry_id", "inquiry")
        if inquiry.customer_id != customer.id:
            raise invalid("/body/inquiry_id", "This inquiry is another customer's.")
    lines = _lines(body.lines)
    quote, revision = rules.new_quote(customer, current_user.id, lead=lead, inquiry=inquiry)
    _set_header(revision, body.model_dump(exclude_unset=True))
    rules.set_lines(revision, lines)
    db.session.flush()
    return _quote_response(quote, 201, {"Location": url_for("api.get_quote", quote_id=quote.id, _external=True)})


@endpoint("/v1/quotes/<int:quote_id>", "GET", operation_id="get_quote", summary="Read a quote", tag="Quotes",
          action="quotes.view", response=schemas.Quote, etag=True,
          description="With its latest revision's lines and totals, and the list of its revisions.")
def get_quote(quote_id):
    quote = records.get_or_404(Quote, quote_id)
    return read_response(state_of(quote), quote_out(quote))


@endpoint("/v1/quotes/<int:quote_id>", "PATCH", operation_id="update_quote", summary="Change a quote",
          tag="Quotes", action="quotes.edit", body=schemas.QuoteUpdate, response=schemas.Quote, etag=True,
          description="A draft is changed in place. A sent (or declined) quote is binding: the change is made in a "
                      "new revision, a copy of the last one, which stays exactly as it was sent; send the new "
                      "one when it is ready. An accepted quote cannot change (409). Send If-Match with the "
                      "ETag you read: a change made meanwhile answers 412.",
          errors=((409, "The quote was accepted: it cannot change."),))
def update_quote(quote_id, body):
    quote = records.get_or_404(Quote, quote_id, change=True)
    check_if_match(state_of(quote))
    values = body.model_dump(exclude_unset=True)
    if not values:
        return _quote_response(quote)
    if quote.latest.status == "accepted":
        raise Problem(409, "This quote was accepted: it cannot change.", kind="quote-accepted")
    lead = quote.lead
    if values.get("lead_id") is not None:
        lead = _lead(quote.customer, values["lead_id"], keep=quote.lead)
    elif "lead_id" in values:
        lead = None
    lines = _lines(body.lines) if body.lines is not None else None
    # The binding rule: a sent revision is never edited, the change goes into the next one.
    revision = quote.latest if quote.latest.status == "draft" else rules.revise(quote)
    quote.lead = lead
    _set_header(revision, values)
    if lines is not None:
        rules.set_lines(revision, lines)
    db.session.flush()
    return _quote_response(quote)


@endpoint("/v1/quotes/<int:quote_id>/send", "POST", operation_id="send_quote", summary="Send a quote",
          tag="Quotes", action="quotes.edit", response=schemas.Quote, etag=True, idempotent=True,
          description="Makes the draft binding, as the Send button does: it gets its customer link, an earlier "
                      "sent revision is superseded and the lead moves on to Proposal.",
          errors=((409, "The latest revision was already sent."),
                  (422, "The draft's validity date has passed: set a new one first.")))
def send_quote(quote_id):
    quote = records.get_or_404(Quote, quote_id, change=True)
    check_if_match(state_of(quote))
    revision = quote.latest
    if revision.status != "draft":
        raise Problem(409, f"Revision {revision.number} was already sent; change the quote to start the next one.",
                      kind="already-sent")
    if revision.valid_until < shop_today():
        raise Problem(422, "The validity date has passed: change valid_until first.", kind="validity-passed")
    rules.send(revision)
    if quote.lead is not None:
        rules.ensure_lead_in_proposal(quote.lead, current_user.id)
    db.session.flush()
    return _quote_response(quote)


@endpoint("/v1/quotes/<int:quote_id>/revisions/<int:number>", "GET", operation_id="get_quote_revision",
          summary="Read one revision of a quote", tag="Quotes", action="quotes.view",
          response=schemas.QuoteRevision, description="Any revision, as it was sent (or is, for a draft).")
def get_quote_revision(quote_id, number):
    quote = records.get_or_404(Quote, quote_id)
    revision = next((r for r in quote.revisions if r.number == number), None)
    if revision is None:
        raise Problem(404, "This quote has no revision with this number.")
    return json_response(revision_out(revision))
# --- Orders --------------------------------------------------------------------------------------------------------


def order_out(order):
    return dump(schemas.Order.model_validate({
        **columns(order), "lines": [schemas.OrderLine.model_validate(line) for line in order.lines]}))


@endpoint("/v1/orders", "GET", operation_id="list_orders", summary="List orders", tag="Orders",
          action="quotes.view", query=schemas.OrderQuery, response=schemas.OrderPage,
          description="The orders you may see on the orders page, in id order, with their lines.")
def list_orders(query):
    statement = select(Order).options(selectinload(Order.lines)).where(records.visible(Order, current_user))
    if query.customer_id:
        statement = statement.where(Order.customer_id == query.customer_id)
    if query.ordered_from:
        statement = statement.where(Order.ordered_on >= query.ordered_from)
    if query.ordered_to:
        statement = statement.where(Order.ordered_on <= query.ordered_to)
    return page_response(statement, Order.id, query, order_out)


@endpoint("/v1/orders/<int:order_id>", "GET", operation_id="get_order", summary="Read an order", tag="Orders",
          action="quotes.view", response=schemas.Order, etag=True)
def get_order(order_id):
    order = records.get_or_404(Order, order_id)
    return read_response(order, order_out(order))
