"""What the sale adds to a customer's timeline: quotations sent and decided, orders."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import Order, Quote, QuoteRevision
from sales.records import visible
from sales.timeline import Kind, TimelineEntry, columns, hidden, numbers, provider, texts


def _revision_url(row):
    quote_id, revision = numbers(row)[:2]
    return url_for("quotes.show", quote_id=quote_id, number=revision)


def _sent(row):
    return TimelineEntry(at=row.at, kind="quote", url=_revision_url(row),
                         title=_("Quote %(number)s rev. %(n)d sent", number=texts(row)[0], n=numbers(row)[1]))


def _decided(row):
    number, status, name, reason = texts(row)[:4]
    title = (_("Quote %(number)s accepted by %(name)s", number=number, name=name) if status == "accepted" else
             _("Quote %(number)s declined by %(name)s", number=number, name=name))
    return TimelineEntry(at=row.at, kind="quote", title=title, detail=reason, url=_revision_url(row))


@provider
def quotations(customer, user):
    def sent(*shape):
        return (select(*shape).select_from(QuoteRevision).join(Quote, Quote.id == QuoteRevision.quote_id)
                .where(Quote.customer_id == customer.id, QuoteRevision.sent_at.is_not(None)))

    seen, ids = visible(Quote, user), (QuoteRevision.quote_id, QuoteRevision.number)
    rows_sent = sent(*columns(QuoteRevision.id, QuoteRevision.sent_at, texts=(Quote.number,), numbers=ids))
    # A decision follows its sending in the provider's order (the revisions, latest sent first).
    rows_decided = sent(*columns(
        QuoteRevision.id, QuoteRevision.decided_at, order_at=QuoteRevision.sent_at,
        texts=(Quote.number, QuoteRevision.status, QuoteRevision.decided_by_name, QuoteRevision.decline_reason),
        numbers=ids)).where(QuoteRevision.decided_at.is_not(None))
    return ([Kind(rows_sent.where(seen), _sent), Kind(rows_decided.where(seen), _decided)],
            hidden(sent(QuoteRevision.id), seen))


@provider
def orders(customer, user):
    rows = select(*columns(Order.id, Order.created_at, texts=(Order.number,))).where(Order.customer_id == customer.id)
    return [Kind(rows.where(visible(Order, user)), lambda row: TimelineEntry(
        at=row.at, kind="order", url=url_for("quotes.order", order_id=row.id),
        title=_("Order %(number)s", number=texts(row)[0]), detail=None))], hidden(rows, visible(Order, user))
