"""What the sale adds to a customer's timeline: quotations sent and decided, orders."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Order, Quote, QuoteRevision
from sales.records import visible
from sales.timeline import TimelineEntry, provider, visible_rows


@provider
def quotations(customer, limit, user):
    revisions, hidden = visible_rows(
        select(QuoteRevision).join(Quote).options(joinedload(QuoteRevision.quote))
        .where(Quote.customer_id == customer.id, QuoteRevision.sent_at.is_not(None))
        .order_by(QuoteRevision.sent_at.desc()), visible(Quote, user), limit)
    entries = []
    for r in revisions:
        url = url_for("quotes.show", quote_id=r.quote_id, number=r.number)
        entries.append(TimelineEntry(at=r.sent_at, kind="quote", url=url,
                                     title=_("Quote %(number)s rev. %(n)d sent", number=r.quote.number, n=r.number)))
        if r.decided_at:
            title = (_("Quote %(number)s accepted by %(name)s", number=r.quote.number, name=r.decided_by_name)
                     if r.status == "accepted" else
                     _("Quote %(number)s declined by %(name)s", number=r.quote.number, name=r.decided_by_name))
            entries.append(TimelineEntry(at=r.decided_at, kind="quote", title=title, detail=r.decline_reason,
                                         url=url))
    return entries, hidden


@provider
def orders(customer, limit, user):
    rows, hidden = visible_rows(select(Order).where(Order.customer_id == customer.id)
                                .order_by(Order.created_at.desc()), visible(Order, user), limit)
    return [TimelineEntry(at=o.created_at, kind="order", url=url_for("quotes.order", order_id=o.id),
                          title=_("Order %(number)s", number=o.number), detail=None) for o in rows], hidden
