"""The customer portal by finger: the seller makes the customer's link and emails it; the customer opens it in a
fresh browser on a phone, accepts a quotation and replies to a ticket; the seller sees both."""
import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models import OutgoingEmail
from tests.browser.test_customers_flow import settled, sign_in
from tests.test_messaging import open_ticket  # noqa: F401  (fixture; sent_quote is in conftest)

pytestmark = pytest.mark.browser


def test_customer_accepts_a_quote_and_replies_to_a_ticket_from_the_portal(browser, page, live_server, app, owner,
                                                                          seller, make_customer, sent_quote,
                                                                          open_ticket):
    ana = make_customer("Ana García", email="ana@example.com", owner_id=seller.id, language="en")
    sent_quote(ana, seller)
    ticket_id = open_ticket(ana, title="Squeaky rear brake")

    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/customers/{ana.id}")
    page.get_by_role("button", name="Make a portal link").tap()
    expect(page.get_by_text("A new portal link for Ana García is ready")).to_be_visible()
    portal_link = page.get_by_label("Their quotations, orders, tickets and surveys, without an account:").input_value()
    assert re.search(r"/p/[\w-]{40,}$", portal_link)
    settled(page)
    page.get_by_role("button", name="✉ Email the link").tap()
    expect(page.get_by_text("Email sent to ana@example.com.")).to_be_visible()
    with app.app_context():
        assert portal_link.split("/p/")[1] in db.session.query(OutgoingEmail.body).scalar()

    customer = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, locale="en-GB")
    phone = customer.new_page()
    phone.goto(portal_link)
    expect(phone.get_by_role("heading", name="Hello, Ana García")).to_be_visible()
    quotes = phone.locator("#quotes")
    expect(quotes.get_by_text("Sent")).to_be_visible()
    quotes.get_by_role("link", name="Read and accept or decline").tap()
    phone.get_by_label("Your full name").fill("Ana García")
    phone.get_by_role("button", name="Accept the quotation").tap()
    expect(phone.get_by_text("Thank you, Ana García! You accepted this quotation")).to_be_visible()

    phone.goto(portal_link)
    expect(quotes.get_by_text("Accepted")).to_be_visible()
    expect(phone.locator("#orders").get_by_text(re.compile(r"O-\d{4}-0001"))).to_be_visible()
    phone.locator("#tickets").get_by_role("link", name="Read and reply").tap()
    expect(phone.get_by_role("heading", name="Squeaky rear brake")).to_be_visible()
    phone.get_by_label("Your message").fill("It squeaks when it rains. Can I bring it on Saturday?")
    phone.get_by_role("button", name="Send").tap()
    expect(phone.get_by_text("Thank you. We have your message")).to_be_visible()
    customer.close()

    page.goto(f"{live_server}/support/tickets/{ticket_id}")
    expect(page.locator("#conversation")).to_contain_text("It squeaks when it rains.")
    page.goto(f"{live_server}/customers/{ana.id}")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("accepted by Ana García")
    expect(timeline).to_contain_text("Email sent: Your page at")


def test_a_campaign_goes_out_in_batches_with_progress(page, live_server, app, owner, seller, make_customer):
    for n in range(30):
        make_customer(f"Cliente {n:02d}", email=f"c{n}@example.com", city="Toledo", email_opt_in=True)
    make_customer("Sin Consentimiento", email="no@example.com", city="Toledo")
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/mail/campaigns/new")
    page.get_by_label("Name").fill("Spring service")
    page.locator("#subject").fill("Spring check-up, {name}")
    page.get_by_label("In the city").fill("Toledo")
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("30 customers will receive it")).to_be_visible()
    expect(page.get_by_text("1 left out: did not agree to mailings")).to_be_visible()
    expect(page.locator(".mail-preview")).to_contain_text("Spring check-up, Cliente 00")
    page.get_by_role("button", name="Send to 30 customers").tap()
    # The first batch goes with the tap; htmx asks for the next until all are done.
    expect(page.get_by_text("30 of 30 done")).to_be_visible()
    expect(page.locator("#results")).to_contain_text(re.compile(r"Emails sent\s*30"))
    with app.app_context():
        assert db.session.query(OutgoingEmail).count() == 30


def test_a_campaign_in_two_languages_previews_both(page, live_server, app, owner, seller, make_customer):
    make_customer("Jürgen Köhler", email="j@example.com", city="Kiel", email_opt_in=True, language="de")
    make_customer("Marta Ruiz", email="m@example.com", city="Kiel", email_opt_in=True)
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/mail/campaigns/new")
    page.get_by_label("Name").fill("Spring service")
    page.locator("#subject").fill("Revisión de primavera, {name}")
    page.locator("summary", has_text="Deutsch").tap()     # the language's section opens with a finger
    page.locator("#subject_de").fill("Frühjahrs-Check, {name}")
    page.locator("#body_de").fill("Hallo {name}, Ihr Rad wartet bei {shop}.")
    page.get_by_label("Readers of other languages get").select_option("de")
    page.get_by_label("In the city").fill("Kiel")
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("2 customers will receive it")).to_be_visible()
    page.get_by_label("As received by").select_option(label="Jürgen Köhler")
    page.get_by_role("button", name="Show").tap()
    expect(page.locator(".mail-preview").first).to_contain_text("Frühjahrs-Check, Jürgen Köhler")
    other = page.locator("details.language-version", has_text="Español")
    other.locator("summary").tap()
    expect(other.locator(".mail-preview")).to_contain_text("Revisión de primavera, Jürgen Köhler")
