"""Documents: a product's datasheet, manual, installation guide, care and safety instructions (files or written
pages), files on customers, leads and quotes — checked by content, cleaned of their location, kept by the record
rules, and given to the customer only through the links they already hold."""
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models import PRODUCT_DOCUMENT_KINDS, Document, Product
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


def attach(client, url, **fields):
    data = {"kind": fields.pop("kind", "datasheet"), "language": fields.pop("language", ""), **fields}
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
    response = as_owner.post(f"/documents/{document.id}/edit", data={
        "kind": kind, "language": "en", "title": "Updated", "version": document.version,
        "file": (io.BytesIO(png()), "new.png")}, content_type="multipart/form-data")
    assert response.status_code == 303
    replaced = only_document(app)
    assert (replaced.title, replaced.language, replaced.content_type) == ("Updated", "en", "image/png")
    assert not old_path.exists() and as_owner.get(f"/documents/{document.id}").mimetype == "image/png"

    response = as_owner.post(f"/documents/{document.id}/delete")
    assert response.status_code == 303 and response.location.endswith(f"/catalog/{product}#documents")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert not stored_path(app, replaced).exists()
    assert as_owner.get(f"/documents/{document.id}").status_code == 404


def test_a_written_page_is_shown_in_paragraphs_and_care_says_how_often(as_owner, app, product):
    body = "Clean the chain every month.\n\nCheck the tyre pressure <b>weekly</b>."
    response = attach(as_owner, f"/documents/new/product/{product}", kind="care", body=body, every_months="6")
    assert response.status_code == 303
    document = only_document(app)
    assert document.stored_name is None and document.every_months == 6
    html = as_owner.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "<p>Clean the chain every month.</p>" in html and "&lt;b&gt;weekly&lt;/b&gt;" in html
    assert "service every 6 months" in text_of(as_owner.get(f"/catalog/{product}"))

    response = as_owner.post(f"/documents/{document.id}/edit", data={
        "kind": "care", "language": "", "title": document.title, "version": document.version,
        "body": "Oil the chain.", "every_months": "12"})
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
    assert client.post(f"/documents/{document.id}/edit", data={"kind": "manual"}).status_code == 403
    assert client.post(f"/documents/{document.id}/delete").status_code == 403
    assert only_document(app).kind == "datasheet"
    client.post("/logout")
    assert client.get(f"/documents/{document.id}").status_code == 302


def test_a_stale_edit_is_refused_with_the_typed_values_kept(as_owner, app, product):
    attach(as_owner, f"/documents/new/product/{product}", body="First words.", kind="manual")
    document = only_document(app)
    response = as_owner.post(f"/documents/{document.id}/edit", data={
        "kind": "manual", "language": "", "title": "Mine", "version": document.version - 1, "body": "Typed."})
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
    assert response.status_code == 413 and "That file is too large" in text_of(response)


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
