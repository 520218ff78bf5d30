"""The outbox: every email is queued in the database first, then delivered by `deliver()`.

A send button queues and tries at once; `flask send-mail` (cron) retries what is still queued. A mail server that
is down or refuses the login leaves the message queued with the error; only a refusal of the message itself
(a 5xx for the recipient or the content: the nearest thing to a bounce SMTP tells) marks it failed.

Each email is sent exactly once, even when a run is killed or two runs overlap. Every step is its own short
transaction: the email is claimed (sales/claims.py: only one run can hold it), then handed over, then marked.
SMTP gives one moment after which the server has the message: the final "." of DATA. The whole message is
written to the server first; then the commit of `handed_at` and the "." go out back to back (on PostgreSQL the
COMMIT is sent before the "." and its answer read after, sales/claims.py `commit_then`). So a run killed before
that commit left the server with an unfinished message it throws away, and the next run sends it again; a run
killed after it had handed the message over, and the next run leaves it alone. Only a kill between two socket
writes a few microseconds apart could still lose one. The Message-ID, fixed when
the email was queued, lets the receiving side recognise a copy should one ever arrive twice.
"""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Optional

from flask import current_app
from sqlalchemy import and_, or_, select, update

from extensions import db
from models import OutgoingEmail, ShopSetting, utcnow
from sales.claims import abandoned_before, claim, commit_then, new_token, still_held

class MailServerProblem(Exception):
    """The mail server could not be reached or refused us (not the message): try again later."""


class MessageRefused(Exception):
    """The server refused this message for good (unknown recipient, rejected content)."""


class ClaimLost(Exception):
    """Another run took this email over (our claim had outlived its lease): it sends it, we must not."""


def header_value(text: str) -> str:
    """One line for a header: a line break in a subject or a name would end the header (or forge another)."""
    return " ".join(str(text).split())


def compose(to_address: str, subject: str, body: str, attachments=(), reply_to: Optional[str] = None) -> EmailMessage:
    message = EmailMessage()
    shop = ShopSetting.get("shop_name", current_app.config["SHOP_NAME"])
    message["From"] = formataddr((header_value(shop), current_app.config["MAIL_FROM"]))
    message["To"] = header_value(to_address)
    message["Subject"] = header_value(subject)
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
        message[name] = header_value(value)
    email = OutgoingEmail(customer_id=customer_id, campaign_id=campaign_id, about=about, about_id=about_id,
                          to_address=to_address, subject=header_value(subject)[:300], body=body,
                          raw=message.as_bytes(), message_id=message["Message-ID"], created_by_id=created_by_id,
                          status="queued")
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


def _smtp_data(raw: bytes) -> bytes:
    """The message as SMTP's DATA carries it: CRLF line ends, a leading "." doubled, ending in CRLF."""
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)


def _check(reply, accepted, refused_for_good):
    code, text = reply
    if code in accepted:
        return
    error = smtplib.SMTPResponseException(code, text)
    raise (MessageRefused if refused_for_good and 500 <= code < 600 else MailServerProblem)(_describe(error))


def _hand_over(server, email: OutgoingEmail, mark_handed) -> None:
    """Send one email; once the whole message is with the server, `mark_handed(send_dot)` commits the mark and
    sends the final "." that makes the server take it (or returns False and sends nothing). Raises
    MessageRefused, MailServerProblem, ClaimLost; `email.handed` tells whether the point of no return was
    passed."""
    data = _smtp_data(email.raw)
    options = ["BODY=8BITMIME"] if server.has_extn("8bitmime") and any(b > 127 for b in data) else []
    if not email.to_address.isascii() and server.has_extn("smtputf8"):
        options.append("SMTPUTF8")
    server.ehlo_or_helo_if_needed()
    _check(server.mail(current_app.config["MAIL_FROM"], options), (250,), refused_for_good=False)
    try:
        _check(server.rcpt(email.to_address), (250, 251), refused_for_good=True)
        server.putcmd("data")
        _check(server.getreply(), (354,), refused_for_good=True)
    except MessageRefused:
        server.rset()
        raise
    server.send(data)
    if not mark_handed(lambda: server.send(b".\r\n")):
        raise ClaimLost(email.id)
    _check(server.getreply(), (250,), refused_for_good=True)


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


class _Run:
    """One sending run: its claim token, its connection (opened on the first email), what it did."""

    def __init__(self):
        self.token, self.server, self.result, self.handed_at = new_token(), None, Delivery(), None
        self.local = current_app.config["MAIL_BACKEND"] == "local"

    def claim(self, only_id=None) -> Optional[OutgoingEmail]:
        condition = claimable() if only_id is None else and_(OutgoingEmail.id == only_id, claimable())
        ids = claim(OutgoingEmail, condition, (OutgoingEmail.id,), limit=1, values={
            "status": "sending", "claim_token": self.token, "claimed_at": utcnow(), "handed_at": None,
            "attempts": OutgoingEmail.attempts + 1})
        db.session.commit()
        return db.session.get(OutgoingEmail, ids[0], populate_existing=True) if ids else None

    def send(self, email: OutgoingEmail) -> bool:
        """Send one claimed email and record the outcome. False when the server is down: stop the run."""
        if self.local:
            # Development and tests: recorded as sent, nothing leaves the machine.
            self._finish(email, status="sent", sent_at=utcnow(), last_error=None)
            self.result.sent += 1
            return True
        email.handed = False
        try:
            if self.server is None:
                self.server = _connect()
            _hand_over(self.server, email, lambda send_dot: self._mark_handed(email, send_dot))
        except MessageRefused as error:
            self._finish(email, status="failed", last_error=str(error))
            self.result.refused += 1
        except ClaimLost:
            self._hang_up()                 # the unfinished message dies with the connection
        except (MailServerProblem, smtplib.SMTPException, OSError) as error:
            self._hang_up()
            if email.handed and not isinstance(error, MailServerProblem):
                # The connection broke after the server had the whole message: it went out. Sending it again
                # could only make a copy.
                self._finish(email, status="sent", sent_at=self.handed_at, last_error=None)
                self.result.sent += 1
                return True
            self.result.problem = _describe(error)
            self._finish(email, status="queued", handed_at=None, last_error=self.result.problem)
            return False
        else:
            self._finish(email, status="sent", sent_at=utcnow(), last_error=None)
            self.result.sent += 1
        return True

    def _mark_handed(self, email, send_dot) -> bool:
        # The mark and the "." go out together (claims.commit_then): a kill between them is what could lose or
        # double an email, so that moment is made as short as it can be.
        self.handed_at = utcnow()
        if not still_held(OutgoingEmail, email.id, self.token, {"handed_at": self.handed_at}):
            db.session.commit()
            return False

        def hand_over():
            email.handed = True
            send_dot()

        commit_then(hand_over)
        return True

    def _finish(self, email, **values):
        still_held(OutgoingEmail, email.id, self.token, {**values, "claim_token": None})
        db.session.commit()

    def _hang_up(self):
        if self.server is not None:
            try:
                self.server.close()
            except (smtplib.SMTPException, OSError):
                pass
        self.server = None

    def close(self):
        if self.server is not None:
            try:
                self.server.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self.server = None


def claimable():
    """Waiting, or claimed by a run that died before handing it to the server (its lease is over)."""
    lease_over = abandoned_before(current_app.config["MAIL_CLAIM_SECONDS"])
    return or_(OutgoingEmail.status == "queued",
               and_(OutgoingEmail.status == "sending", OutgoingEmail.handed_at.is_(None),
                    OutgoingEmail.claimed_at < lease_over))


def settle_abandoned_handovers() -> int:
    """Emails a killed run had handed to the server but not marked: the server has them, so they are sent."""
    lease_over = abandoned_before(current_app.config["MAIL_CLAIM_SECONDS"])
    result = db.session.execute(
        update(OutgoingEmail).where(OutgoingEmail.status == "sending", OutgoingEmail.handed_at.is_not(None),
                                    OutgoingEmail.claimed_at < lease_over)
        .values(status="sent", sent_at=OutgoingEmail.handed_at, claim_token=None)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def deliver(emails: list[OutgoingEmail]) -> Delivery:
    """Send these queued emails over one connection, each claimed, sent and marked in its own transaction.

    Commits first: the emails (and whatever the caller changed with them) are safe before anything is sent.
    A connection or login problem stops the run; the email it happened on and those not tried yet stay queued,
    with the reason.
    """
    ids = [e.id for e in emails]
    db.session.commit()
    run = _Run()
    try:
        for position, email_id in enumerate(ids):
            email = run.claim(only_id=email_id)
            if email is not None and not run.send(email):
                _note_problem(ids[position + 1:], run.result.problem)
                break
    finally:
        run.close()
    return run.result


def _note_problem(ids, problem):
    # The server was down for every email still waiting: each counts an attempt, keeps the reason.
    if ids:
        db.session.execute(update(OutgoingEmail).where(OutgoingEmail.id.in_(ids), OutgoingEmail.status == "queued")
                           .values(attempts=OutgoingEmail.attempts + 1, last_error=problem)
                           .execution_options(synchronize_session=False))
        db.session.commit()


def queued(limit=100) -> list[OutgoingEmail]:
    return db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.status == "queued")
                              .order_by(OutgoingEmail.id).limit(limit)).all()


def drain_queue(limit=100) -> Delivery:
    """The cron job: send what is waiting, oldest first, one claimed email at a time (another run, here or on
    another machine, takes the others)."""
    settle_abandoned_handovers()
    run = _Run()
    try:
        for _n in range(limit):
            email = run.claim()
            if email is None:
                break
            if not run.send(email):
                waiting = db.session.scalars(select(OutgoingEmail.id).where(OutgoingEmail.status == "queued",
                                                                            OutgoingEmail.id != email.id)
                                             .order_by(OutgoingEmail.id).limit(limit)).all()
                _note_problem(waiting, run.result.problem)
                break
    finally:
        run.close()
    return run.result


def queued_about(about: str, about_id: int) -> list[OutgoingEmail]:
    """Emails about one record that are not sent yet (still queued, or refused): shown next to its send button."""
    return db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.about == about,
                                                          OutgoingEmail.about_id == about_id,
                                                          OutgoingEmail.status != "sent")
                              .order_by(OutgoingEmail.id)).all()


class Attached:
    """A file that went out with an email, as its reader sees it listed (and downloads it)."""

    def __init__(self, number, filename, content_type, data):
        self.number, self.filename, self.content_type, self.data = number, filename, content_type, data

    @property
    def size(self):
        return len(self.data)


def attachments_of(email: OutgoingEmail) -> list[Attached]:
    """The files of an email, numbered from 1, read back from the message exactly as it went out (`raw`)."""
    from email import message_from_bytes
    from email import policy

    if not email.raw:
        return []
    message = message_from_bytes(email.raw, policy=policy.default)
    return [Attached(number, part.get_filename() or f"file-{number}", part.get_content_type(),
                     part.get_payload(decode=True) or b"")
            for number, part in enumerate(message.iter_attachments(), start=1)]
