"""After-sale on a tablet: a repair under warranty with a photo, the customer's link, closing, the survey in
the customer's own browser, and the gap report that shows it."""
import re
import struct
import zlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from extensions import db
from models import Order, OrderLine, Product
from tests.browser.test_customers_flow import sign_in, sign_out
from sales.clock import shop_today

pytestmark = pytest.mark.browser


def small_png(width=8, height=6):
    """A real PNG, made here so the test needs no file on disk."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xd0\x40\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_repair_under_warranty_from_sale_to_satisfaction(page, browser, live_server, app, make_user,
                                                         make_customer):
    owner = make_user("owner", name="Carmen Owner")
    support = make_user("support", name="Sofía Support")
    seller = make_user("seller", name="Lucía Seller")
    customer = make_customer("Elena Moreno", owner_id=seller.id, language="en")
    with app.app_context():
        product = Product(code="EBK", name="E-City electric bike", unit_price=Decimal("1890"), warranty_months=24)
        order = Order(number="O-2026-0042", customer_id=customer.id, seller_id=seller.id,
                      ordered_on=shop_today() - timedelta(days=200))
        order.lines.append(OrderLine(product=product, description=product.name, quantity=Decimal(1),
                                     unit_price=Decimal("1890"), line_total=Decimal("1890"), warranty_months=24,
                                     serial_number="WTU123456"))
        db.session.add(order)
        db.session.commit()

    # Support opens a repair ticket from the customer's page, about the bike she bought.
    sign_in(page, live_server, support)
    page.goto(f"{live_server}/customers/{customer.id}")
    page.get_by_role("link", name="+ Ticket").tap()
    expect(page.get_by_label("Product sold")).to_contain_text("E-City electric bike")
    expect(page.get_by_label("Product sold")).to_have_value("0")   # nobody has chosen a product yet
    page.get_by_label("Product sold").select_option(index=1)
    page.get_by_label("What is it about?").fill("Rear brake squeaks")
    page.get_by_role("button", name="Open the ticket").tap()
    expect(page.get_by_role("heading", name=re.compile("Rear brake squeaks"))).to_be_visible()
    expect(page.locator(".ticket-badges .warranty")).to_have_text("Covered by warranty")

    # A photo from the tablet's camera.
    expect(page.locator("input#photo")).to_have_attribute("capture", "environment")
    page.set_input_files("input#photo", files=[{"name": "brake.png", "mimeType": "image/png",
                                                "buffer": small_png()}])
    page.get_by_role("button", name="Attach the photo").tap()
    expect(page.get_by_text("Photo attached.")).to_be_visible()
    expect(page.locator("ul.photos img")).to_have_count(1)
    # The picture arrives after the page: wait until the browser has decoded it, then read its size.
    photo = page.locator("ul.photos img")
    photo.evaluate("img => img.complete ? null : new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })")
    assert photo.evaluate("img => img.naturalWidth") == 8

    # An internal note and a reply to the customer.
    page.get_by_label("Message").fill("Pads worn; check the disc too.")
    page.get_by_role("button", name="Add", exact=True).tap()
    expect(page.get_by_text("Internal note added.")).to_be_visible()
    page.get_by_label("Message").fill("Bring the bike on Tuesday, we will fix it under warranty.")
    page.get_by_label("Reply to the customer").check()
    page.get_by_role("button", name="Add", exact=True).tap()
    expect(page.get_by_text("Reply sent")).to_be_visible()
    link = page.locator("#public-link").input_value()

    # The customer, in her own browser and without an account, sees the reply (not the note) and answers.
    customer_context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    customer_page = customer_context.new_page()
    customer_page.goto(link)
    expect(customer_page.get_by_text("Bring the bike on Tuesday")).to_be_visible()
    expect(customer_page.get_by_text("Pads worn")).to_have_count(0)
    customer_page.get_by_label("Your message").fill("Tuesday at 10 is fine.")
    customer_page.get_by_role("button", name="Send").tap()
    expect(customer_page.get_by_text("We have your message")).to_be_visible()
    expect(customer_page.get_by_text("Tuesday at 10 is fine.")).to_be_visible()
    customer_context.close()

    # Support sees the answer, fixes the bike and closes the ticket: a survey link appears.
    page.reload()
    expect(page.locator("li.message.from-customer")).to_contain_text("Tuesday at 10 is fine.")
    page.get_by_label("Status").select_option("closed")
    page.get_by_label("Resolution").fill("New brake pads, disc cleaned.")
    page.get_by_role("button", name="Save", exact=True).tap()
    expect(page.get_by_text("Ticket closed.")).to_be_visible()
    survey_link = page.locator("#survey-link").input_value()

    # The survey, answered in a fresh browser context.
    survey_context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    survey_page = survey_context.new_page()
    survey_page.goto(survey_link)
    survey_page.locator("#expectation-4").check()   # expected 5
    survey_page.locator("#experience-3").check()    # got 4
    survey_page.locator("#csat-3").check()          # 4 of 5
    survey_page.locator("#nps-9").check()           # 9 of 10
    survey_page.get_by_label("Anything you want to tell us?").fill("Quick, but I had to come twice.")
    survey_page.get_by_role("button", name="Send my answers").tap()
    expect(survey_page.get_by_role("heading", name="Thank you!")).to_be_visible()
    survey_context.close()

    # The owner's gap report shows it: expected 5, got 4, a gap of −1.
    sign_out(page)
    sign_in(page, live_server, owner)
    page.goto(f"{live_server}/support/reports?by=product&period=all")
    row = page.locator("table.gap-report tbody tr", has_text="E-City electric bike")
    expect(row).to_contain_text("5.00")
    expect(row).to_contain_text("4.00")
    expect(row.locator("td.gap-negative")).to_have_text("−1.00")  # a real minus sign
    expect(page.get_by_text("Quick, but I had to come twice.")).to_be_visible()
    page.get_by_label("Group by").select_option("seller")
    expect(page.locator("table.gap-report")).to_contain_text("Lucía Seller")
