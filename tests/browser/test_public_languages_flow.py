"""The customer's quotation page by finger, in the customer's language, and a visitor who reads another one taps
it in the switcher: the page comes back in that language and stays so, with JavaScript on or off."""
import re

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from extensions import db
from models import QuoteRevision

pytestmark = pytest.mark.browser


def words(app, language, msgid):
    with app.test_request_context(), force_locale(language):
        return gettext(msgid)


@pytest.fixture
def german_quote(app, live_server, seller, make_customer, sent_quote):
    customer = make_customer("Jürgen Köhler", email="juergen@example.com", language="de")
    quote_id = sent_quote(customer, seller)
    with app.app_context():
        token = db.session.query(QuoteRevision.token).filter_by(quote_id=quote_id).scalar()
    return f"{live_server}/quotes/q/{token}"


@pytest.mark.parametrize("javascript", [True, False])
def test_a_visitor_taps_their_language_on_the_quote_page(browser, app, german_quote, javascript):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, locale="en-GB",
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto(german_quote)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name=words(app, "de", "Accept the quotation"))).to_be_visible()
    languages = page.get_by_role("navigation", name=words(app, "de", "Language"))
    expect(languages.get_by_role("link", name="Deutsch")).to_have_attribute("aria-current", "true")

    hindi = languages.get_by_role("link", name="हिन्दी")
    box = hindi.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44          # a finger's size
    hindi.tap()
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    assert page.url == german_quote                             # the same page, without ?lang=
    expect(page.get_by_role("button", name=words(app, "hi", "Accept the quotation"))).to_be_visible()
    expect(page.get_by_role("navigation", name=words(app, "hi", "Language")).get_by_role(
        "link", name="हिन्दी")).to_have_attribute("aria-current", "true")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    context.close()
