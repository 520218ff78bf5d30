"""A quotation by finger: from a lead, sent, changed into revision 2 (revision 1 untouched and viewable),
accepted by the customer in a fresh browser — the lead is won and an order exists."""
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from extensions import db
from models import Lead, Order, Product
from tests.browser.test_customers_flow import settled, sign_in
from tests.conftest import stage_id

pytestmark = pytest.mark.browser


def test_quote_from_lead_to_order(browser, page, live_server, app, owner, seller, make_customer, make_lead):
    with app.app_context():
        db.session.add_all([Product(code="EB1", name="E-bike City", unit_price=Decimal("2199.00"),
                                    tax_rate=Decimal("21"), warranty_months=24),
                            Product(code="H1", name="Helmet", unit_price=Decimal("59.90"), tax_rate=Decimal("21"))])
        db.session.commit()
    lead = make_lead(make_customer("Ana García", language="en"), seller, title="Commuter e-bike", stage="Qualified")
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/leads/{lead.id}")
    page.get_by_role("link", name="+ Quote").tap()

    page.locator("#lines-0-product_id").select_option(label="E-bike City · EB1")
    page.locator("#lines-0-quantity").fill("1")
    page.locator("#lines-1-product_id").select_option(label="Helmet · H1")
    page.locator("#lines-1-quantity").fill("2")
    page.locator("#lines-1-discount_percent").fill("150")
    page.get_by_role("button", name="Save draft").tap()
    expect(page.locator("#lines-1-discount_percent-error")).to_contain_text("between 0 and 100")
    expect(page.locator("#lines-1-quantity")).to_have_value("2")      # nothing lost
    page.locator("#lines-1-discount_percent").fill("10")
    page.get_by_role("button", name="Save draft").tap()
    expect(page.get_by_text("saved as a draft")).to_be_visible()
    expect(page.locator("tr.grand")).to_contain_text("€2,791.25")

    page.get_by_role("button", name="Send (binding)").tap()
    expect(page.get_by_text("is sent and binding")).to_be_visible()
    first_link = page.get_by_label("Customer link").input_value()

    settled(page)
    page.get_by_role("button", name="Change (new revision)").tap()
    expect(page.get_by_role("heading", name=re.compile("revision 2"))).to_be_visible()
    page.locator("#lines-0-discount_percent").fill("5")
    page.get_by_role("button", name="Save draft").tap()
    page.get_by_role("button", name="Send (binding)").tap()
    expect(page.get_by_text("What changed since revision 1")).to_be_visible()
    second_link = page.get_by_label("Customer link").input_value()
    assert second_link != first_link

    page.get_by_role("link", name=re.compile(r"Rev\. 1")).tap()
    expect(page.locator("tr.grand")).to_contain_text("€2,791.25")        # revision 1 unchanged
    expect(page.locator("h1 .badge")).to_have_text("Superseded")

    customer = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    customer_page = customer.new_page()
    customer_page.goto(first_link)
    expect(customer_page.get_by_role("heading", name="This quotation was replaced")).to_be_visible()
    customer_page.goto(second_link)
    customer_page.get_by_label("Your full name").fill("Ana García")
    customer_page.get_by_role("button", name="Accept the quotation").tap()
    expect(customer_page.get_by_text("Thank you, Ana García! You accepted this quotation")).to_be_visible()
    customer.close()

    with app.app_context():
        assert db.session.get(Lead, lead.id).stage_id == stage_id(app, "Won")
        order = db.session.query(Order).one()
        # Revision 2: 2199 × 0.95 = 2089.05 (+438.70 tax); 2 × 59.90 × 0.90 = 107.82 (+22.64 tax).
        assert order.total == Decimal("2658.21")
    page.goto(f"{live_server}/quotes/orders/")
    expect(page.get_by_role("link", name=re.compile(r"O-\d{4}-0001"))).to_be_visible()
