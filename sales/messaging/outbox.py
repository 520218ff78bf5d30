"""The outbox: every email is queued in the database first, then delivered by `deliver()`.

A send button queues and tries at once; `flask send-mail` (cron) retries what is still queued. A mail server that
is down or refuses the login leaves the message queued with the error; only a refusal of the message itself
(a 5xx for the recipient or the content: the nearest thing to a bounce SMTP tells) marks it failed.
"""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Optional

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import OutgoingEmail, ShopSetting, utcnow

class MailServerProblem(Exception):
    """The mail server could not be reached or refused us (not the message): try again later."""


class MessageRefused(Exception):
    """The server refused this message for good (unknown recipient, rejected content)."""


def compose(to_address: str, subject: str, body: str, attachments=(), reply_to: Optional[str] = None) -> EmailMessage:
    message = EmailMessage()
    shop = ShopSetting.get("shop_name", current_app.config["SHOP_NAME"])
    message["From"] = formataddr((shop, current_app.config["MAIL_FROM"]))
    message["To"] = to_address
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2] or None)
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, _slash, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def enqueue(to_address: str, subject: str, body: str, *, customer_id=None, about="other", about_id=None,
            attachments=(), campaign_id=None, created_by_id=None, headers=None) -> OutgoingEmail:
    """Put a message in the outbox (flushed, not committed): nothing is sent yet."""
    message = compose(to_address, subject, body, attachments)
    for name, value in (headers or {}).items():
        message[name] = value
    email = OutgoingEmail(customer_id=customer_id, campaign_id=campaign_id, about=about, about_id=about_id,
                          to_address=to_address, subject=subject, body=body, raw=message.as_bytes(),
                          created_by_id=created_by_id, status="queued")
    db.session.add(email)
    db.session.flush()
    return email


def _connect():
    config = current_app.config
    host, port, timeout = config["MAIL_HOST"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if not host:
        raise MailServerProblem("MAIL_HOST is not set")
    if config["MAIL_TLS"] == "ssl":
        server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
        if config["MAIL_TLS"] == "starttls":
            server.starttls(context=ssl.create_default_context())
    if config["MAIL_USER"]:
        server.login(config["MAIL_USER"], config["MAIL_PASSWORD"] or "")
    return server


def _smtp_send(server, email: OutgoingEmail) -> None:
    from email import message_from_bytes, policy

    message = message_from_bytes(email.raw, policy=policy.SMTP)
    try:
        refused = server.send_message(message, from_addr=current_app.config["MAIL_FROM"],
                                      to_addrs=[email.to_address])
    except smtplib.SMTPRecipientsRefused as error:
        raise MessageRefused(_describe(error)) from error
    except smtplib.SMTPDataError as error:
        if 500 <= error.smtp_code < 600:
            raise MessageRefused(_describe(error)) from error
        raise MailServerProblem(_describe(error)) from error
    except smtplib.SMTPSenderRefused as error:
        raise MailServerProblem(_describe(error)) from error
    if refused:
        raise MessageRefused(_describe(refused))


def _describe(error) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        return f"{error.smtp_code} {text}"[:500]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
                         for address, (code, text) in error.recipients.items())[:500]
    return (str(error) or error.__class__.__name__)[:500]


class Delivery:
    """What one delivery run did: counts, and the server problem that stopped it, if any."""

    def __init__(self):
        self.sent, self.refused, self.problem = 0, 0, None

    @property
    def ok(self):
        return self.problem is None


def deliver(emails: list[OutgoingEmail]) -> Delivery:
    """Send these queued emails over one connection. Each outcome is recorded on its row (not committed).

    A connection or login problem stops the run and leaves every unsent email queued, its attempt counted.
    """
    result = Delivery()
    emails = [e for e in emails if e.status == "queued"]
    if not emails:
        return result
    if current_app.config["MAIL_BACKEND"] == "local":
        # Development and tests: recorded as sent, nothing leaves the machine.
        for email in emails:
            email.attempts += 1
            email.status, email.sent_at, email.last_error = "sent", utcnow(), None
            result.sent += 1
        return result
    server = None
    tried = set()
    try:
        server = _connect()
        for email in emails:
            tried.add(email.id)
            email.attempts += 1
            try:
                _smtp_send(server, email)
            except MessageRefused as error:
                email.status, email.last_error = "failed", str(error)
                result.refused += 1
            else:
                email.status, email.sent_at, email.last_error = "sent", utcnow(), None
                result.sent += 1
    except (MailServerProblem, smtplib.SMTPException, OSError) as error:
        result.problem = _describe(error)
        for email in emails:
            if email.status == "queued":
                # The server was down for every email still waiting: each counts an attempt, keeps the reason.
                email.attempts += 0 if email.id in tried else 1
                email.last_error = result.problem
    finally:
        if server is not None:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                pass
    return result


def queued(limit=100) -> list[OutgoingEmail]:
    return db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.status == "queued")
                              .order_by(OutgoingEmail.id).limit(limit)).all()


def drain_queue(limit=100) -> Delivery:
    """The cron job: send what is queued, oldest first, and commit the outcome."""
    result = deliver(queued(limit))
    db.session.commit()
    return result


def queued_about(about: str, about_id: int) -> list[OutgoingEmail]:
    """Emails about one record that are not sent yet (still queued, or refused): shown next to its send button."""
    return db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.about == about,
                                                          OutgoingEmail.about_id == about_id,
                                                          OutgoingEmail.status != "sent")
                              .order_by(OutgoingEmail.id)).all()
