"""What documents add to a customer's timeline: each one attached to the customer, one of their leads or quotes,
shown to those who may see the record it is on."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from models import Document, Lead, Quote
from sales.documents.rules import KIND_NAMES
from sales.records import visible
from sales.timeline import TimelineEntry, provider, visible_rows


@provider
def documents(customer, limit, user):
    rows, hidden = visible_rows(
        select(Document).options(joinedload(Document.created_by), joinedload(Document.lead),
                                 joinedload(Document.quote))
        .where(or_(Document.customer_id == customer.id,
                   Document.lead_id.in_(select(Lead.id).where(Lead.customer_id == customer.id)),
                   Document.quote_id.in_(select(Quote.id).where(Quote.customer_id == customer.id))))
        .order_by(Document.created_at.desc()), visible(Document, user), limit)
    entries = []
    for d in rows:
        on = d.lead.title if d.lead else d.quote.number if d.quote else None
        entries.append(TimelineEntry(at=d.created_at, kind="document", url=url_for("documents.show", document_id=d.id),
                                     title=_("%(kind)s attached: %(title)s", kind=KIND_NAMES[d.kind], title=d.title),
                                     detail=_("On %(record)s", record=on) if on else None,
                                     who=d.created_by.name if d.created_by else None))
    return entries, hidden
