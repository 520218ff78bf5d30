"""The owner sets a seller's goals for this month, a deal is won, and the progress bars move."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_customers_flow import settled, sign_in

pytestmark = pytest.mark.browser


def test_goal_progress_moves_after_a_won_deal(page, live_server, owner, seller, make_customer, make_lead):
    lead = make_lead(make_customer("Hotel Los Almendros"), seller, title="Six city bikes for guests", value=3000,
                     stage="Negotiation")
    sign_in(page, live_server, owner)
    page.get_by_role("navigation", name="Management").get_by_role("link", name="Goals").tap()
    form = page.locator("#goal-form")
    form.get_by_label("Seller").select_option(label=seller.name)
    form.get_by_label("Revenue").fill("10000")
    form.get_by_label("Deals won").fill("2")
    form.get_by_role("button", name="Save goals").tap()
    expect(page.get_by_text(f"Goals for {seller.name}")).to_be_visible()
    card = page.locator(f"#goals-{seller.id}")
    expect(card).to_contain_text("€0.00 / €10,000.00 · 0%")
    expect(card.get_by_role("progressbar", name="Revenue")).to_have_attribute("aria-valuenow", "0")

    settled(page)
    page.goto(f"{live_server}/negotiation/lead/{lead.id}")
    closing = page.locator("#closing")
    closing.get_by_label("Won", exact=True).tap()
    closing.get_by_label("Amount won").fill("2500")
    closing.get_by_label("What next?").fill("Deliver the bikes")
    closing.get_by_role("button", name="Close the deal").tap()
    expect(page.locator("#closing h2")).to_contain_text("Won")

    settled(page)
    page.get_by_role("link", name="Dashboard").first.tap()
    goals = page.locator("section.card", has=page.get_by_role("heading", name="against the goals"))
    expect(goals).to_contain_text("€2,500.00 / €10,000.00 · 25%")
    expect(goals).to_contain_text("Deals won 1 / 2 · 50%")
    expect(goals.get_by_role("progressbar", name="Revenue").first).to_have_attribute("aria-valuenow", "25")
    page.get_by_role("navigation", name="Management").get_by_role("link", name="Goals").tap()
    expect(page.locator(f"#goals-{seller.id}").get_by_role("progressbar", name="Deals won")).to_have_attribute(
        "aria-valuenow", "50")


def test_segment_counts_live_and_is_saved(page, live_server, owner, make_customer):
    make_customer("Ana Toledo", city="Toledo", tags=("vip",))
    make_customer("Bruno Toledo", city="Toledo")
    make_customer("Carla Madrid", city="Madrid", tags=("vip",))
    sign_in(page, live_server, owner)
    page.get_by_role("navigation", name="Management").get_by_role("link", name="Segments").tap()
    expect(page.locator("#segment-count")).to_contain_text("3 customers match")
    settled(page)
    page.get_by_label("City").fill("Toledo")
    expect(page.locator("#segment-count")).to_contain_text("2 customers match")
    page.get_by_label("Tag").select_option("vip")
    expect(page.locator("#segment-count")).to_contain_text("1 customer matches")
    expect(page.locator("#segment-count")).to_contain_text("Ana Toledo")
    page.get_by_label("Segment name").fill("VIPs in Toledo")
    page.get_by_role("button", name="Save segment").tap()
    expect(page.get_by_text("Segment “VIPs in Toledo” saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="1 customer")).to_be_visible()
    expect(page.locator("#results")).to_contain_text("Ana Toledo")
