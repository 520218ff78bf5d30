"""What after-sale adds to a customer's timeline: tickets opened and closed, and surveys answered."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import Survey, Ticket
from sales.records import visible
from sales.support.forms import KIND_NAMES
from sales.timeline import Kind, TimelineEntry, columns, hidden, numbers, provider, texts


def _opened(row):
    kind, title = texts(row)[:2]
    return TimelineEntry(at=row.at, kind="ticket", url=url_for("support.show", ticket_id=row.id), detail=title,
                         title=_("%(kind)s ticket %(number)s opened", kind=KIND_NAMES.get(kind, kind),
                                 number=Ticket.number_of(row.id)))


def _closed(row):
    return TimelineEntry(at=row.at, kind="ticket", url=url_for("support.show", ticket_id=row.id),
                         detail=texts(row)[0], title=_("Ticket %(number)s closed", number=Ticket.number_of(row.id)))


@provider
def tickets(customer, user):
    seen = visible(Ticket, user)
    opened = select(*columns(Ticket.id, Ticket.created_at, texts=(Ticket.kind, Ticket.title))).where(
        Ticket.customer_id == customer.id)
    # A closing follows its opening in the provider's order (the tickets, latest opened first).
    closed = select(*columns(Ticket.id, Ticket.closed_at, order_at=Ticket.created_at, texts=(Ticket.resolution,))).where(
        Ticket.customer_id == customer.id, Ticket.closed_at.is_not(None))
    return ([Kind(opened.where(seen), _opened), Kind(closed.where(seen), _closed)],
            hidden(select(Ticket.id).where(Ticket.customer_id == customer.id), seen))


def _survey(row):
    expected, got, csat, nps = numbers(row)
    return TimelineEntry(at=row.at, kind="survey", detail=texts(row)[0],
                         title=_("Survey answered: expected %(expected)d, got %(got)d (gap %(gap)+d), "
                                 "satisfaction %(csat)d/5, recommend %(nps)d/10",
                                 expected=expected, got=got, gap=got - expected, csat=csat, nps=nps))


@provider
def surveys(customer, user):
    answered = (Survey.customer_id == customer.id, Survey.answered_at.is_not(None))
    rows = select(*columns(Survey.id, Survey.answered_at, texts=(Survey.comment,), numbers=(
        Survey.expectation, Survey.experience, Survey.csat, Survey.nps))).where(*answered, visible(Survey, user))
    return [Kind(rows, _survey)], hidden(select(Survey.id).where(*answered), visible(Survey, user))
