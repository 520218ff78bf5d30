"""Every email is readable: a page per email, from the outbox and the customer's timeline, with what went out
(subject, body, attached files), to whom, when and how it went; read by whoever may see what it is about."""
import re
from email import message_from_bytes, policy

from sqlalchemy import select

from extensions import db
from models import OutgoingEmail
from tests.conftest import login, text_of


def _the_email(app):
    with app.app_context():
        email = db.session.scalars(select(OutgoingEmail)).one()
        message = message_from_bytes(email.raw, policy=policy.default)
        files = [(part.get_filename(), len(part.get_payload(decode=True))) for part in message.iter_attachments()]
        return email.id, email.subject, email.to_address, email.body, files


def test_a_sent_quote_email_is_read_whole_from_the_timeline_and_the_outbox(client, app, owner, seller,
                                                                           make_customer, sent_quote):  # noqa: F811
    ana = make_customer("Ana García", email="ana@example.com")
    quote_id = sent_quote(ana, seller)
    login(client, seller)
    assert client.post(f"/mail/quote/{quote_id}").status_code == 303
    email_id, subject, to_address, body, files = _the_email(app)
    timeline = client.get(f"/customers/{ana.id}").get_data(as_text=True)
    assert f'href="/mail/{email_id}"' in timeline
    page = text_of(client.get(f"/mail/{email_id}"))
    assert subject in page and f"Recipient {to_address}" in page and "Status Sent" in page
    assert " ".join(body.split()) in page                    # the seller sent it: the link is theirs to read
    (filename, size), = files
    assert filename.endswith(".pdf") and f"{filename} · application/pdf · {size / 1024:.1f} KB" in page
    number = re.search(r"Q-\d{4}-\d{4}", subject).group(0)
    assert f"About {number}" in page                          # back to the quote it was sent from
    other = app.test_client()
    login(other, owner)
    assert f'href="/mail/{email_id}"' in other.get("/mail/outbox?view=sent").get_data(as_text=True)
    assert subject in text_of(other.get(f"/mail/{email_id}"))


def test_who_may_not_use_the_quote_s_link_reads_the_email_without_it(client, app, seller, make_user,
                                                                    make_customer, sent_quote):  # noqa: F811
    ana = make_customer("Ana García", email="ana@example.com")
    quote_id = sent_quote(ana, seller)
    sender = app.test_client()
    login(sender, seller)
    sender.post(f"/mail/quote/{quote_id}")
    email_id, _subject, _to, body, _files = _the_email(app)
    assert re.search(r"https?://", body)
    login(client, make_user("support"))
    page = text_of(client.get(f"/mail/{email_id}"))
    assert "[link hidden]" in page and not re.search(r"https?://\S+/quotes/q/", page)
    colleague = app.test_client()
    login(colleague, make_user("seller", name="Otra Vendedora"))
    assert colleague.get(f"/mail/{email_id}").status_code == 404
    assert client.get("/mail/999999").status_code == 404


def test_a_refused_email_says_why_and_offers_a_retry(client, app, owner, make_customer):
    from sales.messaging.outbox import enqueue

    customer = make_customer("Ana García", email="ana@example.com")
    with app.test_request_context():
        email = enqueue("ana@example.com", "Revisión anual", "Hola Ana,\nToca la revisión.",
                        customer_id=customer.id, created_by_id=owner.id)
        email.status, email.attempts, email.last_error = "failed", 1, "550 No such user"
        db.session.commit()
        email_id = email.id
    login(client, owner)
    response = client.get(f"/mail/{email_id}")
    page = text_of(response)
    assert "Status Refused by the mail server 550 No such user" in page
    assert "Hola Ana, Toca la revisión." in page and "No files were attached." in page
    assert f'action="/mail/{email_id}/retry"' in response.get_data(as_text=True)
    fragment = client.get(f"/mail/{email_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Revisión anual" in fragment and "<html" not in fragment


def test_an_attached_file_downloads_as_it_went_out(client, app, seller, make_user, make_customer,
                                                  sent_quote):  # noqa: F811
    ana = make_customer("Ana García", email="ana@example.com")
    quote_id = sent_quote(ana, seller)
    login(client, seller)
    client.post(f"/mail/quote/{quote_id}")
    email_id, _subject, _to, _body, ((filename, size),) = _the_email(app)
    assert f'href="/mail/{email_id}/files/1"' in client.get(f"/mail/{email_id}").get_data(as_text=True)
    download = client.get(f"/mail/{email_id}/files/1")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF") and len(download.data) == size
    assert f'filename={filename}' in download.headers["Content-Disposition"].replace('"', "")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/mail/{email_id}/files/2").status_code == 404
    colleague = app.test_client()
    login(colleague, make_user("seller", name="Otra Vendedora"))
    assert colleague.get(f"/mail/{email_id}/files/1").status_code == 404
