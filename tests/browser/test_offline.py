"""The tablet loses its connection: what was typed is kept, what was saved is sent once the connection returns.

Playwright's offline mode cuts the network as a dropped Wi-Fi would (navigator.onLine turns false, requests fail).
"""
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from extensions import db
from models import ContactLog, TicketMessage
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, base, user):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def count(app, model, **where):
    with app.app_context():
        statement = select(func.count()).select_from(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return db.session.scalar(statement)


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, locale="en-GB")
    yield context
    context.close()


def test_a_contact_saved_offline_waits_and_is_stored_once_when_back(tablet, live_server, app, seller, make_customer):
    customer = make_customer("Ana García")
    page = tablet.new_page()
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/leads/contacts/new/{customer.id}")
    tablet.set_offline(True)
    page.get_by_label("Goal").fill("Show her the cargo bike")
    page.get_by_role("button", name="Save").click()
    outbox = page.locator("#outbox")
    expect(outbox).to_contain_text("1 waiting to send")
    expect(outbox).to_contain_text("Contact with Ana García")
    expect(page.get_by_label("Goal")).to_have_value("")  # the form is free for the next one
    page.get_by_label("Goal").fill("Call back about the price")
    page.get_by_role("button", name="Save").click()
    expect(outbox).to_contain_text("2 waiting to send")
    assert count(app, ContactLog) == 0

    waiting = page.evaluate("JSON.stringify(Object.entries(localStorage).filter(([k]) => k.startsWith('mostrador:outbox:')))")

    tablet.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # what the browser fires when Wi-Fi returns
    expect(outbox).to_contain_text("Sent: Contact with Ana García")
    expect(outbox).not_to_contain_text("waiting to send")
    assert count(app, ContactLog, goal="Show her the cargo bike") == 1
    assert count(app, ContactLog, goal="Call back about the price") == 1

    # Both sent again (as after an answer that never reached the tablet): each key is found, nothing doubles.
    page.evaluate("(entries) => JSON.parse(entries).forEach(([k, v]) => localStorage.setItem(k, v))", waiting)
    page.reload()
    expect(page.locator("#outbox")).to_contain_text("Sent: Contact with Ana García")
    expect(page.locator("#outbox")).not_to_contain_text("waiting to send")
    assert count(app, ContactLog) == 2


def test_a_ticket_note_saved_offline_is_sent_after_a_reload(tablet, live_server, app, make_user, make_customer):
    from models import Customer
    from sales.support import rules

    support = make_user("support")
    customer = make_customer("Luis Pérez")
    with app.app_context():
        ticket = rules.open_ticket(db.session.get(Customer, customer.id), title="Wheel out of true")
        db.session.commit()
        ticket_id = ticket.id
    page = tablet.new_page()
    sign_in(page, live_server, support)
    page.goto(f"{live_server}/support/tickets/{ticket_id}")
    tablet.set_offline(True)
    page.locator("#conversation").get_by_label("Message").fill("Spoke 14 replaced, trued")
    page.locator("#conversation").get_by_role("button", name="Add").click()
    expect(page.locator("#outbox")).to_contain_text("1 waiting to send")
    tablet.set_offline(False)
    # The page came back later: what waits is sent on load — or already went when the network came back, just
    # before the reload (the "Sent" line then showed on the page the reload replaced). Either way: once.
    page.reload()
    expect(page.locator("#outbox")).not_to_contain_text("waiting to send")
    deadline = time.monotonic() + 15
    while count(app, TicketMessage, body="Spoke 14 replaced, trued") == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    page.reload()
    expect(page.locator("#conversation")).to_contain_text("Spoke 14 replaced, trued")
    assert count(app, TicketMessage, body="Spoke 14 replaced, trued") == 1


def test_a_ticket_photo_taken_offline_is_sent_once_when_back(tablet, live_server, app, make_user, make_customer):
    from models import Attachment, Customer
    from sales.support import rules
    from tests.test_support import PNG

    support = make_user("support")
    customer = make_customer("Marta Gil")
    with app.app_context():
        ticket = rules.open_ticket(db.session.get(Customer, customer.id), title="Cracked frame")
        db.session.commit()
        ticket_id = ticket.id
    page = tablet.new_page()
    sign_in(page, live_server, support)
    page.goto(f"{live_server}/support/tickets/{ticket_id}")
    tablet.set_offline(True)
    photos = page.locator("#photos")
    photos.get_by_label("Photo").set_input_files(files=[{"name": "frame.png", "mimeType": "image/png",
                                                         "buffer": PNG}])
    photos.get_by_role("button", name="Attach the photo").click()
    outbox = page.locator("#outbox")
    expect(outbox).to_contain_text("1 waiting to send")
    expect(outbox).to_contain_text("Photo on ticket")
    assert count(app, Attachment) == 0
    waiting = page.evaluate("JSON.stringify(Object.entries(localStorage).filter(([k]) => k.startsWith('mostrador:outbox:')))")

    tablet.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(outbox).to_contain_text("Sent: Photo on ticket")
    assert count(app, Attachment, ticket_id=ticket_id) == 1
    # Sent again (an answer that never reached the tablet): the key is found, no second photo. The file itself
    # went from the device's store once sent, so the copy goes without it and is still recognised.
    page.evaluate("(entries) => JSON.parse(entries).forEach(([k, v]) => localStorage.setItem(k, v))", waiting)
    page.reload()
    expect(page.locator("#outbox")).to_contain_text("Sent: Photo on ticket")
    expect(page.locator("#outbox")).not_to_contain_text("waiting to send")
    assert count(app, Attachment, ticket_id=ticket_id) == 1


def test_typed_text_is_offered_back_after_a_reload_and_forgotten_on_sign_out(tablet, live_server, seller,
                                                                               make_customer):
    customer = make_customer("Ana García")
    page = tablet.new_page()
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/customers/{customer.id}/edit")
    page.get_by_label("Notes").fill("Prefers calls after 18:00")
    page.wait_for_timeout(600)  # the draft is written a moment after typing stops
    page.reload()
    offer = page.locator(".draft-offer")
    expect(offer).to_contain_text("You typed something here")
    expect(page.get_by_label("Notes")).not_to_have_value("Prefers calls after 18:00")
    offer.get_by_role("button", name="Put it back").click()
    expect(page.get_by_label("Notes")).to_have_value("Prefers calls after 18:00")

    # Saved: the draft is gone.
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto(f"{live_server}/customers/{customer.id}/edit")
    expect(page.locator(".draft-offer")).to_have_count(0)

    # Typed, not saved, then signed out: the next person on this tablet finds nothing.
    page.get_by_label("Notes").fill("Private remark")
    page.wait_for_timeout(600)
    assert page.evaluate("Object.keys(localStorage).some(k => k.startsWith('mostrador:draft:'))")
    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login"))
    assert not page.evaluate("Object.keys(localStorage).some(k => k.startsWith('mostrador:draft:'))")


def test_password_fields_are_never_kept(tablet, live_server, seller):
    page = tablet.new_page()
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/account")
    for field in page.locator("input[type=password]").all():
        field.fill("my secret words")
    page.locator("input[type=password]").last.press("Tab")
    page.wait_for_timeout(600)
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert "my secret words" not in stored
