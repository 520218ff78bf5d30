"""Documents: a product's datasheet, manual, installation guide, care and safety instructions (files or written
pages), files on customers, leads and quotes — checked by content, cleaned of their location, kept by the record
rules, and given to the customer only through the links they already hold."""
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models import PRODUCT_DOCUMENT_KINDS, Document, Product
from sales import clock
from sales.documents.rules import KIND_NAMES
from tests.conftest import login, text_of

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def jpeg_with_gps(size=(40, 30)):
    """A JPEG as a phone writes it: with an EXIF block holding the GPS position where it was taken."""
    image = Image.new("RGB", size, (200, 60, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"                     # Make
    exif[0x0110] = "Phone 12"                       # Model
    gps = exif.get_ifd(0x8825)                      # the GPS IFD
    gps[1], gps[2] = "N", (40.0, 25.0, 12.5)        # latitude ref, latitude
    gps[3], gps[4] = "W", (3.0, 42.0, 7.25)         # longitude ref, longitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png(size=(8, 6)):
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 90)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def new_files(app):
    """The files a test stored (a function listing them); removed afterwards, pass or fail."""
    folder = Path(app.instance_path) / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    yield lambda: set(folder.iterdir()) - before
    for path in set(folder.iterdir()) - before:
        path.unlink(missing_ok=True)


@pytest.fixture
def product(app):
    with app.app_context():
        bike = Product(code="ECITY", name="E-City bike", unit_price=Decimal("1890"), warranty_months=24)
        db.session.add(bike)
        db.session.commit()
        return bike.id


def stored_path(app, document):
    return Path(app.instance_path) / "attachments" / document.stored_name


def only_document(app):
    with app.app_context():
        document = db.session.scalar(select(Document))
        db.session.expunge(document)
        return document


def form_data(**fields):
    """The document form's fields as a browser sends them (each name carries the form's prefix)."""
    return {f"doc-{name}": value for name, value in fields.items()}


def attach(client, url, **fields):
    data = form_data(kind=fields.pop("kind", "datasheet"), language=fields.pop("language", ""), **fields)
    return client.post(url, data=data, content_type="multipart/form-data")


# --- On the product page: upload, view, replace, remove each kind --------------------------------------------


@pytest.mark.parametrize("kind", PRODUCT_DOCUMENT_KINDS)
def test_the_owner_uploads_views_replaces_and_removes_each_kind_on_the_product_page(as_owner, app, product, kind):
    page = as_owner.get(f"/catalog/{product}")
    assert page.status_code == 200 and 'id="documents"' in page.get_data(as_text=True)

    response = attach(as_owner, f"/documents/new/product/{product}", kind=kind, language="es",
                      file=(io.BytesIO(PDF), "guia.pdf"))
    assert response.status_code == 303 and response.location.endswith(f"/catalog/{product}#documents")
    document = only_document(app)
    assert (document.kind, document.language, document.content_type) == (kind, "es", "application/pdf")
    assert document.title == f"{KIND_NAMES[kind]} — E-City bike" and document.original_name == "guia.pdf"
    assert "guia" not in document.stored_name and stored_path(app, document).read_bytes() == PDF
    listed = text_of(as_owner.get(f"/catalog/{product}"))
    assert document.title in listed and "Spanish" in listed

    opened = as_owner.get(f"/documents/{document.id}")
    assert opened.status_code == 200 and opened.data == PDF and opened.mimetype == "application/pdf"

    # Replaced by a picture: the new file is served, the old one is gone from the disk.
    old_path = stored_path(app, document)
    response = as_owner.post(f"/documents/{document.id}/edit", data=form_data(
        kind=kind, language="en", title="Updated", version=document.version,
        file=(io.BytesIO(png()), "new.png")), content_type="multipart/form-data")
    assert response.status_code == 303
    replaced = only_document(app)
    assert (replaced.title, replaced.language, replaced.content_type) == ("Updated", "en", "image/png")
    assert not old_path.exists() and as_owner.get(f"/documents/{document.id}").mimetype == "image/png"

    response = as_owner.post(f"/documents/{document.id}/delete")
    assert response.status_code == 303 and response.location.endswith(f"/catalog/{product}#documents")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert as_owner.get(f"/documents/{document.id}").status_code == 404
    # The file waits out the ten minutes of undo; after them it goes (tests/test_deletes_undo.py undoes one).
    assert stored_path(app, replaced).exists()
    from sales.documents.views import forget_expired_files

    with app.app_context():
        forget_expired_files(now=clock.utcnow() + timedelta(minutes=11))
    assert not stored_path(app, replaced).exists()


def test_a_written_page_is_shown_in_paragraphs_and_care_says_how_often(as_owner, app, product):
    body = "Clean the chain every month.\n\nCheck the tyre pressure <b>weekly</b>."
    response = attach(as_owner, f"/documents/new/product/{product}", kind="care", body=body, every_months="6")
    assert response.status_code == 303
    document = only_document(app)
    assert document.stored_name is None and document.every_months == 6
    html = as_owner.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "<p>Clean the chain every month.</p>" in html and "&lt;b&gt;weekly&lt;/b&gt;" in html
    assert "service every 6 months" in text_of(as_owner.get(f"/catalog/{product}"))

    response = as_owner.post(f"/documents/{document.id}/edit", data=form_data(
        kind="care", language="", title=document.title, version=document.version, body="Oil the chain.",
        every_months="12"))
    assert response.status_code == 303
    changed = only_document(app)
    assert changed.body == "Oil the chain." and changed.every_months == 12


def test_only_who_keeps_the_catalog_changes_its_documents(client, app, product, owner, seller):
    login(client, owner)
    attach(client, f"/documents/new/product/{product}", file=(io.BytesIO(PDF), "sheet.pdf"))
    document = only_document(app)
    client.post("/logout")
    login(client, seller)
    # Sellers read the catalog's documents (they hand them to customers) but do not change them.
    assert client.get(f"/documents/{document.id}").status_code == 200
    assert attach(client, f"/documents/new/product/{product}", file=(io.BytesIO(PDF), "x.pdf")).status_code == 403
    assert client.post(f"/documents/{document.id}/edit", data=form_data(kind="manual")).status_code == 403
    assert client.post(f"/documents/{document.id}/delete").status_code == 403
    assert only_document(app).kind == "datasheet"
    client.post("/logout")
    assert client.get(f"/documents/{document.id}").status_code == 302


def test_a_stale_edit_is_refused_with_the_typed_values_kept(as_owner, app, product):
    attach(as_owner, f"/documents/new/product/{product}", body="First words.", kind="manual")
    document = only_document(app)
    response = as_owner.post(f"/documents/{document.id}/edit", data=form_data(
        kind="manual", language="", title="Mine", version=document.version - 1, body="Typed."))
    assert response.status_code == 409 and "Typed." in response.get_data(as_text=True)
    assert only_document(app).body == "First words."


# --- Checked by content, cleaned, size-limited, scanned -----------------------------------------------------


def test_the_gps_position_and_camera_data_are_removed_from_an_uploaded_jpeg(as_owner, app, product):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)   # the test photo does carry a position
    response = attach(as_owner, f"/documents/new/product/{product}", kind="installation",
                      photo=(io.BytesIO(original), "IMG_0001.jpg"))
    assert response.status_code == 303
    document = only_document(app)
    kept = stored_path(app, document).read_bytes()
    assert document.content_type == "image/jpeg" and kept != original
    exif = Image.open(io.BytesIO(kept)).getexif()
    assert not exif.get_ifd(0x8825) and 0x010F not in exif and 0x0110 not in exif
    assert b"PhoneMaker" not in kept and b"Exif" not in kept
    assert Image.open(io.BytesIO(kept)).size == (40, 30)   # still the same picture


@pytest.mark.parametrize("name, content, message", [
    ("manual.pdf", b"<html><script>alert(1)</script></html>", "not a PDF or a picture"),
    ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00 an executable", "not a PDF or a picture"),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10, "damaged or is not really a picture"),
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a PDF"),
    ("empty.pdf", b"", "Choose a file, take a photo or write the page"),
])
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(as_owner, app, product, new_files, name, content,
                                                                   message):
    response = attach(as_owner, f"/documents/new/product/{product}", kind="manual", title="Keep my title",
                      file=(io.BytesIO(content), name))
    assert response.status_code == 422
    page = text_of(response)
    assert message in page and 'value="Keep my title"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert not new_files()


def test_a_file_over_the_document_limit_is_refused_in_words(as_owner, app, product, monkeypatch):
    from sales.documents import rules

    monkeypatch.setattr(rules, "MAX_DOCUMENT_BYTES", len(PDF) - 1)
    response = attach(as_owner, f"/documents/new/product/{product}", file=(io.BytesIO(PDF), "big.pdf"))
    assert response.status_code == 422 and "This file is larger than" in text_of(response)


def test_a_request_over_the_server_limit_goes_back_to_the_page_with_a_message(as_owner, app, product, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = attach(as_owner, f"/documents/new/product/{product}", file=(io.BytesIO(PDF * 100), "big.pdf"))
    assert response.status_code == 303 and response.location.endswith(f"/catalog/{product}#documents")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    assert "That file is too large. Documents can be up to 12 MB." in text_of(as_owner.get(response.location))


def test_a_too_large_request_elsewhere_gets_a_page_in_words_not_a_500(as_owner, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)
    response = as_owner.post("/customers/new", data={"name": "x" * 500})
    assert response.status_code == 413
    assert "File too large" in text_of(response) and "nothing was saved" in text_of(response)


def test_the_virus_scan_is_off_by_default_and_refuses_what_the_configured_scanner_flags(as_owner, app, product,
                                                                                       monkeypatch, tmp_path):
    assert app.config["UPLOAD_SCAN_COMMAND"] is None
    seen = tmp_path / "scanned"
    # A stand-in scanner: it reads the file from its input and says "infected" (exit 1) for this one.
    monkeypatch.setitem(app.config, "UPLOAD_SCAN_COMMAND", f"sh -c 'cat > {seen}; exit 1'")
    response = attach(as_owner, f"/documents/new/product/{product}", file=(io.BytesIO(PDF), "sheet.pdf"))
    assert response.status_code == 422 and "The virus check found something" in text_of(response)
    assert seen.read_bytes() == PDF
    monkeypatch.setitem(app.config, "UPLOAD_SCAN_COMMAND", "/nonexistent/scanner -")
    response = attach(as_owner, f"/documents/new/product/{product}", file=(io.BytesIO(PDF), "sheet.pdf"))
    assert response.status_code == 422 and "could not be checked for viruses" in text_of(response)
    monkeypatch.setitem(app.config, "UPLOAD_SCAN_COMMAND", "sh -c 'cat > /dev/null'")
    assert attach(as_owner, f"/documents/new/product/{product}",
                  file=(io.BytesIO(PDF), "sheet.pdf")).status_code == 303


# --- With the sale: what each customer link gives, and nothing else ----------------------------------------------


@pytest.fixture
def catalog_with_documents(app):
    """Three products with documents: the bike and the rack are on the quote, the trailer is not.
    Returns {name: {kind: document id}} and the product ids."""
    from sales.documents import rules

    with app.test_request_context():
        made = {}
        for code, name in (("BIKE", "E-City bike"), ("RACK", "Rear rack"), ("TRAILER", "Kid trailer")):
            product = Product(code=code, name=name, unit_price=Decimal("100"), tax_rate=Decimal("21"))
            db.session.add(product)
            db.session.flush()
            made[name] = {"id": product.id}
            for kind in ("datasheet", "manual", "installation", "care", "safety"):
                upload = rules.read_upload(io.BytesIO(PDF), f"{code}-{kind}.pdf") if kind != "care" else None
                document = rules.add_document(product, kind=kind, upload=upload, language="es",
                                              body=None if upload else f"Care of the {name}: wipe it.",
                                              every_months=6 if kind == "care" else None)
                db.session.flush()
                made[name][kind] = document.id
        db.session.commit()
        return made


@pytest.fixture
def sent_quote(app, seller, catalog_with_documents):
    """A quote of the bike and the rack, sent: (quote id, customer id, revision token)."""
    from models import Customer
    from sales.quotes import rules as quote_rules

    with app.test_request_context():
        customer = Customer(name="Bea Ruiz", email="bea@example.com", owner_id=seller.id, language="en")
        db.session.add(customer)
        db.session.flush()
        quote, revision = quote_rules.new_quote(customer, seller.id)
        quote_rules.set_lines(revision, [
            dict(product_id=catalog_with_documents[name]["id"], description=name, quantity=Decimal(1),
                 unit_price=Decimal("100"), discount_percent=Decimal(0), tax_rate=Decimal("21"))
            for name in ("E-City bike", "Rear rack")])
        quote_rules.send(revision)
        db.session.commit()
        return quote.id, customer.id, revision.token


def test_the_acceptance_page_lists_the_quotes_datasheets_and_opens_only_those(client, app, catalog_with_documents,
                                                                              sent_quote):
    docs = catalog_with_documents
    _quote_id, _customer_id, token = sent_quote
    page = client.get(f"/quotes/q/{token}")
    html = page.get_data(as_text=True)
    for name in ("E-City bike", "Rear rack"):
        assert f"/documents/q/{token}/{docs[name]['datasheet']}" in html
        assert f"/documents/q/{token}/{docs[name]['manual']}" not in html      # before the sale: datasheets
    assert str(docs["Kid trailer"]["datasheet"]) not in re.findall(r"/documents/q/[^/]+/(\d+)", html)
    assert "Datasheets" in text_of(page)

    opened = client.get(f"/documents/q/{token}/{docs['E-City bike']['datasheet']}")
    assert opened.status_code == 200 and opened.data == PDF and opened.headers["Cache-Control"] == "no-store"
    # The same link opens nothing else: another product's, a manual before the sale, a made-up token.
    assert client.get(f"/documents/q/{token}/{docs['Kid trailer']['datasheet']}").status_code == 404
    assert client.get(f"/documents/q/{token}/{docs['E-City bike']['manual']}").status_code == 404
    assert client.get(f"/documents/q/not-{token}/{docs['E-City bike']['datasheet']}").status_code == 404
    assert client.get(f"/documents/{docs['E-City bike']['datasheet']}").status_code == 302   # staff page: sign in


def test_once_accepted_the_quotes_page_also_gives_the_manuals_and_care(client, app, catalog_with_documents,
                                                                        sent_quote):
    docs = catalog_with_documents
    _quote_id, _customer_id, token = sent_quote
    client.post(f"/quotes/q/{token}", data={"name": "Bea Ruiz", "decision": "accept"})
    html = client.get(f"/quotes/q/{token}").get_data(as_text=True)
    assert f"/documents/q/{token}/{docs['Rear rack']['manual']}" in html
    care = client.get(f"/documents/q/{token}/{docs['E-City bike']['care']}")
    assert care.status_code == 200 and "Care of the E-City bike: wipe it." in text_of(care)
    assert client.get(f"/documents/q/{token}/{docs['Kid trailer']['manual']}").status_code == 404


def test_the_quote_email_links_its_products_datasheets(client, app, seller, catalog_with_documents, sent_quote):
    from models import OutgoingEmail

    docs = catalog_with_documents
    quote_id, _customer_id, token = sent_quote
    login(client, seller)
    assert client.post(f"/mail/quote/{quote_id}").status_code == 303
    with app.app_context():
        email = db.session.scalar(select(OutgoingEmail).where(OutgoingEmail.about == "quote"))
        body = email.body
    assert "The datasheets of the products:" in body
    for name in ("E-City bike", "Rear rack"):
        assert f"{name} — Datasheet (Spanish): http://localhost/documents/q/{token}/{docs[name]['datasheet']}" in body
    assert "Kid trailer" not in body and f"/{docs['E-City bike']['manual']}\n" not in body
    # Each link in the email opens for the customer, with no account.
    client.post("/logout")
    for url in re.findall(r"http://localhost(/documents/q/\S+)", body):
        assert client.get(url).status_code == 200


def test_the_owner_may_have_the_datasheets_attached_to_the_quote_email(client, app, owner, seller,
                                                                       catalog_with_documents, sent_quote):
    import email

    from models import OutgoingEmail, ShopSetting

    quote_id, _customer_id, _token = sent_quote
    login(client, owner)
    settings = client.get("/quotes/settings")
    assert "Datasheets in the quote's email" in text_of(settings)
    with app.app_context():
        ShopSetting.put("quote_datasheets", "attach")
        db.session.commit()
    assert client.post(f"/mail/quote/{quote_id}").status_code == 303
    with app.app_context():
        sent = db.session.scalar(select(OutgoingEmail).where(OutgoingEmail.about == "quote"))
        message = email.message_from_bytes(sent.raw)
    files = {part.get_filename(): part.get_payload(decode=True) for part in message.walk() if part.get_filename()}
    assert files.pop("Datasheet E-City bike.pdf") == PDF and files.pop("Datasheet Rear rack.pdf") == PDF
    assert list(files) == [f"{sent.subject.split()[1]}-r1.pdf"]     # and the quote itself
    assert "(attached too)" in sent.body


def test_the_portal_shows_the_manuals_and_care_of_what_the_customer_bought(client, app, catalog_with_documents,
                                                                            sent_quote):
    from models import Customer

    docs = catalog_with_documents
    _quote_id, customer_id, token = sent_quote
    client.post(f"/quotes/q/{token}", data={"name": "Bea Ruiz", "decision": "accept"})   # the order
    with app.app_context():
        bea = db.session.get(Customer, customer_id)
        bea.portal_token = "bea-portal-key-" + "x" * 20
        other = Customer(name="Other customer", portal_token="other-portal-key-" + "y" * 20)
        db.session.add(other)
        db.session.commit()
        bea_key, other_key = bea.portal_token, other.portal_token
    portal = client.get(f"/p/{bea_key}")
    html, page = portal.get_data(as_text=True), text_of(portal)
    assert "Manuals and care instructions" in page
    for name in ("E-City bike", "Rear rack"):
        for kind in ("manual", "care", "installation", "safety"):
            assert f"/documents/p/{bea_key}/{docs[name][kind]}" in html
    assert "Kid trailer" not in page
    assert client.get(f"/documents/p/{bea_key}/{docs['E-City bike']['manual']}").data == PDF
    # Not bought, or not theirs: no such document behind this key.
    assert client.get(f"/documents/p/{bea_key}/{docs['Kid trailer']['manual']}").status_code == 404
    assert client.get(f"/documents/p/{other_key}/{docs['E-City bike']['manual']}").status_code == 404
    assert "Manuals and care instructions" not in text_of(client.get(f"/p/{other_key}"))


def test_an_installation_ticket_links_the_products_guide_for_staff_and_customer(client, app, owner, seller,
                                                                              catalog_with_documents, sent_quote):
    from models import Customer, OrderLine, Ticket
    from sales.support import rules as support_rules

    docs = catalog_with_documents
    _quote_id, customer_id, token = sent_quote
    client.post(f"/quotes/q/{token}", data={"name": "Bea Ruiz", "decision": "accept"})
    with app.app_context():
        line = db.session.scalar(select(OrderLine).where(OrderLine.product_id == docs["Rear rack"]["id"]))
        ticket = support_rules.open_ticket(db.session.get(Customer, customer_id), title="Fit the rack",
                                           kind="installation", order_line=line)
        repair = support_rules.open_ticket(db.session.get(Customer, customer_id), title="Noise", kind="repair",
                                           order_line=line)
        db.session.commit()
        ticket_id, ticket_token, repair_id = ticket.id, ticket.public_token, repair.id
    guide = docs["Rear rack"]["installation"]
    customer_page = client.get(f"/support/t/{ticket_token}").get_data(as_text=True)
    assert f"/documents/t/{ticket_token}/{guide}" in customer_page
    assert client.get(f"/documents/t/{ticket_token}/{guide}").status_code == 200
    assert client.get(f"/documents/t/{ticket_token}/{docs['Rear rack']['datasheet']}").status_code == 404
    assert client.get(f"/documents/t/{ticket_token}/{docs['E-City bike']['installation']}").status_code == 404
    login(client, owner)
    assert f"/documents/{guide}" in client.get(f"/support/tickets/{ticket_id}").get_data(as_text=True)
    assert "Start from the product" not in text_of(client.get(f"/support/tickets/{repair_id}"))
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).kind == "installation"


# --- Documents on customers, leads and quotes: the record's own rule ------------------------------------------------


def test_a_seller_attaches_a_signed_order_to_their_lead_and_another_seller_cannot_open_it(
        client, app, make_user, make_customer, make_lead, owner, new_files):
    b = make_user("seller", name="Berta")
    a = make_user("seller", name="Alex")
    customer = make_customer("Carla Gil", owner_id=b.id)
    lead = make_lead(customer, b, title="Cargo bike for the bakery")
    login(client, b)
    response = attach(client, f"/documents/new/lead/{lead.id}", kind="signed_order",
                      photo=(io.BytesIO(jpeg_with_gps()), "IMG_0002.jpg"))
    assert response.status_code == 303 and response.location.endswith(f"/leads/{lead.id}#documents")
    document = only_document(app)
    assert (document.kind, document.lead_id, document.title) == ("signed_order", lead.id, "IMG_0002")
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert f"/documents/{document.id}" in page and 'capture="environment"' in page
    assert "Signed order attached: IMG_0002" in text_of(client.get(f"/customers/{customer.id}"))
    client.post("/logout")

    login(client, a)
    for url, method in ((f"/documents/{document.id}", "GET"), (f"/documents/{document.id}/edit", "GET"),
                        (f"/documents/{document.id}/edit", "POST"), (f"/documents/{document.id}/delete", "POST"),
                        (f"/documents/new/lead/{lead.id}", "POST")):
        assert client.open(url, method=method).status_code == 404, url
    timeline = text_of(client.get(f"/customers/{customer.id}"))
    # B's lead is not A's to see: neither its "new lead" entry nor its document, only counted.
    assert "IMG_0002" not in timeline and "2 more entries belong to colleagues' work" in timeline
    client.post("/logout")
    login(client, owner)
    assert client.get(f"/documents/{document.id}").status_code == 200
    assert only_document(app).title == "IMG_0002" and len(new_files()) == 1


def test_documents_on_customers_and_quotes_follow_their_records_rules(client, app, make_user, make_customer, owner,
                                                                     support, seller, sent_quote):
    quote_id, customer_id, _token = sent_quote
    other = make_user("seller")
    login(client, seller)
    assert attach(client, f"/documents/new/quote/{quote_id}", kind="supplier_offer",
                  file=(io.BytesIO(PDF), "supplier.pdf")).status_code == 303
    assert attach(client, f"/documents/new/customer/{customer_id}", kind="plan",
                  file=(io.BytesIO(png()), "garage.png")).status_code == 303
    with app.app_context():
        offer, plan = (db.session.scalar(select(Document).where(Document.kind == kind))
                       for kind in ("supplier_offer", "plan"))
        offer_id, plan_id = offer.id, plan.id
    quote_page = client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert f"/documents/{offer_id}" in quote_page and "Attachments" in quote_page
    assert "supplier" in text_of(client.get(f"/customers/{customer_id}"))    # on the timeline, via the quote
    client.post("/logout")

    # Support sees the quote and the customer, so their documents, but changes neither.
    login(client, support)
    assert client.get(f"/documents/{offer_id}").status_code == 200
    assert client.post(f"/documents/{offer_id}/delete").status_code == 403
    client.post("/logout")
    # Another seller: not their quote (404), the customer is the shop's (seen) but not theirs to change (403).
    login(client, other)
    assert client.get(f"/documents/{offer_id}").status_code == 404
    assert client.get(f"/documents/{plan_id}").status_code == 200
    assert client.post(f"/documents/{plan_id}/delete").status_code == 403
    assert attach(client, f"/documents/new/quote/{quote_id}", file=(io.BytesIO(PDF), "x.pdf")).status_code == 404
    client.post("/logout")
    # The customer's links never open the shop's own files of a quote or a customer.
    with app.app_context():
        from models import Customer

        db.session.get(Customer, customer_id).portal_token = "portal-" + "z" * 30
        db.session.commit()
    assert client.get(f"/documents/q/{_token}/{offer_id}").status_code == 404
    assert client.get(f"/documents/p/portal-{'z' * 30}/{plan_id}").status_code == 404


# --- Care reminders: the plan starts from the care instructions, the reminder carries them -------------------------


def test_a_sold_products_care_interval_starts_its_plan_and_the_reminder_carries_the_instructions(
        client, runner, app, owner, catalog_with_documents, sent_quote):
    from datetime import timedelta

    from models import MaintenancePlan, OutgoingEmail, ShopSetting, Ticket
    from sales.clock import shop_today
    from sales.support.rules import add_months

    docs = catalog_with_documents
    _quote_id, customer_id, token = sent_quote
    with app.app_context():
        # The bike's care comes as a written page (every 6 months, from the fixture) and as a PDF too.
        from sales.documents import rules

        bike = db.session.get(Product, docs["E-City bike"]["id"])
        leaflet = rules.add_document(bike, kind="care", upload=rules.read_upload(io.BytesIO(PDF), "care.pdf"),
                                     title="Battery care leaflet")
        db.session.commit()
        leaflet_id = leaflet.id
    client.post(f"/quotes/q/{token}", data={"name": "Bea Ruiz", "decision": "accept"})
    today = shop_today()
    with app.app_context():
        plans = db.session.scalars(select(MaintenancePlan)).all()
        # Both products' care pages say "every 6 months": a plan each. This test follows the bike's.
        assert len(plans) == 2
        by_product = {plan.order_line.product_id: plan for plan in plans}
        bike_plan = by_product[docs["E-City bike"]["id"]]
        assert bike_plan.every_months == 6 and bike_plan.next_due_on == add_months(today, 6)
        assert bike_plan.customer_id == customer_id
        # Six months on, the plan is due.
        bike_plan.next_due_on = today - timedelta(days=1)
        for other in plans:
            if other is not bike_plan:
                db.session.delete(other)
        ShopSetting.put("public_base_url", "https://shop.example/")
        db.session.commit()

    result = runner.invoke(args=["maintenance-due"])
    assert result.exit_code == 0, result.output
    assert "1 maintenance ticket(s) opened." in result.output and "1 reminder email(s) queued." in result.output
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        email = db.session.scalar(select(OutgoingEmail).where(OutgoingEmail.about == "ticket"))
        # Written in the shop's language (a cron job has no reader's): the product and the ticket's tag say what.
        assert email.to_address == "bea@example.com" and "E-City bike" in email.subject
        assert f"[{ticket.number}:" in email.subject
        assert "Care of the E-City bike: wipe it." in email.body
        assert f"https://shop.example/documents/t/{ticket.public_token}/{leaflet_id}" in email.body
        ticket_token = ticket.public_token
    assert client.get(f"/documents/t/{ticket_token}/{leaflet_id}").data == PDF
    assert client.get(f"/documents/t/{ticket_token}/{docs['Rear rack']['care']}").status_code == 404


def test_planning_maintenance_by_hand_starts_from_the_care_instructions(as_owner, app, catalog_with_documents):
    from datetime import date

    from models import Customer, Order, OrderLine
    from sales.support.rules import add_months

    docs = catalog_with_documents
    sold_on = date(2025, 1, 10)
    with app.app_context():
        customer = Customer(name="Dani Roca")
        order = Order(number="O-CARE-1", customer=customer, ordered_on=sold_on, delivered_on=sold_on)
        order.lines.append(OrderLine(product_id=docs["E-City bike"]["id"], description="E-City bike",
                                     quantity=Decimal(1), unit_price=Decimal("100"), line_total=Decimal("100")))
        db.session.add(order)
        db.session.commit()
        customer_id, line_id = customer.id, order.lines[0].id
    page = as_owner.get(f"/support/maintenance/new?customer_id={customer_id}&line={line_id}")
    html = page.get_data(as_text=True)
    assert re.search(r'<input[^>]*name="every_months"[^>]*value="6"', html)
    from sales.clock import shop_today

    expected = add_months(sold_on, 6)
    while expected < shop_today():
        expected = add_months(expected, 6)
    assert f'value="{expected.isoformat()}"' in html
    assert "From the product's care instructions" in text_of(page)
