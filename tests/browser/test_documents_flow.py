"""Documents on a tablet: the owner gives a product its datasheet and care page; a seller photographs the signed
order with the tablet's camera and attaches it to the quote — its location is gone once kept."""
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Customer, Document, Product
from tests.browser.test_customers_flow import sign_in, sign_out
from tests.test_documents import PDF, jpeg_with_gps

pytestmark = pytest.mark.browser

# Screenshots of the pages, to look at.
SHOTS = Path(os.environ.get("DOCUMENT_SCREENSHOTS", "")) if os.environ.get("DOCUMENT_SCREENSHOTS") else None


def shot(page, name, tmp_path):
    page.screenshot(path=str((SHOTS or tmp_path) / f"{name}.png"), full_page=True)


@pytest.fixture
def kept_files(app):
    folder = Path(app.instance_path) / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    yield
    for path in set(folder.iterdir()) - before:
        path.unlink(missing_ok=True)


def test_datasheet_on_the_product_and_a_camera_photo_of_the_signed_order_on_the_quote(
        page, live_server, app, make_user, kept_files, tmp_path):
    from sales.quotes import rules as quote_rules

    owner = make_user("owner", name="Carmen Owner")
    seller = make_user("seller", name="Lucía Seller")
    with app.test_request_context():
        product = Product(code="EBK", name="E-City electric bike", unit_price=Decimal("1890"), tax_rate=Decimal("21"))
        customer = Customer(name="Elena Moreno", email="elena@example.com", owner_id=seller.id)
        db.session.add_all([product, customer])
        db.session.flush()
        quote, revision = quote_rules.new_quote(customer, seller.id)
        quote_rules.set_lines(revision, [dict(product_id=product.id, description=product.name, quantity=Decimal(1),
                                              unit_price=Decimal("1890"), discount_percent=Decimal(0),
                                              tax_rate=Decimal("21"))])
        quote_rules.send(revision)
        db.session.commit()
        product_id, quote_id = product.id, quote.id

    # The owner attaches the datasheet (a PDF) and writes the care page, on the product's page.
    sign_in(page, live_server, owner)
    page.goto(f"{live_server}/catalog/{product_id}")
    page.get_by_label("What it is").select_option(label="Datasheet")
    page.get_by_label("Language").select_option(label="Spanish")
    page.set_input_files("input#doc-file", files=[{"name": "ficha.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Attach", exact=True).tap()
    expect(page.get_by_text("Datasheet — E-City electric bike attached.")).to_be_visible()
    page.get_by_text("Attach a document").tap()
    page.get_by_label("What it is").select_option(label="Care and maintenance")
    page.get_by_label("Or write it here").fill("Charge the battery before winter.\n\nClean the chain every month.")
    page.get_by_label("Service every how many months").fill("6")
    page.get_by_role("button", name="Attach", exact=True).tap()
    expect(page.locator("#documents ul.documents > li")).to_have_count(2)
    expect(page.locator("#documents")).to_contain_text("service every 6 months")
    shot(page, "product-documents", tmp_path)
    sign_out(page)

    # The seller photographs the signed order with the tablet's camera, on the quote's page.
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/quotes/{quote_id}")
    expect(page.locator("#product-documents")).to_contain_text("Datasheet — E-City electric bike")
    camera = page.locator("input#doc-photo")
    expect(camera).to_have_attribute("accept", "image/*")
    expect(camera).to_have_attribute("capture", "environment")
    page.get_by_label("What it is").select_option(label="Signed order")
    camera.set_input_files(files=[{"name": "IMG_4032.jpg", "mimeType": "image/jpeg",
                                   "buffer": jpeg_with_gps((64, 48))}])
    page.get_by_role("button", name="Attach", exact=True).tap()
    expect(page.get_by_text("IMG_4032 attached.")).to_be_visible()
    thumbnail = page.locator("#documents .file-thumb img")
    expect(thumbnail).to_have_count(1)
    page.wait_for_function("() => document.querySelector('#documents .file-thumb img').complete")
    assert thumbnail.evaluate("img => img.naturalWidth") == 64
    expect(page.locator("#documents")).to_contain_text("Signed order")
    shot(page, "quote-attachments", tmp_path)

    with app.app_context():
        signed = db.session.scalar(select(Document).where(Document.kind == "signed_order"))
        kept = (Path(app.instance_path) / "attachments" / signed.stored_name).read_bytes()
    assert signed.quote_id == quote_id and not Image.open(io.BytesIO(kept)).getexif().get_ifd(0x8825)
    assert re.search(rb"Exif", kept) is None
