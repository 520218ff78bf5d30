"""Customers, the reference feature: list, search, pagination, detail, create, edit, conflicts, archive."""
import pytest

from models import AuditLog, Customer
from tests.conftest import login, text_of


def test_list_shows_customers_with_their_tags(as_seller, make_customer):
    make_customer("Ana García", tags=["vip"], city="Toledo", email="ana@x.example")
    make_customer("Bruno Díaz", city="Getafe")
    page = text_of(as_seller.get("/customers/"))
    assert "Ana García" in page and "Bruno Díaz" in page
    assert "vip" in page and "Toledo" in page
    assert "Showing 1–2 of 2 customers" in page


@pytest.mark.parametrize("query, expected", [
    ("garc", "Ana García"),            # part of the name, any case
    ("ANA@X", "Ana García"),           # email
    ("612 34", "Ana García"),          # phone, typed with other spacing
    ("612-345", "Ana García"),
    ("vip", "Ana García"),             # a tag
    ("pedalea", "Mensajería Pedalea"),
])
def test_search_by_name_email_phone_and_tag(as_seller, make_customer, query, expected):
    make_customer("Ana García", tags=["vip"], email="ana@x.example", mobile="612345678")
    make_customer("Bruno Díaz", email="bruno@y.example", phone="91 555 12 12")
    make_customer("Mensajería Pedalea", kind="company")
    page = text_of(as_seller.get("/customers/", query_string={"q": query}))
    assert expected in page
    others = {"Ana García", "Bruno Díaz", "Mensajería Pedalea"} - {expected}
    assert not any(name in page for name in others)


def test_search_treats_percent_and_underscore_literally(as_seller, make_customer):
    make_customer("Ana García")
    assert "No customer matches" in text_of(as_seller.get("/customers/?q=%25"))
    assert "No customer matches" in text_of(as_seller.get("/customers/?q=_"))


def test_tag_filter(as_seller, make_customer):
    make_customer("Ana García", tags=["vip", "taller"])
    make_customer("Bruno Díaz", tags=["taller"])
    page = text_of(as_seller.get("/customers/?tag=vip"))
    assert "Ana García" in page and "Bruno Díaz" not in page


def test_pagination_keeps_the_search(as_seller, make_customer, app):
    for i in range(30):
        make_customer(f"Cliente {i:02d}", tags=["club"])
    make_customer("Otra Persona")
    first = as_seller.get("/customers/?q=cliente")
    html = first.get_data(as_text=True)
    assert "Page 1 of 2" in text_of(first)
    assert "Cliente 00" in html and "Cliente 25" not in html
    assert 'href="/customers/?q=cliente&amp;page=2"' in html
    second = text_of(as_seller.get("/customers/?q=cliente&page=2"))
    assert "Cliente 25" in second and "Cliente 29" in second and "Otra Persona" not in second
    # A page past the end shows the last page rather than nothing.
    assert "Page 2 of 2" in text_of(as_seller.get("/customers/?q=cliente&page=99"))


def test_list_is_a_fragment_for_htmx_and_a_page_otherwise(as_seller, make_customer):
    make_customer("Ana García")
    full = as_seller.get("/customers/?q=ana")
    fragment = as_seller.get("/customers/?q=ana", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" in full.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Ana García" in text_of(fragment)
    assert "HX-Request" in fragment.headers["Vary"]
    # A history restore or boosted link needs the whole page again.
    restore = as_seller.get("/customers/?q=ana", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    boosted = as_seller.get("/customers/?q=ana", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in restore.get_data(as_text=True)
    assert "<html" in boosted.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/customers/{id}", "/customers/{id}/edit", "/customers/new"])
def test_every_customer_page_has_a_fragment_form(as_seller, make_customer, url):
    customer = make_customer("Ana García")
    url = url.format(id=customer.id)
    full = as_seller.get(url).get_data(as_text=True)
    fragment = as_seller.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in full and "<html" not in fragment
    assert "<h1>" in fragment


def test_list_query_count_does_not_grow_with_rows(as_seller, make_customer, count_queries):
    make_customer("Uno", tags=["a"])
    with count_queries() as few:
        as_seller.get("/customers/")
    for i in range(20):
        make_customer(f"Cliente {i}", tags=["a", "b"], owner_id=None)
    with count_queries() as many:
        as_seller.get("/customers/")
    assert len(many) == len(few)


def test_create_customer(as_seller, seller, fetch, app):
    response = as_seller.post("/customers/new", data={
        "kind": "company", "name": "Club Ciclista Norte", "contact_person": "Eva Pardo",
        "email": "Info@ClubNorte.example", "mobile": "611 22 33 44", "city": "Segovia",
        "tags": "Club, vip,  club", "owner_id": str(seller.id), "notes": "Sale los domingos.",
    })
    assert response.status_code == 303
    page = as_seller.get(response.location)
    text = text_of(page)
    assert "Customer Club Ciclista Norte is saved." in text
    assert "Eva Pardo" in text and "info@clubnorte.example" in text and "Segovia" in text
    customer = fetch(Customer, int(response.location.rsplit("/", 1)[1]))
    assert customer.created_by_id == seller.id and customer.version == 1
    with app.app_context():
        from extensions import db
        assert [t.name for t in db.session.get(Customer, customer.id).tags] == ["club", "vip"]


def test_invalid_form_keeps_values_and_shows_errors_next_to_fields(as_seller):
    response = as_seller.post("/customers/new", data={
        "kind": "person", "name": "", "email": "ana@", "mobile": "12ab", "city": "Toledo",
        "notes": "Quiere una eléctrica", "owner_id": "0",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Toledo"' in html and "Quiere una eléctrica" in html and 'value="ana@"' in html
    assert 'id="name-error"' in html and "Write the customer's name." in html
    assert 'id="email-error"' in html and 'id="mobile-error"' in html
    assert 'aria-invalid="true"' in html


def test_edit_customer_records_the_change_in_the_history(as_seller, make_customer, seller, fetch):
    customer = make_customer("Ana García", city="Toledo")
    form = as_seller.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form
    response = as_seller.post(f"/customers/{customer.id}/edit", data={
        "kind": "person", "name": "Ana García López", "city": "Madrid", "owner_id": "0", "version": "1",
    })
    assert response.status_code == 303
    saved = fetch(Customer, customer.id)
    assert saved.name == "Ana García López" and saved.version == 2 and saved.updated_by_id == seller.id
    detail = text_of(as_seller.get(f"/customers/{customer.id}"))
    assert "City Toledo → Madrid" in detail and "Name Ana García → Ana García López" in detail
    assert "Sam Seller" in detail


def test_second_save_of_the_same_version_is_refused_with_both_versions(app, make_customer, make_user, fetch):
    customer = make_customer("Ana García", city="Toledo", notes="Nota inicial")
    first, second = app.test_client(), app.test_client()
    login(first, make_user("seller", name="Lucía"))
    login(second, make_user("seller", name="Marcos"))
    base = {"kind": "person", "owner_id": "0", "version": "1"}
    assert first.post(f"/customers/{customer.id}/edit",
                      data={**base, "name": "Ana García", "city": "Madrid"}).status_code == 303
    refused = second.post(f"/customers/{customer.id}/edit",
                          data={**base, "name": "Ana G.", "city": "Getafe", "notes": "Mi nota larga"})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    text = text_of(refused)
    assert "Someone else saved this customer while you were editing" in text
    assert "Lucía saved" in text
    assert "Madrid" in text and "Getafe" in text          # theirs and mine, side by side
    assert 'value="Ana G."' in html and "Mi nota larga" in html  # nothing typed is lost
    assert fetch(Customer, customer.id).city == "Madrid"          # and nothing was overwritten
    # Saving again, now knowing about the other change, is a deliberate choice and goes through.
    again = second.post(f"/customers/{customer.id}/edit",
                        data={**base, "version": "2", "name": "Ana G.", "city": "Getafe"})
    assert again.status_code == 303
    assert fetch(Customer, customer.id).city == "Getafe"


def test_archive_and_restore(as_seller, make_customer, seller, fetch):
    customer = make_customer("Ana García", owner_id=seller.id)
    response = as_seller.post(f"/customers/{customer.id}/archive")
    assert response.status_code == 303
    assert fetch(Customer, customer.id).archived_at is not None
    row_link = f'href="/customers/{customer.id}"'
    assert row_link not in as_seller.get("/customers/").get_data(as_text=True)
    archived = as_seller.get("/customers/?show=archived").get_data(as_text=True)
    assert row_link in archived and "Archived" in archived
    as_seller.post(f"/customers/{customer.id}/restore")
    assert fetch(Customer, customer.id).archived_at is None
    assert "Ana García" in text_of(as_seller.get("/customers/"))


def test_seller_cannot_archive_another_sellers_customer(as_seller, make_customer, make_user, fetch):
    other = make_user("seller")
    customer = make_customer("Ana García", owner_id=other.id)
    assert as_seller.post(f"/customers/{customer.id}/archive").status_code == 403
    assert fetch(Customer, customer.id).archived_at is None
    assert "Archive" not in text_of(as_seller.get(f"/customers/{customer.id}"))


def test_there_is_no_delete(as_owner, make_customer):
    customer = make_customer()
    assert as_owner.post(f"/customers/{customer.id}/delete").status_code == 404
    assert as_owner.delete(f"/customers/{customer.id}").status_code == 405


@pytest.mark.parametrize("url", ["/customers/999", "/customers/999/edit"])
def test_unknown_customer_is_a_404_page(as_seller, url):
    response = as_seller.get(url)
    assert response.status_code == 404
    assert "Page not found" in text_of(response)


def test_customer_data_is_escaped(as_seller, make_customer):
    customer = make_customer("<script>alert(1)</script>", notes="<b>bold</b>")
    html = as_seller.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html


def test_pages_with_customer_data_keep_out_of_htmx_history_cache(as_seller, make_customer):
    customer = make_customer()
    assert 'hx-history="false"' in as_seller.get(f"/customers/{customer.id}").get_data(as_text=True)


def test_audit_log_records_who_changed_what(app, as_owner, owner, make_customer):
    customer = make_customer("Ana", tags=["vip"])
    as_owner.post(f"/customers/{customer.id}/edit", data={
        "kind": "person", "name": "Ana", "tags": "vip, taller", "owner_id": str(owner.id), "version": "1"})
    with app.app_context():
        from extensions import db
        rows = {r.field: r for r in db.session.query(AuditLog).filter_by(entity="customers", action="update")}
    assert rows["tags"].old_value == "vip" and rows["tags"].new_value == "taller, vip"
    assert rows["owner_id"].new_value == str(owner.id) and rows["owner_id"].user_id == owner.id
