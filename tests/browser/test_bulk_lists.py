"""Bulk actions on the customers and tickets lists, and a delete's question, with a finger on a tablet: tick,
choose, confirm with the count, undo from the result message. Screenshots at tablet and phone size."""
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from extensions import db
from models import Customer, Segment
from tests.browser.test_customers_flow import nav, settled, sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_tag_two_customers_and_undo(page, live_server, make_customer, owner):
    names = ["Eva Pardo", "Luis Prieto", "Marta Gil"]
    for name in names:
        make_customer(name)
    sign_in(page, live_server, owner)
    nav(page, "Customers").tap()
    settled(page)
    for name in names[:2]:
        box = page.get_by_label(f"Select “{name}”")
        target = box.locator("xpath=..").bounding_box()
        assert target["width"] >= 44 and target["height"] >= 44, target
        box.tap()
    page.get_by_label("What to do").select_option(label="New tag…")
    expect(page.get_by_label(f"Select “{names[0]}”")).to_be_checked()   # choosing is not a new search
    _shot(page, "customers-bulk-selection-tablet.png")
    page.get_by_role("button", name="Continue").tap()
    expect(page.get_by_role("heading", name="Add a tag to 2 customers?")).to_be_visible()
    page.get_by_label("Tag").fill("Spring fair")
    _shot(page, "customers-bulk-confirm-tablet.png")
    page.get_by_role("button", name="Yes, change 2").tap()
    expect(page.get_by_text("2 customers tagged.")).to_be_visible()
    rows = page.locator("table.customers tbody tr")
    expect(rows.filter(has_text="Eva Pardo")).to_contain_text("spring fair")
    _shot(page, "customers-bulk-done-tablet.png")
    page.get_by_role("button", name="Undo").tap()
    expect(page.get_by_text("Undone: 2 customers are back as they were.")).to_be_visible()
    expect(rows.filter(has_text="Eva Pardo")).not_to_contain_text("spring fair")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label(f"Select “{names[2]}”").tap()
    _shot(page, "customers-bulk-selection-phone.png")


def test_delete_a_segment_asks_and_undoes(app, page, live_server, owner):
    with app.app_context():
        db.session.add(Segment(name="Toledo riders", filters=json.dumps({"city": "Toledo"})))
        db.session.commit()
        segment_id = db.session.query(Segment.id).scalar()
    sign_in(page, live_server, owner)
    page.goto(f"{live_server}/manage/segments/{segment_id}")
    page.get_by_role("link", name="Delete segment").tap()
    expect(page.get_by_role("heading", name="Delete the segment “Toledo riders”?")).to_be_visible()
    expect(page.get_by_text("You can undo it for ten minutes.")).to_be_visible()
    _shot(page, "delete-confirm-tablet.png")
    page.get_by_role("button", name="Yes, delete").tap()
    expect(page.get_by_text("Segment “Toledo riders” deleted.")).to_be_visible()
    _shot(page, "delete-done-tablet.png")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "delete-done-phone.png")
    page.get_by_role("button", name="Undo").tap()
    expect(page.get_by_text("Segment “Toledo riders” is back.")).to_be_visible()
    with app.app_context():
        assert db.session.get(Segment, segment_id) is not None
        assert db.session.query(Customer).count() == 0
