"""What after-sale adds to a customer's timeline: tickets opened and closed, and surveys answered."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import Survey, Ticket
from sales.records import visible
from sales.support.forms import KIND_NAMES
from sales.timeline import TimelineEntry, provider, visible_rows


@provider
def tickets(customer, limit, user):
    rows, hidden = visible_rows(select(Ticket).where(Ticket.customer_id == customer.id)
                                .order_by(Ticket.created_at.desc()), visible(Ticket, user), limit)
    entries = []
    for t in rows:
        url = url_for("support.show", ticket_id=t.id)
        kind = KIND_NAMES.get(t.kind, t.kind)
        entries.append(TimelineEntry(at=t.created_at, kind="ticket", url=url, detail=t.title,
                                     title=_("%(kind)s ticket %(number)s opened", kind=kind, number=t.number)))
        if t.closed_at:
            entries.append(TimelineEntry(at=t.closed_at, kind="ticket", url=url, detail=t.resolution,
                                         title=_("Ticket %(number)s closed", number=t.number)))
    return entries, hidden


@provider
def surveys(customer, limit, user):
    rows, hidden = visible_rows(select(Survey).where(Survey.customer_id == customer.id,
                                                     Survey.answered_at.is_not(None))
                                .order_by(Survey.answered_at.desc()), visible(Survey, user), limit)
    return [TimelineEntry(at=s.answered_at, kind="survey", detail=s.comment,
                          title=_("Survey answered: expected %(expected)d, got %(got)d (gap %(gap)+d), "
                                  "satisfaction %(csat)d/5, recommend %(nps)d/10",
                                  expected=s.expectation, got=s.experience, gap=s.gap, csat=s.csat, nps=s.nps))
            for s in rows], hidden
