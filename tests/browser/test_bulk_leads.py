"""Bulk actions with a finger on a tablet (1024×768): tap two leads' checkboxes, move them to Proposal, confirm
with the count, and undo from the result message."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_customers_flow import nav, sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_tap_two_leads_move_them_and_undo(page, live_server, make_customer, make_lead, owner, seller):
    customer = make_customer("Eva Pardo")
    leads = [make_lead(customer, seller, title=title)
             for title in ("Cargo bike for two kids", "Folding bike", "City bike service")]
    sign_in(page, live_server, seller)
    nav(page, "Leads").tap()
    page.get_by_role("link", name="List", exact=True).tap()
    expect(page.get_by_role("tab", name="List").or_(page.get_by_text("Showing 1–3 of 3 leads"))).to_be_visible()
    page.wait_for_load_state("networkidle")     # the list htmx swaps in has arrived: measure that one
    for lead in leads[:2]:
        box = page.get_by_label(f"Select “{lead.title}”")
        expect(box).to_be_visible()       # on a loaded machine the swapped-in list may still be settling
        target = box.locator("xpath=..").bounding_box()
        assert target["width"] >= 44 and target["height"] >= 44, target   # a finger's size
        box.tap()
        expect(box).to_be_checked()
    page.get_by_label("What to do").select_option(label="Proposal")
    # Choosing what to do is not a new search: the ticks stay.
    expect(page.get_by_label(f"Select “{leads[0].title}”")).to_be_checked()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "leads-bulk-selection-tablet.png"), full_page=True)
    page.get_by_role("button", name="Continue").tap()

    expect(page.get_by_role("heading", name="Move 2 leads to Proposal?")).to_be_visible()
    page.get_by_role("button", name="Yes, change 2").tap()
    expect(page.get_by_text("2 leads moved to Proposal.")).to_be_visible()
    rows = page.locator("table.leads tbody tr")
    expect(rows.filter(has_text="Cargo bike for two kids")).to_contain_text("Proposal")
    page.screenshot(path=str(SCREENSHOTS / "leads-bulk-done-tablet.png"), full_page=True)

    page.get_by_role("button", name="Undo").tap()
    expect(page.get_by_text("Undone: 2 leads are back as they were.")).to_be_visible()
    expect(rows.filter(has_text="Cargo bike for two kids")).to_contain_text("New")
    expect(rows.filter(has_text="Folding bike")).to_contain_text("New")

    # The same list on a phone, with a lead ticked, for the screenshots.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label(f"Select “{leads[2].title}”").tap()
    page.screenshot(path=str(SCREENSHOTS / "leads-bulk-selection-phone.png"), full_page=True)
