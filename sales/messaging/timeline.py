"""What email adds to a customer's timeline: messages sent (or waiting in the outbox) and messages received."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import IncomingEmail, OutgoingEmail
from sales.timeline import TimelineEntry, provider


@provider
def emails_sent(customer, limit):
    rows = db.session.scalars(
        select(OutgoingEmail).options(selectinload(OutgoingEmail.created_by))
        .where(OutgoingEmail.customer_id == customer.id)
        .order_by(OutgoingEmail.created_at.desc()).limit(limit)).all()
    titles = {"sent": _("Email sent: %(subject)s"), "queued": _("Email waiting in the outbox: %(subject)s"),
              "failed": _("Email refused by the mail server: %(subject)s")}
    return [TimelineEntry(at=e.sent_at or e.created_at, kind="email", title=titles[e.status] % {"subject": e.subject},
                          detail=e.body if e.about != "campaign" else None,
                          who=e.created_by.name if e.created_by else None) for e in rows]


@provider
def emails_received(customer, limit):
    rows = db.session.scalars(select(IncomingEmail).where(IncomingEmail.customer_id == customer.id)
                              .order_by(IncomingEmail.received_at.desc()).limit(limit)).all()
    return [TimelineEntry(at=e.received_at, kind="email", title=_("Email received: %(subject)s", subject=e.subject),
                          detail=e.body,
                          url=url_for("support.show", ticket_id=e.ticket_id) if e.ticket_id else
                          (url_for("leads.show", lead_id=e.lead_id) if e.lead_id else None)) for e in rows]
