"""The customer portal (one link, revocable) and email in: `flask read-mail` against a real IMAP server (pymap)
started by the test: ticket replies join the thread, known customers get it on their timeline, strangers
become leads; a mailbox that refuses the login is a clear message, not a crash."""
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from extensions import db
from models import Customer, Lead, OutgoingEmail, Survey, Ticket, TicketMessage
from tests.conftest import login, text_of
from tests.mail_servers import IMAPServer
from tests.test_messaging import open_ticket  # noqa: F401  (fixture; sent_quote is in conftest)


def portal_path(client, customer_id):
    client.post(f"/mail/customer/{customer_id}/portal", data={"action": "issue"})
    with client.application.app_context():
        return "/p/" + db.session.get(Customer, customer_id).portal_token


# --- Portal ---------------------------------------------------------------------------------------------------

def test_portal_shows_quotes_orders_tickets_and_surveys_without_signing_in(as_seller, seller, make_customer,
                                                                            sent_quote, open_ticket, app):
    ana = make_customer("Ana García", email="ana@example.com", language="en")
    sent_quote(ana, seller)
    ticket_id = open_ticket(ana, title="Squeaky brake")
    with app.app_context():
        db.session.add(Survey(customer_id=ana.id))
        db.session.commit()
    other = make_customer("Otro Cliente")
    open_ticket(other, title="Not Ana's ticket")
    path = portal_path(as_seller, ana.id)
    assert "Their quotations, orders, tickets and surveys" in text_of(as_seller.get(f"/customers/{ana.id}"))

    visitor = app.test_client()
    response = visitor.get(path)
    page = text_of(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Hello, Ana García" in page
    assert "Q-" in page and "Read and accept or decline" in page
    assert "Squeaky brake" in page and "Read and reply" in page and "Not Ana's ticket" not in page
    assert "Answer the survey" in page
    assert "Sign out" not in page


def test_portal_link_can_be_revoked_and_reissued(as_seller, make_customer, app):
    ana = make_customer("Ana García", email="ana@example.com")
    first = portal_path(as_seller, ana.id)
    visitor = app.test_client()
    assert visitor.get(first).status_code == 200
    second = portal_path(as_seller, ana.id)
    assert second != first and visitor.get(first).status_code == 404 and visitor.get(second).status_code == 200
    response = as_seller.post(f"/mail/customer/{ana.id}/portal", data={"action": "revoke"}, follow_redirects=True)
    assert "no longer works" in text_of(response)
    assert visitor.get(second).status_code == 404
    assert visitor.get("/p/" + "x" * 80).status_code == 404


def test_portal_link_is_emailed_on_request(as_seller, make_customer, app):
    ana = make_customer("Ana García", email="ana@example.com")
    path = portal_path(as_seller, ana.id)
    response = as_seller.post(f"/mail/customer/{ana.id}/portal", data={"action": "email"}, follow_redirects=True)
    assert "Email sent to ana@example.com." in text_of(response)
    with app.app_context():
        assert path in db.session.scalar(select(OutgoingEmail.body))


def test_portal_link_needs_a_signed_in_user_to_manage(client, make_customer):
    ana = make_customer("Ana García")
    response = client.post(f"/mail/customer/{ana.id}/portal", data={"action": "issue"})
    # A POST is answered with a 303 (the browser then GETs): to sign in, with what was sent kept for after.
    assert response.status_code == 303 and urlsplit(response.location).path == "/login"
    assert parse_qs(urlsplit(response.location).query)["next"][0].startswith("/drafts/")


# --- Email in -------------------------------------------------------------------------------------------------

@pytest.fixture
def mailbox(app, monkeypatch):
    server = IMAPServer()
    for key, value in {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": server.port, "IMAP_TLS": "none",
                       "IMAP_USER": server.user, "IMAP_PASSWORD": server.password, "IMAP_FOLDER": "INBOX"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


def email_from(sender, subject, body):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "taller@ruedalibre.example", subject
    message["Message-ID"] = make_msgid(domain="example.com")
    message.set_content(body)
    return message.as_bytes()


def test_reply_to_a_ticket_email_joins_the_ticket_thread(client, support, make_customer, open_ticket, app, mailbox,
                                                         runner):
    login(client, support)
    luis = make_customer("Luis Pérez", email="luis@example.com", language="en")
    ticket_id = open_ticket(luis)
    client.post(f"/mail/ticket/{ticket_id}")
    with app.app_context():
        subject = db.session.scalar(select(OutgoingEmail.subject))
    mailbox.deliver(email_from("Luis Pérez <Luis@Example.com>", "Re: " + subject,
                               "Monday is fine, thanks!\n\nOn Tue, the shop wrote:\n> The part arrives on Monday."))

    result = runner.invoke(args=["read-mail"])
    assert result.exit_code == 0, result.output
    assert "Read 1: 1 ticket replies" in result.output
    assert mailbox.unseen() == []                    # marked read on the server once stored
    page = text_of(client.get(f"/support/tickets/{ticket_id}"))
    assert "From the customer" in page and "Monday is fine, thanks!" in page
    assert "The part arrives on Monday." not in page  # the quoted earlier message is left out
    assert "Email received: Re: Your ticket" in text_of(client.get(f"/customers/{luis.id}"))

    # Read again (say the server lost the Seen flag): stored once.
    with app.app_context():
        from sales.messaging.inbound import take_in

        raw = email_from("luis@example.com", "Again", "Same")
        assert take_in(raw) == "customer" and take_in(raw) == "duplicate"
        db.session.rollback()


def test_a_forged_ticket_tag_does_not_reach_the_ticket(app, make_customer, open_ticket, mailbox, runner):
    luis = make_customer("Luis Pérez", email="luis@example.com")
    ticket_id = open_ticket(luis)
    with app.app_context():
        number = db.session.get(Ticket, ticket_id).number
    mailbox.deliver(email_from("luis@example.com", f"Re: [{number}:000000000000]", "Trying my luck"))
    result = runner.invoke(args=["read-mail"])
    assert "0 ticket replies, 1 from customers" in result.output
    with app.app_context():
        assert db.session.scalar(select(TicketMessage.id)) is None


def test_known_customer_lands_on_the_timeline_and_a_stranger_becomes_a_lead(as_seller, owner, make_customer, app,
                                                                            mailbox, runner):
    ana = make_customer("Ana García", email="ana@example.com")
    mailbox.deliver(email_from("ana@example.com", "Do you have the blue helmet?", "Size M, please."))
    mailbox.deliver(email_from("Marta Nueva <marta@example.org>", "Price of a gravel bike", "For my son."))
    result = runner.invoke(args=["read-mail"])
    assert "Read 2: 0 ticket replies, 1 from customers, 1 new leads" in result.output
    timeline = text_of(as_seller.get(f"/customers/{ana.id}"))
    assert "Email received: Do you have the blue helmet?" in timeline and "Size M, please." in timeline
    with app.app_context():
        lead = db.session.scalars(select(Lead)).one()
        assert (lead.source, lead.title, lead.customer.name, lead.customer.email) == (
            "email", "Price of a gravel bike", "Marta Nueva", "marta@example.org")
    boss = app.test_client()
    login(boss, owner)                      # an unassigned lead: the owner's list shows it
    assert "Price of a gravel bike" in text_of(boss.get("/leads/"))


def test_mailbox_refusing_the_login_is_a_clear_message_and_nothing_is_lost(app, mailbox, runner, monkeypatch):
    mailbox.deliver(email_from("ana@example.com", "Hello", "Body"))
    monkeypatch.setitem(app.config, "IMAP_PASSWORD", "wrong")
    result = runner.invoke(args=["read-mail"])
    assert result.exit_code != 0 and "Could not read the mailbox" in result.output
    assert "Traceback" not in result.output
    assert len(mailbox.unseen()) == 1


def test_mailbox_down_is_a_clear_message(app, runner, monkeypatch):
    from tests.mail_servers import free_port

    monkeypatch.setitem(app.config, "IMAP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "IMAP_PORT", free_port())
    monkeypatch.setitem(app.config, "IMAP_TLS", "none")
    result = runner.invoke(args=["read-mail"])
    assert result.exit_code != 0 and "Could not read the mailbox" in result.output


def test_read_mail_without_a_mailbox_says_so_in_one_line_and_succeeds(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMAP_HOST", None)
    result = runner.invoke(args=["read-mail"])
    assert result.exit_code == 0
    assert result.output.strip().splitlines() == ["Reading mail is off: IMAP_HOST is not set. Nothing to do."]


def test_a_cron_command_that_breaks_exits_non_zero_with_one_line(runner, app, monkeypatch):
    from sales.messaging import outbox

    def broken(limit=100):
        raise RuntimeError("disk full\nsecond line")

    monkeypatch.setattr(outbox, "drain_queue", broken)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: send-mail failed: RuntimeError: disk full second line"]
