"""vCards: a customer and a segment download as .vcf that vobject (and so a phone) reads back; phone exports in
vCard 3.0 and 4.0, several per file, import through the customer import's duplicate rules."""
import io

import pytest
import vobject
from sqlalchemy import select

from extensions import db
from models import Customer
from sales.connect.vcards import read_vcards
from tests.conftest import login, text_of

# As an iPhone (3.0, grouped items, folded line) and a recent Android (4.0, tel: URIs) export them.
IPHONE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\nN:Pérez;José;;;\r\n"
    "FN:José Pérez\r\nitem1.EMAIL;type=INTERNET;type=pref:JOSE@Example.es\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:600 123 456\r\nTEL;type=HOME;type=VOICE:91 555 12 34\r\n"
    "ADR;type=HOME;type=pref:;;Calle Mayor 3;Madrid;;28013;España\r\nNOTE:Quiere una bici de carretera\\, \r\n"
    " talla 56\r\nCATEGORIES:ciclismo,vip\r\nEND:VCARD\r\n")
ANDROID = (
    "BEGIN:VCARD\nVERSION:4.0\nFN:Priya Sharma\nN:Sharma;Priya;;;\nTEL;TYPE=\"cell,voice\";VALUE=uri:tel:+91-98765-43210\n"
    "EMAIL;TYPE=work:priya@example.in\nORG:Sharma Cycles\nEND:VCARD\n"
    "BEGIN:VCARD\nVERSION:4.0\nFN:Talleres Norte\nORG:Talleres Norte\nTEL;VALUE=uri:tel:+34-944-000-111\nEND:VCARD\n"
    "BEGIN:VCARD\nVERSION:4.0\nN:;;;;\nTEL:+34 600 000 000\nEND:VCARD\n"
    "BEGIN:VCARD\nVERSION:4.0\nFN:Bad Mail\nEMAIL:not-an-address\nEND:VCARD\n")


def upload(client, text, duplicates="merge", name="contacts.vcf"):
    return client.post("/customers/import-vcf", data={"duplicates": duplicates,
                                                     "file": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data")


def test_both_versions_and_several_cards_per_file_are_read(app):
    with app.app_context():
        contacts, problems = read_vcards((IPHONE + ANDROID).encode())
    by_name = {c.name: c for c in contacts}
    assert list(by_name) == ["José Pérez", "Priya Sharma", "Talleres Norte"]
    jose = by_name["José Pérez"]
    assert (jose.email, jose.mobile, jose.phone) == ("jose@example.es", "600 123 456", "91 555 12 34")
    assert (jose.street, jose.postal_code, jose.city, jose.country) == ("Calle Mayor 3", "28013", "Madrid", "España")
    assert jose.notes == "Quiere una bici de carretera, talla 56" and jose.tags == ["ciclismo", "vip"]
    priya = by_name["Priya Sharma"]
    assert (priya.mobile, priya.company, priya.is_company) == ("+91-98765-43210", "Sharma Cycles", False)
    assert by_name["Talleres Norte"].is_company and by_name["Talleres Norte"].phone == "+34-944-000-111"
    assert [number for number, _message in problems] == [4, 5]     # no name; an email that is not one


def test_import_creates_customers_and_merges_the_ones_on_file(as_seller, seller, make_customer, app):
    ana = make_customer("Priya S.", email="PRIYA@example.in", city="Pune")
    response = upload(as_seller, IPHONE + ANDROID)
    page = text_of(response)
    assert response.status_code == 200
    assert "2 new customers, 1 added to customers on file, 0 left out" in page
    assert "not an email address" in page and "without a name" in page
    with app.app_context():
        customers = {c.name: c for c in db.session.scalars(select(Customer))}
        assert set(customers) == {"José Pérez", "Talleres Norte", "Priya S."}
        jose = customers["José Pérez"]
        # Numbers are kept in E.164 (sales/phones.py), whatever way the phone wrote them.
        assert (jose.kind, jose.email, jose.mobile, jose.phone, jose.owner_id) == (
            "person", "jose@example.es", "+34600123456", "+34915551234", seller.id)
        assert jose.tag_names == ["ciclismo", "vip"]
        assert customers["Talleres Norte"].kind == "company"
        priya = customers["Priya S."]
        # Merged by email: what the shop knew stays, what was missing is filled in.
        assert (priya.id, priya.city, priya.mobile) == (ana.id, "Pune", "+919876543210")
    # The seller sees them the way the shop writes numbers, and finds José by either, typed any way.
    card = text_of(as_seller.get(f"/customers/{jose.id}"))
    assert "600 12 34 56" in card and "915 55 12 34" in card
    for typed in ("600 123 456", "+34 91 555", "0034915551234"):
        assert "José Pérez" in text_of(as_seller.get("/customers/", query_string={"q": typed})), typed
    again = upload(as_seller, IPHONE, duplicates="skip")
    assert "0 new customers, 0 added to customers on file, 1 left out" in text_of(again)


def test_a_card_whose_number_is_written_another_way_joins_the_customer_on_file(as_seller, make_customer, app):
    on_file = make_customer("Talleres del Norte", phone="944 00 01 11")
    card = "BEGIN:VCARD\nVERSION:4.0\nFN:Talleres Norte\nTEL;VALUE=uri:tel:+34-944-000-111\nEND:VCARD\n"
    assert "0 new customers, 1 added to customers on file" in text_of(upload(as_seller, card))
    with app.app_context():
        assert [c.id for c in db.session.scalars(select(Customer))] == [on_file.id]


def test_a_file_that_is_no_vcard_is_refused_with_the_form_again(as_seller):
    response = upload(as_seller, "name,email\nAna,ana@example.com\n", name="contacts.csv")
    assert response.status_code == 422 and "not a vCard" in text_of(response)
    assert upload(as_seller, "").status_code == 422
    assert as_seller.get("/customers/import-vcf", headers={"HX-Request": "true"}).status_code == 200


def test_a_customer_downloads_as_a_card_vobject_reads_back(as_seller, make_customer):
    ana = make_customer("Ana García Ruiz", email="ana@example.com", mobile="600 123 456", street="Calle Mayor 3",
                        city="Madrid", postal_code="28013", notes="Prefers WhatsApp; mornings", tags=("vip",))
    response = as_seller.get(f"/customers/{ana.id}.vcf")
    assert response.mimetype == "text/vcard" and "attachment" in response.headers["Content-Disposition"]
    card = vobject.readOne(response.get_data(as_text=True))
    assert card.version.value == "3.0" and card.fn.value == "Ana García Ruiz"
    assert (card.n.value.family, card.n.value.given) == ("García Ruiz", "Ana")
    # The number in E.164, the form a phone dials from anywhere (vCard TEL); the customer was typed "600 123 456".
    assert card.tel.value == "+34600123456" and card.tel.type_param == "CELL"
    assert card.email.value == "ana@example.com"
    assert card.adr.value.city == "Madrid" and card.note.value == "Prefers WhatsApp; mornings"
    assert card.categories.value == ["vip"]
    assert f"/customers/{ana.id}.vcf" in as_seller.get(f"/customers/{ana.id}").get_data(as_text=True)


def test_a_segment_downloads_as_one_file_of_its_customers(client, owner, make_customer, app):
    make_customer("Ana", city="Madrid", email="ana@example.com")
    make_customer("Bruno", city="Madrid")
    make_customer("Carla", city="Toledo")
    with app.app_context():
        from sales.management.segments import save

        segment = save("Madrid", {"city": "Madrid"})
        db.session.commit()
        segment_id = segment.id
    login(client, owner)
    response = client.get(f"/manage/segments/{segment_id}.vcf")
    cards = list(vobject.readComponents(response.get_data(as_text=True)))
    assert [c.fn.value for c in cards] == ["Ana", "Bruno"]
    assert f"/manage/segments/{segment_id}.vcf" in client.get(f"/manage/segments/{segment_id}").get_data(as_text=True)


def test_support_cannot_download_a_segment(client, support, app):
    with app.app_context():
        from sales.management.segments import save

        segment = save("All", {})
        db.session.commit()
        segment_id = segment.id
    login(client, support)
    assert client.get(f"/manage/segments/{segment_id}.vcf").status_code == 403
