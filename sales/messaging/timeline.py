"""What email adds to a customer's timeline: messages sent (or waiting in the outbox) and messages received.
An email's links (a quote's acceptance link, a portal link) show only to who may use them (H3)."""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from models import IncomingEmail, OutgoingEmail, User
from sales.records import changeable, visible, without_links
from sales.timeline import Kind, TimelineEntry, columns, hidden, numbers, provider, texts


def _sent(row):
    status, subject, body, about, who = texts(row)
    usable = numbers(row)[0]
    waiting = _("Email waiting in the outbox: %(subject)s")
    titles = {"sent": _("Email sent: %(subject)s"), "queued": waiting, "sending": waiting,
              "failed": _("Email refused by the mail server: %(subject)s")}
    return TimelineEntry(at=row.at, kind="email", title=titles[status] % {"subject": subject},
                         detail=(body if usable else without_links(body)) if about != "campaign" else None,
                         url=url_for("messaging.email", email_id=row.id), who=who)


_SENDER = aliased(User, name="sender")     # once per process: SQLAlchemy keeps an alias's columns once worked out


@provider
def emails_sent(customer, user):
    author = _SENDER
    usable = case((changeable(OutgoingEmail, user), 1), else_=0)
    rows = (select(*columns(OutgoingEmail.id, func.coalesce(OutgoingEmail.sent_at, OutgoingEmail.created_at),
                            order_at=OutgoingEmail.created_at,
                            texts=(OutgoingEmail.status, OutgoingEmail.subject, OutgoingEmail.body,
                                   OutgoingEmail.about, author.name), numbers=(usable,)))
            .select_from(OutgoingEmail).outerjoin(author, author.id == OutgoingEmail.created_by_id)
            .where(OutgoingEmail.customer_id == customer.id, visible(OutgoingEmail, user)))
    return [Kind(rows, _sent)], hidden(select(OutgoingEmail.id).where(OutgoingEmail.customer_id == customer.id),
                                       visible(OutgoingEmail, user))


def _received(row):
    subject, body = texts(row)[:2]
    ticket_id, lead_id = numbers(row)[:2]
    return TimelineEntry(at=row.at, kind="email", title=_("Email received: %(subject)s", subject=subject), detail=body,
                         url=url_for("support.show", ticket_id=ticket_id) if ticket_id else
                         (url_for("leads.show", lead_id=lead_id) if lead_id else None))


@provider
def emails_received(customer, user):
    rows = select(*columns(IncomingEmail.id, IncomingEmail.received_at,
                           texts=(IncomingEmail.subject, IncomingEmail.body),
                           numbers=(IncomingEmail.ticket_id, IncomingEmail.lead_id))).where(
        IncomingEmail.customer_id == customer.id)
    return [Kind(rows.where(visible(IncomingEmail, user)), _received)], hidden(rows, visible(IncomingEmail, user))
