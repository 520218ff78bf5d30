"""Email out: the outbox, the local backend, the real SMTP wire (aiosmtpd), a server that is down or refuses the
login, a refused recipient; send buttons on quote, ticket, survey and set-password link; the email timeline;
quick-logged calls and chats."""
import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from extensions import db
from models import ContactLog, Customer, OutgoingEmail, Ticket
from sales.messaging import outbox
from tests.conftest import login, text_of
from tests.mail_servers import SMTPServer, free_port


# --- Factories -------------------------------------------------------------------------------------------------

@pytest.fixture
def open_ticket(app):
    def make(customer, title="Squeaky brake"):
        from sales.support import rules

        with app.test_request_context():
            ticket = rules.open_ticket(db.session.get(Customer, customer.id), title=title)
            db.session.commit()
            return ticket.id

    return make


def all_emails(app):
    with app.app_context():
        rows = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


# --- The local backend: what tests and development see ----------------------------------------------------

def test_local_backend_is_the_default_without_a_mail_host(app):
    assert app.config["MAIL_BACKEND"] == "local"


def test_quote_is_emailed_with_its_pdf_and_link_and_lands_on_the_timeline(as_seller, seller, make_customer,
                                                                          sent_quote, app):
    ana = make_customer("Ana García", email="ana@example.com", language="en")
    quote_id = sent_quote(ana, seller)
    page = as_seller.get(f"/quotes/{quote_id}")
    assert "Email it to the customer (PDF and link)" in text_of(page)

    response = as_seller.post(f"/mail/quote/{quote_id}")
    assert response.status_code == 303 and response.location.endswith(f"/quotes/{quote_id}")
    assert "Email sent to ana@example.com." in text_of(as_seller.get(response.location))

    (email,) = all_emails(app)
    assert (email.status, email.about, email.to_address, email.attempts) == ("sent", "quote", "ana@example.com", 1)
    message = message_from_bytes(email.raw, policy=policy.default)
    assert message["Subject"].startswith("Quotation Q-")
    pdf = next(message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    # The attachment is the document kept for the sent revision: what the seller downloads is the same file.
    assert as_seller.get(f"/quotes/{quote_id}/r/1.pdf").data == pdf.get_content()
    link = re.search(r"http://localhost(/quotes/q/\S+)", message.get_body(("plain",)).get_content()).group(1)
    assert "Accept the quotation" in text_of(as_seller.application.test_client().get(link))

    timeline = text_of(as_seller.get(f"/customers/{ana.id}"))
    assert "Email sent: Quotation Q-" in timeline


def test_a_draft_quote_is_not_emailed_and_a_customer_without_address_is_told(as_seller, seller, make_customer,
                                                                             sent_quote, app):
    nobody = make_customer("Sin Correo")
    quote_id = sent_quote(nobody, seller)
    response = as_seller.post(f"/mail/quote/{quote_id}", follow_redirects=True)
    assert "Sin Correo has no email address" in text_of(response)
    assert all_emails(app) == []


def test_ticket_reply_is_emailed_with_the_reply_tag(client, support, make_customer, open_ticket, app):
    login(client, support)
    customer = make_customer("Luis Pérez", email="luis@example.com")
    ticket_id = open_ticket(customer)
    client.post(f"/support/tickets/{ticket_id}/messages", data={"body": "The part arrives on Monday.",
                                                                "visibility": "public"})
    response = client.post(f"/mail/ticket/{ticket_id}", follow_redirects=True)
    assert "Email sent to luis@example.com." in text_of(response)
    (email,) = all_emails(app)
    assert re.search(r"\[T-\d{5}:[0-9a-f]{12}\]", email.subject)
    assert "The part arrives on Monday." in email.body and f"/support/t/" in email.body


def test_survey_invitation_is_emailed(client, support, make_customer, open_ticket, app):
    login(client, support)
    customer = make_customer("Luis Pérez", email="luis@example.com")
    ticket_id = open_ticket(customer)
    with app.test_request_context():
        from sales.support.rules import survey_for_ticket

        survey = survey_for_ticket(db.session.get(Ticket, ticket_id))
        db.session.commit()
        survey_id, token = survey.id, survey.token
    response = client.post(f"/mail/survey/{survey_id}", follow_redirects=True)
    assert "Email sent to luis@example.com." in text_of(response)
    (email,) = all_emails(app)
    assert email.about == "survey" and f"/support/survey/{token}" in email.body


def test_set_password_link_is_emailed_to_the_new_user(as_owner, make_user, app):
    newcomer = make_user("seller", name="Nuevo", email="nuevo@shop.example", password=None)
    page = as_owner.get(f"/users/{newcomer.id}?link=1")
    assert "Email the link to nuevo@shop.example" in text_of(page)
    response = as_owner.post(f"/mail/user/{newcomer.id}/password-link", follow_redirects=True)
    assert "Email sent to nuevo@shop.example." in text_of(response)
    (email,) = all_emails(app)
    path = re.search(r"http://localhost(/\S*set-password\S*|/\S+)", email.body).group(1)
    anonymous = as_owner.application.test_client()
    assert "password" in text_of(anonymous.get(path)).lower()


def test_only_the_owner_emails_set_password_links(as_seller, seller):
    assert as_seller.post(f"/mail/user/{seller.id}/password-link").status_code == 403


# --- The real SMTP wire -------------------------------------------------------------------------------------

def test_a_quote_goes_over_real_smtp_with_login(as_seller, seller, make_customer, sent_quote, smtp_settings, app):
    ana = make_customer("Ana García", email="ana@example.com", language="en")
    quote_id = sent_quote(ana, seller)
    with SMTPServer(user="shop", password="smtp secret") as server:
        smtp_settings(server.port, "shop", "smtp secret")
        response = as_seller.post(f"/mail/quote/{quote_id}", follow_redirects=True)
        assert "Email sent to ana@example.com." in text_of(response)
    (envelope,) = server.messages
    assert envelope.rcpt_tos == ["ana@example.com"] and envelope.mail_from == "shop@ruedalibre.example"
    received = message_from_bytes(envelope.original_content, policy=policy.default)
    assert received["Subject"].startswith("Quotation Q-")
    assert next(received.iter_attachments()).get_filename().endswith(".pdf")
    assert all_emails(app)[0].status == "sent"


def test_server_down_keeps_the_email_queued_says_so_and_retry_sends_it(as_seller, seller, make_customer,
                                                                       sent_quote, smtp_settings, app):
    ana = make_customer("Ana García", email="ana@example.com")
    quote_id = sent_quote(ana, seller)
    port = free_port()                   # nothing listens here yet
    smtp_settings(port)
    response = as_seller.post(f"/mail/quote/{quote_id}", follow_redirects=True)
    assert response.status_code == 200
    page = text_of(response)
    assert "The mail server is not answering" in page and "kept in the outbox" in page
    assert "Not sent yet, waiting in the outbox (1 tries)" in page and "Retry now" in page
    (email,) = all_emails(app)
    assert email.status == "queued" and email.attempts == 1 and email.last_error

    with SMTPServer(port=port) as server:       # the server is back, at the same address
        response = as_seller.post(f"/mail/{email.id}/retry", data={"next": f"/quotes/{quote_id}"})
        assert response.location.endswith(f"/quotes/{quote_id}")
    assert len(server.messages) == 1
    email = all_emails(app)[0]
    assert email.status == "sent" and email.attempts == 2 and email.last_error is None
    assert "waiting in the outbox" not in text_of(as_seller.get(f"/quotes/{quote_id}"))


def test_a_refused_login_keeps_the_email_queued(as_seller, seller, make_customer, sent_quote, smtp_settings, app):
    ana = make_customer("Ana García", email="ana@example.com")
    quote_id = sent_quote(ana, seller)
    with SMTPServer(user="shop", password="right") as server:
        smtp_settings(server.port, "shop", "wrong")
        response = as_seller.post(f"/mail/quote/{quote_id}", follow_redirects=True)
    assert response.status_code == 200 and "The mail server is not answering (535" in text_of(response)
    assert server.messages == []
    assert all_emails(app)[0].status == "queued"


def test_a_refused_recipient_is_marked_failed_not_retried_forever(client, owner, make_customer, smtp_settings, app):
    login(client, owner)
    with app.test_request_context():
        outbox.enqueue("ghost@nowhere.example", "Hello", "Body")
        outbox.enqueue("ana@example.com", "Hello", "Body")
        db.session.commit()
    with SMTPServer() as server:
        smtp_settings(server.port)
        with app.app_context():
            result = outbox.drain_queue()
    assert (result.sent, result.refused) == (1, 1)
    ghost, ana = all_emails(app)
    assert ghost.status == "failed" and "550" in ghost.last_error and ana.status == "sent"
    assert [m.rcpt_tos for m in server.messages] == [["ana@example.com"]]
    assert "ghost@nowhere.example" in text_of(client.get("/mail/outbox?view=failed"))


def test_cron_command_drains_the_queue_and_reports_a_server_down(app, runner, smtp_settings):
    with app.app_context():
        outbox.enqueue("ana@example.com", "One", "Body")
        outbox.enqueue("luis@example.com", "Two", "Body")
        db.session.commit()
    smtp_settings(free_port())
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code != 0 and "stay queued for the next run" in result.output
    assert [e.status for e in all_emails(app)] == ["queued", "queued"]
    with SMTPServer() as server:
        smtp_settings(server.port)
        result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and "Sent 2, refused 0." in result.output
    assert len(server.messages) == 2


# --- The outbox page ----------------------------------------------------------------------------------------

def test_outbox_lists_waiting_emails_and_sends_them(as_owner, app, count_queries):
    with app.test_request_context():
        for n in range(5):
            outbox.enqueue(f"c{n}@example.com", f"Hello {n}", "Body")
        db.session.commit()
    with count_queries() as queries:
        page = as_owner.get("/mail/outbox")
    assert "Waiting (5)" in text_of(page) and "c4@example.com" in text_of(page)
    assert len(queries) <= 8
    fragment = as_owner.get("/mail/outbox", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "c4@example.com" in text_of(fragment)
    response = as_owner.post("/mail/outbox/send", follow_redirects=True)
    assert "5 sent, 0 refused by the server." in text_of(response)
    assert "Sent emails (5)" in text_of(response)


def test_owner_checks_the_mail_settings_with_a_test_email(as_owner, owner, smtp_settings, app):
    smtp_settings(free_port())                      # a wrong port: nothing listens there
    page = text_of(as_owner.post("/mail/outbox/test", follow_redirects=True))
    assert "The mail server is not answering" in page and "Waiting (1)" in page
    with SMTPServer() as server:
        smtp_settings(server.port)
        assert "Sending through 127.0.0.1" in text_of(as_owner.get("/mail/outbox"))
        page = text_of(as_owner.post("/mail/outbox/test", follow_redirects=True))
    assert f"Email sent to {owner.email}." in page
    assert [m.rcpt_tos for m in server.messages] == [[owner.email]]


def test_outbox_is_the_owners(as_seller):
    assert as_seller.get("/mail/outbox").status_code == 403


def test_a_seller_cannot_retry_someone_elses_email(as_seller, app, owner):
    with app.app_context():
        email = outbox.enqueue("ana@example.com", "Hello", "Body", created_by_id=owner.id)
        db.session.commit()
        email_id = email.id
    assert as_seller.post(f"/mail/{email_id}/retry").status_code == 404


# --- Quick log: a call or a chat, one tap and a note ------------------------------------------------------

@pytest.mark.parametrize("channel, label", [("call", "Call from the customer"),
                                            ("chat", "Chat message from the customer"),
                                            ("whatsapp", "They wrote on WhatsApp")])
def test_quick_log_puts_a_call_or_chat_on_the_timeline(as_seller, make_customer, app, channel, label):
    ana = make_customer("Ana García")
    page = as_seller.get(f"/customers/{ana.id}")
    assert "They called" in text_of(page) and "They wrote (chat)" in text_of(page)
    assert "They wrote on WhatsApp" in text_of(page)
    form = as_seller.get(f"/mail/customer/{ana.id}/log/{channel}")
    assert label in text_of(form)
    assert "<html" not in as_seller.get(f"/mail/customer/{ana.id}/log/{channel}",
                                        headers={"HX-Request": "true"}).get_data(as_text=True)
    empty = as_seller.post(f"/mail/customer/{ana.id}/log/{channel}", data={"note": " "})
    assert empty.status_code == 422 and "Write a word or two." in text_of(empty)
    response = as_seller.post(f"/mail/customer/{ana.id}/log/{channel}", data={"note": "Asks about the brakes"})
    assert response.status_code == 303
    timeline = text_of(as_seller.get(f"/customers/{ana.id}"))
    assert "Asks about the brakes" in timeline
    with app.app_context():
        assert db.session.scalar(select(ContactLog.channel)) == channel


def test_quick_log_of_an_unknown_customer_is_404(as_seller):
    assert as_seller.get("/mail/customer/999/log/call").status_code == 404
    assert as_seller.get("/mail/customer/1/log/fax").status_code == 404


# --- Who may do what ----------------------------------------------------------------------------------------

ROLE_CASES = [
    # (method, url, role, allowed)
    ("GET", "/mail/outbox", "owner", True), ("GET", "/mail/outbox", "seller", False),
    ("GET", "/mail/outbox", "support", False), ("POST", "/mail/outbox/send", "seller", False),
    ("GET", "/mail/campaigns/", "owner", True), ("GET", "/mail/campaigns/", "seller", True),
    ("GET", "/mail/campaigns/", "support", False), ("GET", "/mail/campaigns/new", "support", False),
    ("POST", "/mail/quote/{quote}", "support", False), ("POST", "/mail/ticket/{ticket}", "seller", False),
    ("POST", "/mail/user/{user}/password-link", "support", False),
    ("GET", "/mail/customer/{customer}/log/call", "support", True),
    # The portal opens the seller's quotation: only who may change it hands the link out (issue 14, H3).
    ("POST", "/mail/customer/{customer}/portal", "support", False),
    ("POST", "/mail/customer/{customer}/consent", "support", True),
]


@pytest.mark.parametrize("method, url, role, allowed", ROLE_CASES)
def test_roles_are_enforced_on_the_server(client, make_user, make_customer, sent_quote, open_ticket, method, url,
                                          role, allowed):
    seller = make_user("seller")
    customer = make_customer("Ana García", email="ana@example.com")
    ids = {"quote": sent_quote(customer, seller), "ticket": open_ticket(customer), "user": seller.id,
           "customer": customer.id}
    login(client, make_user(role))
    response = client.open(url.format(**ids), method=method)
    assert (response.status_code != 403) == allowed, (method, url, role, response.status_code)
