"""What email adds to a customer's timeline: messages sent (or waiting in the outbox) and messages received.
An email's links (a quote's acceptance link, a portal link) show only to who may use them (H3)."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extensions import db
from models import IncomingEmail, OutgoingEmail
from sales.records import changeable, visible, without_links
from sales.timeline import TimelineEntry, provider, visible_rows


@provider
def emails_sent(customer, limit, user):
    rows, hidden = visible_rows(
        select(OutgoingEmail).options(joinedload(OutgoingEmail.created_by))
        .where(OutgoingEmail.customer_id == customer.id)
        .order_by(OutgoingEmail.created_at.desc()), visible(OutgoingEmail, user), limit)
    usable = set(db.session.scalars(select(OutgoingEmail.id).where(
        OutgoingEmail.id.in_([e.id for e in rows]), changeable(OutgoingEmail, user)))) if rows else set()
    waiting = _("Email waiting in the outbox: %(subject)s")
    titles = {"sent": _("Email sent: %(subject)s"), "queued": waiting, "sending": waiting,
              "failed": _("Email refused by the mail server: %(subject)s")}
    return [TimelineEntry(at=e.sent_at or e.created_at, kind="email", title=titles[e.status] % {"subject": e.subject},
                          detail=(e.body if e.id in usable else without_links(e.body))
                          if e.about != "campaign" else None,
                          url=url_for("messaging.email", email_id=e.id),
                          who=e.created_by.name if e.created_by else None) for e in rows], hidden


@provider
def emails_received(customer, limit, user):
    rows, hidden = visible_rows(select(IncomingEmail).where(IncomingEmail.customer_id == customer.id)
                                .order_by(IncomingEmail.received_at.desc()), visible(IncomingEmail, user), limit)
    return [TimelineEntry(at=e.received_at, kind="email", title=_("Email received: %(subject)s", subject=e.subject),
                          detail=e.body,
                          url=url_for("support.show", ticket_id=e.ticket_id) if e.ticket_id else
                          (url_for("leads.show", lead_id=e.lead_id) if e.lead_id else None)) for e in rows], hidden
