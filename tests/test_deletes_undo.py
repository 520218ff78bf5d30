"""Deletes that are not archiving — a ticket's billable line, a commission rule, a segment, a document, a
webhook — ask first (saying what goes) and can be undone for ten minutes, with what went with them.

Not undoable by design, and so not here: revoking an API token, ending a signed-in session and stopping or
renewing a calendar address (each is a revocation: a secret that worked must stop working at once, and
undoing would hand it back), and discarding a kept form draft (the person chose to throw it away)."""
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import CommissionRule, Document, Segment, TicketCharge, WebhookDelivery, WebhookEndpoint
from sales import clock
from tests.conftest import login, text_of


def _add(app, *rows):
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _undo_id(html):
    return int(re.search(r'action="/bulk/(\d+)/undo"', html).group(1))


def _delete_and_undo(app, client, url, model, record_id, question, done, back, restored):
    """The confirmation asks and changes nothing; Yes deletes and shows Undo; Undo puts it back."""
    asked = client.get(url)
    assert asked.status_code == 200 and question in text_of(asked)
    assert "You can undo it for ten minutes." in text_of(asked) and f'action="{url}"' in asked.get_data(as_text=True)
    assert _count(app, model, model.id == record_id) == 1
    deleted = client.post(url)
    assert deleted.status_code == 303 and deleted.location.startswith(back)
    assert _count(app, model, model.id == record_id) == 0
    page = client.get(deleted.location).get_data(as_text=True)
    assert done in text_of(client.get(deleted.location)) or done in page
    undone = client.post(f"/bulk/{_undo_id(page)}/undo", follow_redirects=True)
    assert restored in text_of(undone)
    assert _count(app, model, model.id == record_id) == 1


@pytest.fixture
def ticket_id(app, make_customer):
    from models import Customer
    from sales.support import rules

    customer = make_customer("Ana García")
    with app.app_context():
        ticket = rules.open_ticket(db.session.get(Customer, customer.id), title="Squeaky brake")
        db.session.commit()
        return ticket.id


def test_a_billable_line_is_asked_about_and_comes_back(app, client, owner, ticket_id):
    login(client, owner)
    (charge,) = _add(app, TicketCharge(ticket_id=ticket_id, kind="part", description="Brake pads",
                                       quantity=Decimal(1), unit_price=Decimal("12.50")))
    _delete_and_undo(app, client, f"/support/tickets/{ticket_id}/charges/{charge}/delete", TicketCharge, charge,
                     "Remove the line “Brake pads” from the billable work?", "Line “Brake pads” removed.",
                     f"/support/tickets/{ticket_id}", "Line “Brake pads” is back.")
    with app.app_context():
        assert db.session.get(TicketCharge, charge).unit_price == Decimal("12.50")


def test_a_commission_rule_comes_back(app, client, owner):
    login(client, owner)
    (rule,) = _add(app, CommissionRule(category="Parts", percent=Decimal("7.5")))
    _delete_and_undo(app, client, f"/manage/commissions/rules/{rule}/delete", CommissionRule, rule,
                     "Remove the commission rule Every seller · Parts · 7.5%?", "Commission rule",
                     "/manage/commissions", "Commission rule Every seller · Parts · 7.5% is back.")
    with app.app_context():
        back = db.session.get(CommissionRule, rule)
        assert (back.category, back.percent, back.seller_id) == ("Parts", Decimal("7.5"), None)
    assert "Parts" in text_of(client.get("/manage/commissions"))


def test_a_segment_comes_back_unless_its_name_was_taken(app, client, owner):
    login(client, owner)
    (segment,) = _add(app, Segment(name="Toledo", filters=json.dumps({"city": "Toledo"})))
    _delete_and_undo(app, client, f"/manage/segments/{segment}/delete", Segment, segment,
                     "Delete the segment “Toledo”?", "Segment “Toledo” deleted.", "/manage/segments",
                     "Segment “Toledo” is back.")
    page = client.post(f"/manage/segments/{segment}/delete", follow_redirects=True).get_data(as_text=True)
    _add(app, Segment(name="Toledo", filters="{}"))        # a new one with the same name meanwhile
    refused = client.post(f"/bulk/{_undo_id(page)}/undo", follow_redirects=True)
    assert "can no longer be undone" in text_of(refused)
    assert _count(app, Segment, Segment.name == "Toledo") == 1


def test_a_document_and_its_file_come_back(app, client, owner, make_customer):
    login(client, owner)
    customer = make_customer("Eva Pardo")
    (document,) = _add(app, Document(kind="plan", title="Garage plan", customer_id=customer.id, body="Two racks"))
    _delete_and_undo(app, client, f"/documents/{document}/delete", Document, document,
                     "Remove “Garage plan” from Eva Pardo?", "Garage plan removed.", f"/customers/{customer.id}",
                     "“Garage plan” is back.")
    assert "Garage plan" in text_of(client.get(f"/customers/{customer.id}"))


def test_a_webhook_comes_back_with_its_deliveries(app, client, owner):
    login(client, owner)
    (endpoint,) = _add(app, WebhookEndpoint(url="http://127.0.0.1:9/hook", secret="whsec_dGVzdA==", events=""))
    _add(app, *[WebhookDelivery(endpoint_id=endpoint, message_id=f"msg_{n}", event_type="lead.created",
                                payload="{}") for n in range(2)])
    asked = text_of(client.get(f"/settings/webhooks/{endpoint}/delete"))
    assert "its 2 deliveries go with it" in asked
    _delete_and_undo(app, client, f"/settings/webhooks/{endpoint}/delete", WebhookEndpoint, endpoint,
                     "Delete the webhook to http://127.0.0.1:9/hook?", "Webhook deleted", "/settings/webhooks",
                     "The webhook to http://127.0.0.1:9/hook is back, with its deliveries.")
    assert _count(app, WebhookDelivery, WebhookDelivery.endpoint_id == endpoint) == 2
    assert client.get(f"/settings/webhooks/{endpoint}/pause").status_code == 405


def test_undo_is_the_authors_once_and_for_ten_minutes(app, client, owner, make_user, monkeypatch):
    other_owner = make_user("owner", name="Otto Owner")
    login(client, owner)
    rules = _add(app, CommissionRule(percent=Decimal("5")), CommissionRule(percent=Decimal("6")))
    page = client.post(f"/manage/commissions/rules/{rules[0]}/delete", follow_redirects=True).get_data(as_text=True)
    action_id = _undo_id(page)
    client.post("/logout")
    login(client, other_owner)
    assert client.post(f"/bulk/{action_id}/undo").status_code == 404
    client.post("/logout")
    login(client, owner)
    assert client.post(f"/bulk/{action_id}/undo").status_code == 303
    again = client.post(f"/bulk/{action_id}/undo", follow_redirects=True)
    assert "can no longer be undone" in text_of(again)
    page = client.post(f"/manage/commissions/rules/{rules[1]}/delete", follow_redirects=True).get_data(as_text=True)
    later = clock.source() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(clock, "source", lambda: later)
    assert "can no longer be undone" in text_of(client.post(f"/bulk/{_undo_id(page)}/undo", follow_redirects=True))
    assert _count(app, CommissionRule, CommissionRule.id == rules[1]) == 0


def test_the_delete_needs_the_csrf_token_and_a_seller_cannot(app, client, owner, seller, monkeypatch):
    (rule,) = _add(app, CommissionRule(percent=Decimal("5")))
    login(client, seller)
    assert client.get(f"/manage/commissions/rules/{rule}/delete").status_code == 403
    assert client.post(f"/manage/commissions/rules/{rule}/delete").status_code == 403
    client.post("/logout")
    login(client, owner)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/manage/commissions/rules/{rule}/delete").status_code == 400
    assert _count(app, CommissionRule, CommissionRule.id == rule) == 1
