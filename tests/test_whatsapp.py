"""WhatsApp: a click-to-chat link beside every phone number, and Meta's Cloud API webhook filing incoming
messages on the customer's timeline, checked with payloads shaped like Meta's documented examples and signed
with the app secret as Meta signs them."""
import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from extensions import db
from models import ContactLog, Customer, Lead, WhatsAppMessage
from sales.connect.whatsapp import international_digits
from tests.conftest import login, text_of

APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "the-token-typed-at-meta"


@pytest.fixture
def whatsapp_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WHATSAPP_APP_SECRET", APP_SECRET)
    monkeypatch.setitem(app.config, "WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
    monkeypatch.setitem(app.config, "WHATSAPP_COUNTRY_CODE", "34")


def payload(messages, contacts):
    """A webhook body as Meta documents it for incoming messages (Cloud API, `messages` field)."""
    return {"object": "whatsapp_business_account", "entry": [{
        "id": "102290129340398",
        "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id} for wa_id, name in contacts],
            "messages": messages}}]}]}


def text_message(wamid, number, body, timestamp="1764633600"):
    return {"from": number, "id": wamid, "timestamp": timestamp, "type": "text", "text": {"body": body}}


def post_signed(client, body, secret=APP_SECRET):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/hooks/whatsapp", data=raw, content_type="application/json",
                       headers={"X-Hub-Signature-256": signature})


@pytest.mark.parametrize("typed, expected", [
    ("600 123 456", "34600123456"), ("+34 600-123-456", "34600123456"), ("0034 600 123 456", "34600123456"),
    ("+91 98765 43210", "919876543210"), ("06 1234 5678", "34612345678"), ("12", None), ("", None)])
def test_numbers_become_international_digits(app, typed, expected):
    with app.app_context():
        assert international_digits(typed, "34") == expected


def test_every_phone_number_on_the_customer_page_offers_a_whatsapp_chat(as_seller, make_customer):
    ana = make_customer("Ana García", mobile="600 123 456", phone="+44 20 7946 0958")
    html = as_seller.get(f"/customers/{ana.id}").get_data(as_text=True)
    assert 'href="https://wa.me/34600123456"' in html and 'href="https://wa.me/442079460958"' in html
    assert 'href="tel:+34600123456"' in html and "600 12 34 56" in html   # E.164 to dial, national to read


def test_meta_verifies_the_url_with_the_verify_token(client, whatsapp_on):
    ok = client.get("/hooks/whatsapp", query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                                      "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    wrong = client.get("/hooks/whatsapp", query_string={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                                         "hub.challenge": "1"})
    assert wrong.status_code == 403


def test_without_settings_the_hook_does_not_exist(client):
    assert client.get("/hooks/whatsapp").status_code == 404
    assert client.post("/hooks/whatsapp", json={}).status_code == 404


def test_unsigned_or_wrongly_signed_deliveries_are_refused(client, whatsapp_on, app):
    body = payload([text_message("wamid.A", "34600123456", "hola")], [("34600123456", "Ana")])
    assert client.post("/hooks/whatsapp", json=body).status_code == 401
    assert post_signed(client, body, secret="someone-else").status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WhatsAppMessage)) == 0


def test_a_known_customer_gets_the_message_on_their_timeline_once(client, whatsapp_on, make_customer, seller, app):
    ana = make_customer("Ana García", mobile="600 123 456", owner_id=seller.id)
    make_customer("Someone Else", mobile="600 999 888")
    body = payload([text_message("wamid.HBgLMzQ2MDAxMjM0NTYVAgASGBQzQUZBMDk", "34600123456",
                                 "¿Tenéis la Orbea en talla M?")], [("34600123456", "Ana G.")])
    first = post_signed(client, body)
    assert first.status_code == 200 and first.json == {"customer": 1, "lead": 0, "duplicate": 0}
    # Meta retries a delivery it is unsure of: the same message is filed once.
    assert post_signed(client, body).json == {"customer": 0, "lead": 0, "duplicate": 1}
    with app.app_context():
        log = db.session.scalars(select(ContactLog)).one()
        assert (log.customer_id, log.channel, log.outcome) == (ana.id, "whatsapp", "¿Tenéis la Orbea en talla M?")
        assert log.happened_at.isoformat() == "2025-12-02T00:00:00"
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 2
    login(client, seller)
    page = text_of(client.get(f"/customers/{ana.id}"))
    assert "WhatsApp" in page and "¿Tenéis la Orbea en talla M?" in page


def test_an_unknown_number_becomes_a_customer_with_a_whatsapp_lead(client, whatsapp_on, app):
    photo = {"from": "919876543210", "id": "wamid.B2", "timestamp": "1764633660", "type": "image",
             "image": {"caption": "This one, in blue", "mime_type": "image/jpeg", "sha256": "x", "id": "1"}}
    body = payload([text_message("wamid.B1", "919876543210", "Namaste, price of the e-bike?"), photo],
                   [("919876543210", "Priya Sharma")])
    response = post_signed(client, body)
    assert response.json == {"customer": 1, "lead": 1, "duplicate": 0}
    with app.app_context():
        customer = db.session.scalars(select(Customer)).one()
        assert (customer.name, customer.mobile) == ("Priya Sharma", "+919876543210")
        lead = db.session.scalars(select(Lead)).one()
        assert (lead.customer_id, lead.source, lead.stage.kind) == (customer.id, "whatsapp", "open")
        outcomes = db.session.scalars(select(ContactLog.outcome).order_by(ContactLog.happened_at)).all()
        assert outcomes == ["Namaste, price of the e-bike?", "Sent a photo: This one, in blue"]
        # The second message found the customer the first one created, and the lead it is about.
        assert set(db.session.scalars(select(ContactLog.lead_id))) == {lead.id}


def test_status_updates_and_odd_payloads_are_accepted_without_filing_anything(client, whatsapp_on, app):
    statuses = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
                "value": {"messaging_product": "whatsapp", "statuses": [{"id": "wamid.X", "status": "delivered"}]}}]}]}
    assert post_signed(client, statuses).status_code == 200
    assert post_signed(client, {"object": "page"}).status_code == 200
    assert post_signed(client, {"object": "whatsapp_business_account", "entry": "nonsense"}).status_code == 200
    raw = b"not json"
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert client.post("/hooks/whatsapp", data=raw, headers={"X-Hub-Signature-256": signature}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContactLog)) == 0
