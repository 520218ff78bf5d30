"""What documents add to a customer's timeline: each one attached to the customer, one of their leads or quotes,
shown to those who may see the record it is on."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from models import Document, Lead, Quote, User
from sales.documents.rules import KIND_NAMES
from sales.records import visible
from sales.timeline import Kind, TimelineEntry, columns, hidden, provider, texts


def _document(row):
    kind, title, lead_title, quote_number, who = texts(row)
    on = lead_title or quote_number
    return TimelineEntry(at=row.at, kind="document", url=url_for("documents.show", document_id=row.id),
                         title=_("%(kind)s attached: %(title)s", kind=KIND_NAMES[kind], title=title),
                         detail=_("On %(record)s", record=on) if on else None, who=who)


# The lead or quote a document is on, named from aliases: the rules' subqueries on leads and quotes stay their
# own. Made once per process (SQLAlchemy keeps an alias's columns once worked out).
_AUTHOR, _LEAD, _QUOTE = aliased(User, name="document_author"), aliased(Lead, name="document_lead"), \
    aliased(Quote, name="document_quote")


@provider
def documents(customer, user):
    author, lead, quote = _AUTHOR, _LEAD, _QUOTE
    on_customer = or_(Document.customer_id == customer.id,
                      Document.lead_id.in_(select(Lead.id).where(Lead.customer_id == customer.id)),
                      Document.quote_id.in_(select(Quote.id).where(Quote.customer_id == customer.id)))
    rows = (select(*columns(Document.id, Document.created_at,
                            texts=(Document.kind, Document.title, lead.title, quote.number, author.name)))
            .select_from(Document).outerjoin(lead, lead.id == Document.lead_id)
            .outerjoin(quote, quote.id == Document.quote_id)
            .outerjoin(author, author.id == Document.created_by_id)
            .where(on_customer, visible(Document, user)))
    return [Kind(rows, _document)], hidden(select(Document.id).where(on_customer), visible(Document, user))
