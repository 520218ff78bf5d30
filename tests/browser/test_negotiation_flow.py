"""A deal in Negotiation, by finger: objection answered and resolved, a concession, lost to a competitor,
reopened, won — and the playbook learns the answer."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_customers_flow import settled, sign_in
from sales.clock import shop_today

pytestmark = pytest.mark.browser


def test_negotiate_lose_reopen_win(page, live_server, owner, seller, make_customer, make_lead):
    lead = make_lead(make_customer("Club Ciclista Norte"), seller, title="Fleet of 6 bikes", value=6000,
                     stage="Negotiation")
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/leads/{lead.id}")
    page.get_by_role("link", name="Negotiation").tap()

    objections = page.locator("#objections")
    objections.get_by_label("Type").select_option("price")
    objections.get_by_label("In the customer's words").fill("Decathlon is 10 % cheaper")
    objections.get_by_role("button", name="Add objection").tap()
    expect(page.get_by_text("Objection noted.")).to_be_visible()
    expect(page.get_by_text("1 open objection")).to_be_visible()

    item = page.locator("#objections li.open", has_text="Decathlon is 10 % cheaper")
    item.get_by_label("Our answer").fill("Same price, plus assembly and a free first service")
    item.get_by_label("Resolved: the customer accepted the answer").tap()
    item.get_by_role("button", name="Save answer").tap()
    expect(page.get_by_text("Objection resolved.")).to_be_visible()
    expect(page.get_by_text("0 open objections")).to_be_visible()

    concessions = page.locator("#concessions")
    concessions.get_by_label("Its value").fill("300")
    concessions.get_by_label("Conceded").fill("5 % discount")
    concessions.get_by_label("What we got in return").fill("Paid upfront")
    concessions.get_by_role("button", name="Log concession").tap()
    expect(page.get_by_text("Conceded: €300.00").first).to_be_visible()

    competitors = page.locator("#competitors")
    competitors.get_by_label("…or a new one").fill("Decathlon")
    competitors.get_by_role("button", name="Add competitor").tap()
    expect(page.get_by_text("Decathlon added to the deal.")).to_be_visible()

    follow_up = (shop_today() + timedelta(days=3)).isoformat()
    closing = page.locator("#closing")
    closing.get_by_label("Lost", exact=True).tap()
    closing.get_by_label("Why was it lost?").select_option("competitor")
    closing.get_by_label("Lost to").select_option(label="Decathlon")
    closing.get_by_label("What next?").fill("Call when their stock runs out")
    closing.get_by_label("Follow up on").fill(follow_up)
    closing.get_by_role("button", name="Close the deal").tap()
    expect(page.get_by_text("Lost to: Decathlon")).to_be_visible()

    page.locator("#closing").get_by_label("Why reopen?").fill("Decathlon could not deliver")
    page.locator("#closing").get_by_role("button", name="Reopen").tap()
    expect(page.get_by_text("“Fleet of 6 bikes” is open again")).to_be_visible()

    closing = page.locator("#closing")
    closing.get_by_label("Won", exact=True).tap()
    closing.get_by_label("Amount won").fill("5,700.00")
    closing.get_by_label("What next?").fill("Deliver and adjust the six bikes")
    closing.get_by_label("Follow up on").fill(follow_up)
    closing.get_by_role("button", name="Close the deal").tap()
    expect(page.locator("#closing h2")).to_contain_text("Won")
    expect(page.locator("#closing .badge")).to_have_text("€5,700.00")

    settled(page)
    page.get_by_role("link", name="Playbook").tap()
    price = page.locator("section.card", has=page.get_by_role("heading", name="Price"))
    expect(price).to_contain_text("Same price, plus assembly and a free first service")
    expect(price).to_contain_text("Worked on 1 won deal")
