"""What after-sale adds to a customer's timeline: tickets opened and closed, and surveys answered."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from extensions import db
from models import Survey, Ticket
from sales.support.forms import KIND_NAMES
from sales.timeline import TimelineEntry, provider


@provider
def tickets(customer, limit):
    rows = db.session.scalars(select(Ticket).where(Ticket.customer_id == customer.id)
                              .order_by(Ticket.created_at.desc()).limit(limit)).all()
    entries = []
    for t in rows:
        url = url_for("support.show", ticket_id=t.id)
        kind = KIND_NAMES.get(t.kind, t.kind)
        entries.append(TimelineEntry(at=t.created_at, kind="ticket", url=url, detail=t.title,
                                     title=_("%(kind)s ticket %(number)s opened", kind=kind, number=t.number)))
        if t.closed_at:
            entries.append(TimelineEntry(at=t.closed_at, kind="ticket", url=url, detail=t.resolution,
                                         title=_("Ticket %(number)s closed", number=t.number)))
    return entries


@provider
def surveys(customer, limit):
    rows = db.session.scalars(select(Survey).where(Survey.customer_id == customer.id,
                                                   Survey.answered_at.is_not(None))
                              .order_by(Survey.answered_at.desc()).limit(limit)).all()
    return [TimelineEntry(at=s.answered_at, kind="survey", detail=s.comment,
                          title=_("Survey answered: expected %(expected)d, got %(got)d (gap %(gap)+d), "
                                  "satisfaction %(csat)d/5, recommend %(nps)d/10",
                                  expected=s.expectation, got=s.experience, gap=s.gap, csat=s.csat, nps=s.nps))
            for s in rows]
