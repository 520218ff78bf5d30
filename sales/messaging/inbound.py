"""Email in: `flask read-mail` reads the shop's IMAP mailbox and files every new message.

A reply carrying a ticket's tag in its subject joins that ticket's conversation; a message from a known customer
lands on their timeline; anyone else becomes a new customer with a lead whose source is "email".
A message is marked read on the server only after it is stored here, so a crash in between reads it again and
the Message-ID keeps it from being stored twice.
"""
import imaplib
import re
import ssl
from email import message_from_bytes, policy
from email.utils import getaddresses, make_msgid

from flask import current_app
from sqlalchemy import func, select

from extensions import db
from models import Customer, IncomingEmail, Lead, Ticket, normalise_email
from sales.messaging.emails import ticket_from_subject


class MailboxProblem(Exception):
    """The IMAP server could not be reached, refused the login, or has no such folder."""


def _text_of(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", text, flags=re.S)
    return strip_quoted(text)


def strip_quoted(text: str) -> str:
    """The new words of a reply: drop the quoted earlier message that mail programs append."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(">"):
            continue
        if re.match(r"^(On|El) .+(wrote|escribió):\s*$", line.strip()):
            break
        lines.append(line)
    return "\n".join(lines).strip()[:20000]


def take_in(raw: bytes) -> str:
    """File one raw message; returns where it went: ticket, customer, lead or duplicate."""
    from sales.leads.rules import refresh_priority
    from sales.leads.stages import ensure_default_stages, first_open_stage, start_in_stage
    from sales.support.rules import add_message

    message = message_from_bytes(raw, policy=policy.default)
    message_id = (str(message.get("Message-ID") or "").strip() or make_msgid())[:300]
    if db.session.scalar(select(IncomingEmail.id).where(IncomingEmail.message_id == message_id)):
        return "duplicate"
    senders = getaddresses([str(message.get("From", ""))])
    name, address = senders[0] if senders else ("", "")
    address = normalise_email(address) or "unknown@invalid"
    subject = str(message.get("Subject") or "")[:300]
    body = _text_of(message)
    incoming = IncomingEmail(message_id=message_id, from_address=address[:254], subject=subject, body=body)
    db.session.add(incoming)

    ticket_id = ticket_from_subject(subject)
    ticket = db.session.get(Ticket, ticket_id) if ticket_id else None
    if ticket is not None:
        add_message(ticket, body or subject, public=True, from_customer=True)
        incoming.ticket_id, incoming.customer_id = ticket.id, ticket.customer_id
        return "ticket"
    customer = db.session.scalars(select(Customer).where(func.lower(Customer.email) == address)
                                  .order_by(Customer.archived_at.is_not(None), Customer.id)).first()
    if customer is not None:
        incoming.customer_id = customer.id
        return "customer"
    ensure_default_stages()
    stage = first_open_stage()        # before the new rows exist: this query flushes the session
    customer = Customer(name=(name or address.partition("@")[0])[:160], email=address)
    db.session.add(customer)
    lead = Lead(customer=customer, title=(subject or address)[:200], source="email", description=body or None)
    start_in_stage(lead, stage)
    db.session.add(lead)
    db.session.flush()
    refresh_priority(lead)
    incoming.customer_id, incoming.lead_id = customer.id, lead.id
    return "lead"


def _connect():
    config = current_app.config
    host, port = config["IMAP_HOST"], config["IMAP_PORT"]
    if not host:
        raise MailboxProblem("IMAP_HOST is not set")
    try:
        if config["IMAP_TLS"] == "ssl":
            client = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=30)
        else:
            client = imaplib.IMAP4(host, port, timeout=30)
            if config["IMAP_TLS"] == "starttls":
                client.starttls(ssl_context=ssl.create_default_context())
        client.login(config["IMAP_USER"] or "", config["IMAP_PASSWORD"] or "")
    except (imaplib.IMAP4.error, OSError) as error:
        raise MailboxProblem(str(error) or error.__class__.__name__) from error
    return client


def read_mailbox(limit: int = 200, still_ours=lambda: True) -> dict:
    """Read the unread messages of the configured folder, file each, commit, then mark it read.

    `still_ours()` is asked before each message (the cron run's lease on the mailbox): when another run has taken
    the mailbox over, this one stops."""
    report = {"read": 0, "ticket": 0, "customer": 0, "lead": 0, "duplicate": 0}
    client = _connect()
    try:
        status, _data = client.select(current_app.config["IMAP_FOLDER"])
        if status != "OK":
            raise MailboxProblem(f"no folder {current_app.config['IMAP_FOLDER']}")
        status, data = client.search(None, "UNSEEN")
        for number in (data[0].split() if status == "OK" and data and data[0] else [])[:limit]:
            if not still_ours():
                break
            status, parts = client.fetch(number, "(RFC822)")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None) if status == "OK" else None
            if raw is None:
                continue
            outcome = take_in(raw)
            db.session.commit()
            client.store(number, "+FLAGS", "\\Seen")
            report["read"] += 1
            report[outcome] += 1
    except (imaplib.IMAP4.error, OSError) as error:
        db.session.rollback()
        raise MailboxProblem(str(error) or error.__class__.__name__) from error
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return report
