"""Quotations: totals to the cent, numbering without gaps, binding sent revisions, the customer's decision,
orders, bad input, suggestions and access."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import get_locale

from extensions import db
from models import Lead, Order, Product, Quote, QuoteRevision
from sales.quotes.totals import document_totals, line_amounts
from tests.conftest import login, stage_id, text_of
from sales.clock import shop_today


# --- Totals, by hand ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("qty, price, disc, tax, net, line_tax", [
    ("1", "100.00", "0", "21", "100.00", "21.00"),
    ("3", "19.99", "0", "21", "59.97", "12.59"),          # 12.5937 → 12.59
    ("1", "0.05", "0", "10", "0.05", "0.01"),             # 0.005 → 0.01 (half up, not banker's)
    ("2", "10.125", "0", "0", "20.25", "0.00"),
    ("1", "33.33", "10", "21", "30.00", "6.30"),          # 29.997 → 30.00
    ("0.5", "12.50", "0", "4", "6.25", "0.25"),
    ("7", "1.15", "15", "21", "6.84", "1.44"),            # 6.8425 → 6.84; 1.4364 → 1.44
    ("1", "2399.00", "100", "21", "0.00", "0.00"),
])
def test_line_amounts_by_hand(qty, price, disc, tax, net, line_tax):
    amounts = line_amounts(Decimal(qty), Decimal(price), Decimal(disc), Decimal(tax))
    assert amounts.net == Decimal(net) and amounts.tax == Decimal(line_tax)


def test_document_totals_are_the_sum_of_rounded_lines():
    lines = [line_amounts(Decimal("3"), Decimal("19.99"), Decimal("0"), Decimal("21")),
             line_amounts(Decimal("1"), Decimal("0.05"), Decimal("0"), Decimal("10"))]
    assert document_totals(lines) == (Decimal("60.02"), Decimal("12.60"), Decimal("72.62"))


# --- Fixtures ------------------------------------------------------------------------------------------------

@pytest.fixture
def catalog(app):
    with app.app_context():
        bike = Product(code="EB1", name="E-bike City", unit_price=Decimal("2199.00"), tax_rate=Decimal("21"),
                       warranty_months=24)
        helmet = Product(code="H1", name="Helmet", unit_price=Decimal("59.90"), tax_rate=Decimal("21"))
        lock = Product(code="L1", name="U-lock", unit_price=Decimal("44.50"), tax_rate=Decimal("21"))
        db.session.add_all([bike, helmet, lock])
        db.session.commit()
        return {"bike": bike.id, "helmet": helmet.id, "lock": lock.id}


def quote_form(customer_id, lead_id=0, **lines):
    data = {"customer_id": str(customer_id), "lead_id": str(lead_id),
            "valid_until": (shop_today() + timedelta(days=30)).isoformat()}
    data.update(lines)
    return data


def create_quote(client, customer, catalog, lead_id=0):
    response = client.post(f"/quotes/new?customer_id={customer.id}", data=quote_form(
        customer.id, lead_id, **{"lines-0-product_id": str(catalog["bike"]), "lines-0-quantity": "1",
                                 "lines-1-product_id": str(catalog["helmet"]), "lines-1-quantity": "2",
                                 "lines-1-discount_percent": "10"}))
    assert response.status_code == 303, text_of(response)
    return int(response.location.rsplit("/", 1)[1])


def customer_link(client, quote_id):
    html = client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    return re.search(r'value="http://localhost(/quotes/q/[^"]+)"', html).group(1)


# --- Drafting and bad input -----------------------------------------------------------------------------------

def test_new_quote_uses_catalog_prices_and_computes_totals(as_seller, make_customer, catalog, app):
    customer = make_customer("Ana García")
    quote_id = create_quote(as_seller, customer, catalog)
    with app.app_context():
        revision = db.session.get(Quote, quote_id).latest
        # 2199.00 + 2 × 59.90 × 0.9 = 2199.00 + 107.82; tax 461.79 + 22.64
        assert (revision.subtotal, revision.tax_total, revision.total) == (
            Decimal("2306.82"), Decimal("484.43"), Decimal("2791.25"))
        assert revision.status == "draft" and revision.lines[0].description == "E-bike City"
    page = text_of(as_seller.get(f"/quotes/{quote_id}"))
    assert "€2,791.25" in page and "Draft" in page


def test_numbering_is_per_year_without_gaps(as_seller, make_customer, catalog, app):
    customer = make_customer()
    ids = [create_quote(as_seller, customer, catalog) for _ in range(3)]
    # A failed save takes no number.
    as_seller.post(f"/quotes/new?customer_id={customer.id}", data=quote_form(customer.id))
    ids.append(create_quote(as_seller, customer, catalog))
    with app.app_context():
        numbers = [db.session.get(Quote, i).number for i in ids]
    year = shop_today().year
    assert numbers == [f"Q-{year}-{n:04d}" for n in (1, 2, 3, 4)]


@pytest.mark.parametrize("field, value, message", [
    ("lines-0-quantity", "-2", "The quantity must be more than 0"),
    ("lines-0-quantity", "1000000", "The quantity must be more than 0"),
    ("lines-0-discount_percent", "150", "A discount is between 0 and 100 %."),
    ("lines-0-unit_price", "abc", "Not a number. Write it like 1,200.50."),
    ("lines-0-unit_price", "12,50", "Did you mean “1,250” or “12.5”?"),
])
def test_bad_lines_are_refused_on_the_field(as_seller, make_customer, catalog, field, value, message):
    customer = make_customer()
    data = quote_form(customer.id, **{"lines-0-product_id": str(catalog["bike"]), "lines-0-quantity": "1",
                                      "need": "Commutes 20 km a day"})
    data[field] = value
    response = as_seller.post(f"/quotes/new?customer_id={customer.id}", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in text_of(response)
    assert f'id="{field}-error"' in html
    assert f'value="{value}"' in html and "Commutes 20 km a day" in html   # nothing lost


def test_a_quotation_larger_than_its_amounts_can_hold_is_refused_with_what_was_typed(as_seller, make_customer):
    """100 000 × 10 000 000 € is a number each box accepts, and more than a quotation's total can hold: a field
    error (never a 500 on PostgreSQL, whose column would refuse it), and the same for many lines together."""
    customer = make_customer()
    one = quote_form(customer.id, **{"lines-0-description": "Fleet", "lines-0-quantity": "100000",
                                     "lines-0-unit_price": "10000000", "lines-0-tax_rate": "21"})
    response = as_seller.post(f"/quotes/new?customer_id={customer.id}", data=one)
    assert response.status_code == 422 and "more than a quotation can hold" in text_of(response)
    assert 'id="lines-0-unit_price-error"' in response.get_data(as_text=True)
    many = quote_form(customer.id)
    for n in range(3):
        many.update({f"lines-{n}-description": f"Depot {n}", f"lines-{n}-quantity": "400",
                     f"lines-{n}-unit_price": "9000000", f"lines-{n}-tax_rate": "0"})
    response = as_seller.post(f"/quotes/new?customer_id={customer.id}", data=many)
    assert response.status_code == 422 and "split it into two" in text_of(response)
    assert 'value="Depot 2"' in response.get_data(as_text=True)


def test_spanish_comma_prices_are_understood(as_seller, make_customer, app):
    customer = make_customer()
    response = as_seller.post(f"/quotes/new?customer_id={customer.id}", data=quote_form(
        customer.id, **{"lines-0-description": "Montaje", "lines-0-quantity": "1",
                        "lines-0-unit_price": "1.234,50", "lines-0-tax_rate": "21"}),
        headers={"Accept-Language": "es-ES"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.query(QuoteRevision).one().subtotal == Decimal("1234.50")


def test_a_quote_needs_a_line(as_seller, make_customer):
    customer = make_customer()
    response = as_seller.post(f"/quotes/new?customer_id={customer.id}", data=quote_form(customer.id))
    assert response.status_code == 422
    assert "A quotation needs at least one line." in text_of(response)


# --- Binding documents, revisions -----------------------------------------------------------------------------

def test_sent_quote_is_never_edited_a_change_makes_a_revision(as_seller, make_customer, catalog, app):
    customer = make_customer()
    quote_id = create_quote(as_seller, customer, catalog)
    assert as_seller.post(f"/quotes/{quote_id}/send").status_code == 303
    # Editing a sent revision is refused.
    refused = as_seller.post(f"/quotes/{quote_id}/edit", data=quote_form(
        customer.id, **{"lines-0-description": "Hack", "lines-0-quantity": "1", "lines-0-unit_price": "1"}))
    # Refused as a conflict: what was typed comes back on the page, the sent revision stays as it was.
    assert refused.status_code == 409 and 'value="Hack"' in refused.get_data(as_text=True)
    with app.app_context():
        first = db.session.query(QuoteRevision).filter_by(number=1).one()
        assert first.total == Decimal("2791.25") and first.status == "sent"
    as_seller.post(f"/quotes/{quote_id}/revise")
    edit_page = as_seller.get(f"/quotes/{quote_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit_page).group(1)
    assert 'value="E-bike City"' in edit_page  # revision 2 starts as a copy of revision 1
    response = as_seller.post(f"/quotes/{quote_id}/edit", data=quote_form(
        customer.id, version=version, **{"lines-0-product_id": str(catalog["bike"]), "lines-0-quantity": "1",
                                      "lines-0-discount_percent": "5",
                                      "lines-1-product_id": str(catalog["lock"]), "lines-1-quantity": "1"}))
    assert response.status_code == 303, text_of(response)
    as_seller.post(f"/quotes/{quote_id}/send")
    with app.app_context():
        revisions = {r.number: r for r in db.session.query(QuoteRevision)}
        assert revisions[1].status == "superseded" and revisions[1].total == Decimal("2791.25")
        assert revisions[2].status == "sent"
    page = text_of(as_seller.get(f"/quotes/{quote_id}/r/2"))
    assert "What changed since revision 1" in page
    assert "+ U-lock" in page and "− Helmet" in page
    assert "E-bike City: Discount 0% → 5%" in page.replace(" :", ":")
    assert "€2,791.25" in text_of(as_seller.get(f"/quotes/{quote_id}/r/1"))   # still viewable


def test_customer_accepts_by_link_order_is_made_and_lead_won(as_seller, seller, make_customer, make_lead,
                                                             catalog, app, client):
    customer = make_customer("Ana García", language="en")
    lead = make_lead(customer, seller, title="Commuter e-bike", stage="Qualified")
    quote_id = create_quote(as_seller, customer, catalog, lead_id=lead.id)
    as_seller.post(f"/quotes/{quote_id}/send")
    link = customer_link(as_seller, quote_id)
    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "€2,791.25" in text_of(page) and page.headers["Cache-Control"] == "no-store"
    missing = visitor.post(link, data={"decision": "accept", "name": ""})
    assert missing.status_code == 422 and "Type your name to confirm." in text_of(missing)
    assert visitor.post(link, data={"decision": "accept", "name": "Ana García"}).status_code == 303
    assert "You accepted this quotation" in text_of(visitor.get(link))
    with app.app_context():
        revision = db.session.query(QuoteRevision).one()
        assert revision.status == "accepted" and revision.decided_by_name == "Ana García"
        assert revision.decided_from == "127.0.0.1" and revision.decided_at is not None
        order = db.session.query(Order).one()
        assert order.total == Decimal("2791.25") and order.number == f"O-{shop_today().year}-0001"
        assert [l.warranty_months for l in order.lines] == [24, None]
        assert db.session.get(Lead, lead.id).stage_id == stage_id(app, "Won")
    timeline = text_of(as_seller.get(f"/customers/{customer.id}"))
    assert "accepted by Ana García" in timeline and "Order O-" in timeline
    # Once decided, the link cannot decide again.
    assert visitor.post(link, data={"decision": "decline", "name": "X"}).status_code == 409


def test_superseded_and_expired_links_say_so_and_show_nothing_else(as_seller, make_customer, catalog, app):
    customer = make_customer(language="en")
    quote_id = create_quote(as_seller, customer, catalog)
    as_seller.post(f"/quotes/{quote_id}/send")
    old_link = customer_link(as_seller, quote_id)
    as_seller.post(f"/quotes/{quote_id}/revise")
    as_seller.post(f"/quotes/{quote_id}/send")
    old = app.test_client().get(old_link)
    assert "This quotation was replaced" in text_of(old) and "2,791.25" not in text_of(old)
    new_link = customer_link(as_seller, quote_id)
    with app.app_context():
        revision = db.session.query(QuoteRevision).filter_by(status="sent").one()
        revision.valid_until = shop_today() - timedelta(days=1)
        db.session.commit()
    expired = app.test_client().get(new_link)
    assert "This quotation has expired" in text_of(expired) and "2,791.25" not in text_of(expired)
    assert app.test_client().post(new_link, data={"decision": "accept", "name": "Late"}).status_code == 409
    assert app.test_client().get("/quotes/q/not-a-token").status_code == 404


def test_decline_with_a_reason(as_seller, make_customer, catalog, app):
    customer = make_customer()
    quote_id = create_quote(as_seller, customer, catalog)
    as_seller.post(f"/quotes/{quote_id}/send")
    link = customer_link(as_seller, quote_id)
    app.test_client().post(link, data={"decision": "decline", "name": "Ana", "reason": "Too expensive"})
    with app.app_context():
        revision = db.session.query(QuoteRevision).one()
        assert revision.status == "declined" and revision.decline_reason == "Too expensive"


def test_pdf_download(as_seller, make_customer, catalog):
    customer = make_customer("Ana García")
    quote_id = create_quote(as_seller, customer, catalog)
    response = as_seller.get(f"/quotes/{quote_id}/r/1.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")


def test_inquiry_becomes_a_draft_quote_with_its_product(as_seller, make_customer, catalog, app):
    from models import Inquiry

    customer = make_customer()
    with app.app_context():
        inquiry = Inquiry(customer_id=customer.id, product_id=catalog["bike"], kind="price",
                          question="How much is the e-bike?", answer="2199", answered_at=shop_today())
        db.session.add(inquiry)
        db.session.commit()
        inquiry_id = inquiry.id
    assert "Make a quote from this inquiry" in text_of(as_seller.get(f"/leads/inquiries/{inquiry_id}"))
    form = as_seller.get(f"/quotes/new?inquiry_id={inquiry_id}").get_data(as_text=True)
    assert f'<option selected value="{catalog["bike"]}">' in form or \
        re.search(rf'<option[^>]*value="{catalog["bike"]}"[^>]*selected', form) or \
        re.search(rf'<option selected[^>]*value="{catalog["bike"]}"', form)
    assert "How much is the e-bike?" in form


def test_suggestions_come_from_what_other_customers_bought(as_seller, make_customer, catalog, app):
    from models import OrderLine

    buyer, customer = make_customer("Buyer"), make_customer("Ana")
    with app.app_context():
        order = Order(number="O-2020-0001", customer_id=buyer.id, ordered_on=date(2020, 1, 1))
        order.lines = [OrderLine(position=1, product_id=catalog["bike"], description="E-bike", quantity=1,
                                 unit_price=1, line_total=1),
                       OrderLine(position=2, product_id=catalog["lock"], description="U-lock", quantity=1,
                                 unit_price=1, line_total=1)]
        db.session.add(order)
        db.session.commit()
    form = as_seller.post(f"/quotes/new?customer_id={customer.id}", data=quote_form(
        customer.id, **{"lines-0-product_id": str(catalog["bike"]), "lines-0-quantity": "1", "more": "1"}))
    assert "Customers who bought these also bought:" in text_of(form) and "U-lock" in text_of(form)


def test_support_reads_quotes_but_cannot_make_them(client, make_user, make_customer, catalog):
    login(client, make_user("support"))
    assert client.get("/quotes/").status_code == 200
    customer = make_customer()
    assert client.post(f"/quotes/new?customer_id={customer.id}", data=quote_form(customer.id)).status_code == 403


def test_catalog_import_with_the_public_sample(as_owner, app):
    import io
    from pathlib import Path

    sample = Path(__file__).resolve().parent / "data" / "crm-sales-opportunities" / "products.csv"
    response = as_owner.post("/catalog/import", data={"file": (io.BytesIO(sample.read_bytes()), "products.csv")},
                             content_type="multipart/form-data")
    assert "7 new products, 0 updated." in text_of(response)
    with app.app_context():
        gtx = db.session.query(Product).filter_by(name="GTX Pro").one()
        assert gtx.unit_price == Decimal("4821") and gtx.category == "GTX"


def test_only_the_owner_edits_the_catalog(as_seller):
    assert as_seller.get("/catalog/new").status_code == 403
    assert as_seller.get("/catalog/").status_code == 200


def _png():
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\xff\x00" * 2))
            + chunk(b"IEND", b""))


def test_shop_logo_is_kept_in_the_database_and_shown_on_quotes_and_pdf(as_owner, make_customer, catalog, app):
    import io

    from models import ShopSetting

    details = {"shop_name": "Bicis Sol", "address": "Calle Luna 1", "tax_id": "B123", "currency": "EUR",
               "quote_validity_days": "30", "quote_terms": ""}
    refused = as_owner.post("/quotes/settings", data={**details, "logo": (io.BytesIO(b"not a picture"), "logo.png")},
                            content_type="multipart/form-data")
    assert refused.status_code == 422 and "PNG or JPEG" in text_of(refused)
    saved = as_owner.post("/quotes/settings", data={**details, "logo": (io.BytesIO(_png()), "logo.png")},
                          content_type="multipart/form-data")
    assert saved.status_code == 303
    with app.app_context():
        assert ShopSetting.get("shop_logo_type") == "png"
    logo = as_owner.get("/quotes/shop-logo")
    assert logo.mimetype == "image/png" and logo.data == _png()
    quote_id = create_quote(as_owner, make_customer(), catalog)
    assert 'src="/quotes/shop-logo"' in as_owner.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert as_owner.get(f"/quotes/{quote_id}/r/1.pdf").data.startswith(b"%PDF")


def test_a_shop_in_rupees_shows_its_quotes_in_lakhs_to_a_hindi_reader(as_owner, make_user, make_customer, catalog,
                                                                       app):
    from babel.numbers import format_currency

    details = {"shop_name": "साइकिल भंडार", "address": "FC Road, Pune", "tax_id": "", "currency": "INR",
               "quote_validity_days": "30", "quote_terms": ""}
    assert as_owner.post("/quotes/settings", data=details).status_code == 303
    with app.app_context():
        db.session.get(Product, catalog["bike"]).unit_price = Decimal("1234567.50")
        db.session.commit()
    quote_id = create_quote(as_owner, make_customer(), catalog)
    with app.app_context():
        total = db.session.get(Quote, quote_id).latest.total
    as_owner.post("/logout")
    login(as_owner, make_user("owner", language="hi"))
    page = text_of(as_owner.get(f"/quotes/{quote_id}"))
    shown = format_currency(total, "INR", locale="hi")
    assert re.fullmatch(r"₹\d{1,2},\d\d,\d{3}\.\d\d", shown)     # in lakhs: ₹14,93,957.14
    assert shown in page


# --- The PDF: drawn once for a sent revision ----------------------------------------------------------------------

@pytest.fixture
def drawings(monkeypatch):
    """The list of revisions drawn as a PDF (the documents kept are not drawn again)."""
    from sales.quotes import documents

    drawn = []
    draw = documents.draw_revision_pdf

    def counting(quote, revision):
        drawn.append(revision.number)
        return draw(quote, revision)

    monkeypatch.setattr(documents, "draw_revision_pdf", counting)
    return drawn


def test_a_sent_revisions_pdf_is_drawn_once_and_served_the_same(as_seller, make_customer, catalog, app, drawings,
                                                               count_queries):
    quote_id = create_quote(as_seller, make_customer("Ana García"), catalog)
    as_seller.post(f"/quotes/{quote_id}/send")
    first = as_seller.get(f"/quotes/{quote_id}/r/1.pdf")
    with count_queries() as queries:
        second = as_seller.get(f"/quotes/{quote_id}/r/1.pdf")
    assert first.data.startswith(b"%PDF") and second.data == first.data and drawings == [1]
    assert not any("INSERT" in statement for statement in queries)
    public = app.test_client().get(customer_link(as_seller, quote_id) + ".pdf")
    assert public.mimetype == "application/pdf" and public.data == first.data and drawings == [1]

    as_seller.post(f"/quotes/{quote_id}/revise")
    draft = [as_seller.get(f"/quotes/{quote_id}/r/2.pdf").data for _ in range(2)]
    assert drawings == [1, 2, 2] and draft[0].startswith(b"%PDF")      # a draft can change: drawn each time
    as_seller.post(f"/quotes/{quote_id}/send")
    revised = as_seller.get(f"/quotes/{quote_id}/r/2.pdf").data
    assert revised != first.data and as_seller.get(f"/quotes/{quote_id}/r/2.pdf").data == revised
    assert drawings == [1, 2, 2, 2]
    assert as_seller.get(f"/quotes/{quote_id}/r/1.pdf").data == first.data and drawings == [1, 2, 2, 2]


def test_fonts_parsed_once_per_process_make_the_same_pdf_as_fpdf2s_add_font(as_seller, make_customer, catalog,
                                                                           app, monkeypatch):
    from sales import pdf as pdf_fonts
    from sales.quotes import documents

    # Greek from the body font, Devanagari from its fallback (added on first use), shaped by HarfBuzz.
    quote_id = create_quote(as_seller, make_customer("Ana García · Ωμέγα · श्री क्षमा"), catalog)
    as_seller.post(f"/quotes/{quote_id}/send")
    with app.test_request_context():
        quote = db.session.get(Quote, quote_id)
        once = [documents.draw_revision_pdf(quote, quote.latest) for _ in range(2)]
        monkeypatch.setattr(pdf_fonts, "add_font", lambda pdf, family, style, path: pdf.add_font(family, style, path))
        parsed_each_time = documents.draw_revision_pdf(quote, quote.latest)
    assert once[0] == once[1] == parsed_each_time


def test_two_servers_drawing_the_same_sent_pdf_at_once_both_answer_it(as_seller, make_customer, catalog, app,
                                                                     monkeypatch):
    from models import QuoteRevisionPdf
    from sales.quotes import documents

    quote_id = create_quote(as_seller, make_customer("Ana García"), catalog)
    as_seller.post(f"/quotes/{quote_id}/send")
    draw = documents.draw_revision_pdf

    def other_server_keeps_it_first(quote, revision):
        content = draw(quote, revision)
        with db.engine.begin() as other:      # drawn in the customer's language, as this server draws it
            other.execute(QuoteRevisionPdf.__table__.insert().values(
                revision_id=revision.id, language=str(get_locale()), content=content, created_at=revision.sent_at))
        return content

    monkeypatch.setattr(documents, "draw_revision_pdf", other_server_keeps_it_first)
    response = as_seller.get(f"/quotes/{quote_id}/r/1.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    monkeypatch.setattr(documents, "draw_revision_pdf", draw)
    assert as_seller.get(f"/quotes/{quote_id}/r/1.pdf").data == response.data
    with app.app_context():
        assert db.session.query(QuoteRevisionPdf).count() == 1
