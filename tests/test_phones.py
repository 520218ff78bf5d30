"""Phone numbers: one number whatever way it was typed, shown the way the shop writes it."""
import pytest

from extensions import db
from models import Customer, Lead
from sales import phones
from tests.conftest import text_of
from tests.test_capture import post_web_form, run_import, upload


@pytest.mark.parametrize("typed", ["91 149 19 78", "+34 91 149 19 78", "0034 911 491 978", "(+34) 911-49-19-78",
                                   "911491978"])
def test_every_way_of_writing_a_number_is_one_number(app, typed):
    with app.app_context():
        assert phones.normalise(typed) == "+34911491978"
        assert phones.display("+34911491978") == "911 49 19 78"


def test_foreign_numbers_keep_their_country(app):
    with app.app_context():
        assert phones.normalise("+44 20 7946 0018") == "+442079460018"
        assert phones.display("+442079460018") == "+44 20 7946 0018"


@pytest.mark.parametrize("typed", ["12345", "911 49 19 7", "abc", "+34 12"])
def test_a_number_that_cannot_be_dialled_is_refused(app, typed):
    with app.app_context():
        with pytest.raises(phones.PhoneError):
            phones.normalise(typed)
        assert phones.match_key(typed) is None


def test_search_digits_hold_the_number_with_and_without_the_prefix(app):
    with app.app_context():
        assert phones.search_digits("+34911491978", None) == "34911491978 911491978"
        assert phones.digits_to_search("0034 91 149") == "3491149"


def _customer_form(**fields):
    return {"kind": "person", "name": "Lucía Domínguez", "owner_id": "0", **fields}


def test_the_customer_form_stores_e164_and_shows_the_national_format(as_seller, app):
    response = as_seller.post("/customers/new", data=_customer_form(mobile="+34 612-345-678"))
    assert response.status_code == 303
    with app.app_context():
        customer = db.session.query(Customer).one()
        assert customer.mobile == "+34612345678"
        customer_id = customer.id
    page = as_seller.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert 'href="tel:+34612345678"' in page and "612 34 56 78" in page
    edit = as_seller.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    assert 'value="612 34 56 78"' in edit


def test_an_invalid_number_is_a_field_error_that_keeps_the_text(as_seller, app):
    response = as_seller.post("/customers/new", data=_customer_form(phone="91 149 19 7"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="phone-error"' in html and 'value="91 149 19 7"' in html
    assert "This is not a valid phone number." in text_of(response)
    with app.app_context():
        assert db.session.query(Customer).count() == 0


@pytest.mark.parametrize("searched", ["91 149", "+34 91 149", "149 19 78", "34911491978"])
def test_part_of_a_number_finds_the_customer_with_or_without_prefix(as_seller, make_customer, searched):
    make_customer("Lucía Domínguez", phone="91 149 19 78")
    make_customer("Pedro Ruiz", phone="612 345 678")
    page = text_of(as_seller.get("/customers/", query_string={"q": searched}))
    assert "Lucía Domínguez" in page and "Pedro Ruiz" not in page


def test_a_new_prospect_with_the_same_number_in_another_format_joins_the_customer(as_seller, seller, app,
                                                                                    make_customer):
    existing = make_customer("Lucía Domínguez", phone="91 149 19 78")
    response = as_seller.post("/leads/new", data={
        "prospect_name": "Lucia Dominguez", "prospect_phone": "+34 911 49 19 78", "title": "Gravel bike",
        "source": "phone", "seller_id": str(seller.id)})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.query(Customer).count() == 1
        assert db.session.query(Lead).one().customer_id == existing.id


def test_the_web_form_matches_a_number_written_with_its_prefix(client, owner, app, make_customer):
    existing = make_customer("Lucía Domínguez", phone="91 149 19 78")
    response = post_web_form(client, name="Lucía", phone="0034 911 491 978", interest="Cargo bike", website="")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.query(Customer).count() == 1
        assert db.session.query(Lead).one().customer_id == existing.id


def test_the_web_form_refuses_a_number_that_cannot_be_dialled(client, owner):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"    # the web form speaks the visitor's browser's language
    response = post_web_form(client, name="Lucía", phone="12345", interest="Cargo bike", website="")
    assert response.status_code == 422 and "This is not a valid phone number." in text_of(response)


def test_an_import_does_not_duplicate_a_customer_whose_number_is_written_differently(as_seller, app,
                                                                                      make_customer):
    existing = make_customer("Lucía Domínguez", phone="91 149 19 78")
    csv_text = ("name;phone;title\n"
                "L. Domínguez;+34 91 149 19 78;E-bike\n"
                "Nuevo Cliente;12345;Helmet\n")
    response = upload(as_seller, csv_text)
    done = text_of(run_import(as_seller, response.location, {"map-customer": "0", "map-phone": "1",
                                                             "map-title": "2", "duplicates": "merge"}))
    assert "1 lead added to an existing customer" in done
    assert "3 phone “12345” is not a phone number." in done
    with app.app_context():
        assert db.session.query(Customer).count() == 1
        assert db.session.query(Lead).one().customer_id == existing.id
