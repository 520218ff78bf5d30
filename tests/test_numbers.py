"""Numbers read the way the user's language writes them, in every form that takes one."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import NoResultFound

from extensions import db
from models import CommissionRule, Concession, DealCompetitor, Goal, Lead, Product, QuoteLine, TicketCharge
from sales.numbers import AmountError, parse_amount
from tests.conftest import login
from sales.clock import shop_today


@pytest.mark.parametrize("text, locale, expected", [
    ("1.200", "es", "1200"),
    ("12.000", "es", "12000"),
    ("1.234,50", "es", "1234.50"),
    ("1.234.567,89", "es", "1234567.89"),
    ("12,5", "es", "12.5"),
    ("1234", "es", "1234"),
    ("1 234,50 €", "es", "1234.50"),         # a space or a currency sign say nothing about the value
    ("21 %", "es", "21"),
    ("−3,5", "es", "-3.5"),                  # the real minus sign pasted from a document
    ("1,200.50", "en", "1200.50"),
    ("$1,200", "en", "1200"),
    ("1.5", "en", "1.5"),
    ("1234.50", "en", "1234.50"),
])
def test_parse_amount_reads_the_languages_notation(text, locale, expected):
    assert parse_amount(text, locale) == Decimal(expected)


@pytest.mark.parametrize("text, locale, meant", [
    ("1.5", "es", ["15", "1,5"]),            # a thousands point or a decimal point? Ask, never guess.
    ("12.00", "es", ["1.200", "12"]),        # a thousands point in the wrong place
    ("1234.50", "es", ["123.450", "1.234,5"]),
    ("12,50", "en", ["1,250", "12.5"]),
    ("1.234,50", "en", ["1.2345", "1,234.5"]),
    ("abc", "es", []),
    ("12,5,0", "es", []),
    ("NaN", "en", []),
])
def test_parse_amount_refuses_what_the_language_does_not_write(text, locale, meant):
    with pytest.raises(AmountError) as refused:
        parse_amount(text, locale)
    assert refused.value.suggestions == meant


def test_parse_amount_is_none_for_blank_text():
    assert parse_amount("  ", "es") is None and parse_amount(None, "en") is None


# Every form that takes an amount: (where it posts, what else it needs, the number's field, where it is stored).
# Each builder gets the test's fixtures and returns those four things.
def _quote_line(f):
    customer = f["make_customer"]()
    data = {"customer_id": str(customer.id), "lead_id": "0",
            "valid_until": (shop_today() + timedelta(days=30)).isoformat(),
            "lines-0-description": "Montaje", "lines-0-quantity": "1", "lines-0-tax_rate": "21"}
    return (f"/quotes/new?customer_id={customer.id}", data, "lines-0-unit_price",
            lambda: db.session.query(QuoteLine).one().unit_price)


def _product(f):
    data = {"code": "EB1", "name": "E-bike", "kind": "product", "unit": "unit", "tax_rate": "21", "active": "1"}
    return "/catalog/new", data, "unit_price", lambda: db.session.query(Product).one().unit_price


def _lead_value(f):
    customer = f["make_customer"]()
    data = {"customer_id": str(customer.id), "title": "Fleet", "source": "walk_in", "seller_id": "0"}
    return "/leads/new", data, "estimated_value", lambda: db.session.query(Lead).one().estimated_value


def _deal(f):
    return f["make_lead"](f["make_customer"](), f["owner"], title="Fleet of 6", stage="Negotiation")


def _concession(f):
    deal = _deal(f)
    return (f"/negotiation/lead/{deal.id}/concessions", {"kind": "discount", "description": "Discount"}, "value",
            lambda: db.session.query(Concession).one().value)


def _competitor_offer(f):
    deal = _deal(f)
    data = {"competitor_id": "0", "new_competitor": "Decathlon", "offer": "Same bikes"}
    return (f"/negotiation/lead/{deal.id}/competitors", data, "offer_value",
            lambda: db.session.query(DealCompetitor).one().offer_value)


def _won_amount(f):
    deal = _deal(f)
    data = {"outcome": "won", "follow_up": "Deliver", "follow_up_on": (shop_today() + timedelta(days=5)).isoformat()}
    return (f"/negotiation/lead/{deal.id}/close", data, "won_amount",
            lambda: db.session.get(Lead, deal.id).won_amount)


def _commission_threshold(f):
    return ("/manage/commissions/rules", {"seller_id": str(f["seller"].id), "category": "", "percent": "8"},
            "threshold", lambda: db.session.query(CommissionRule).one().threshold)


def _goal(f):
    data = {"seller_id": str(f["seller"].id), "period": "2026-03"}
    return ("/manage/goals?period=2026-03", data, "revenue",
            lambda: db.session.query(Goal).filter_by(metric="revenue").one().target)


def _ticket_charge(f):
    from models import Customer
    from sales.support import rules

    customer = f["make_customer"]()
    with f["app"].app_context():
        ticket = rules.open_ticket(db.session.get(Customer, customer.id), title="Squeaky brake")
        db.session.commit()
        ticket_id = ticket.id
    return (f"/support/tickets/{ticket_id}/charges", {"kind": "part", "description": "Brake pads", "quantity": "1"},
            "unit_price", lambda: db.session.query(TicketCharge).one().unit_price)


FORMS = {"quote line": _quote_line, "catalog product": _product, "lead value": _lead_value,
         "concession": _concession, "competitor offer": _competitor_offer, "won amount": _won_amount,
         "commission threshold": _commission_threshold, "goal": _goal, "ticket charge": _ticket_charge}


@pytest.fixture
def number_form(request, app, client, make_user, make_customer, make_lead):
    """(client signed in as an owner speaking `language`, the form's URL, data, field, stored value reader)."""

    def open_form(name, language):
        owner = make_user("owner", language=language)
        seller = make_user("seller")
        login(client, owner)
        fixtures = {"app": app, "owner": owner, "seller": seller, "make_customer": make_customer,
                    "make_lead": make_lead}
        return FORMS[name](fixtures)

    return open_form


@pytest.mark.parametrize("form_name", FORMS)
@pytest.mark.parametrize("language, typed, stored", [
    ("es", "1.200", "1200"),          # the thousands point: one thousand two hundred, not 1,20
    ("es", "1.234,50", "1234.50"),    # thousands point and decimal comma
    ("es", "6,6", "6.60"),
    ("en", "1,200.50", "1200.50"),
    ("en", "6.6", "6.60"),
    ("de", "1.200", "1200"),
    ("hi", "12,34,567.50", "1234567.50"),   # Hindi groups in lakhs
])
def test_each_form_stores_the_number_as_typed(client, app, number_form, form_name, language, typed, stored):
    url, data, field, read = number_form(form_name, language)
    response = client.post(url, data={**data, field: typed})
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        assert read() == Decimal(stored)


@pytest.mark.parametrize("form_name", FORMS)
@pytest.mark.parametrize("language, typed, message", [
    ("es", "1.5", "¿Querías decir “15” o “1,5”?"),
    ("en", "12,50", "Did you mean “1,250” or “12.5”?"),
    ("es", "doce", "No es un número. Escríbelo como 1.200,50."),
])
def test_each_form_refuses_an_ambiguous_number_and_keeps_the_text(client, app, number_form, form_name, language,
                                                                   typed, message):
    url, data, field, read = number_form(form_name, language)
    response = client.post(url, data={**data, field: typed})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'value="{typed}"' in html
    assert f'id="{field}-error"' in html and message in html.replace("&#34;", '"')
    with app.app_context():
        try:
            kept = read()
        except NoResultFound:
            kept = None
        assert kept is None            # nothing was stored


def test_a_stored_number_comes_back_in_the_box_in_the_readers_notation(app, client, make_user):
    login(client, make_user("owner", language="es"))
    client.post("/catalog/new", data={"code": "EB1", "name": "E-bike", "kind": "product", "unit": "unit",
                                      "unit_price": "2.199,5", "tax_rate": "21", "active": "1"})
    with app.app_context():
        product_id = db.session.query(Product).one().id
    html = client.get(f"/catalog/{product_id}").get_data(as_text=True)
    assert 'value="2.199,50"' in html and 'value="21"' in html


@pytest.mark.parametrize("language", ["en", "es", "de", "hi"])
def test_a_big_price_comes_back_in_the_box_as_the_language_writes_it(app, client, make_user, language):
    """Data in = data out in every language: what the box shows is what its reader types, and reads back the
    same (Hindi writes 12,34,567.50; its rules refuse 1,234,567.50)."""
    from babel.numbers import format_decimal
    from sales.numbers import grouping, parse_amount

    typed = format_decimal(Decimal("1234567.50"), format=grouping(language) + ".00", locale=language)
    login(client, make_user("owner", language=language))
    response = client.post("/catalog/new", data={"code": "EB1", "name": "E-bike", "kind": "product", "unit": "unit",
                                                 "unit_price": typed, "tax_rate": "21", "active": "1"})
    assert response.status_code == 303
    with app.app_context():
        product = db.session.query(Product).one()
        assert product.unit_price == Decimal("1234567.50")
    html = client.get(f"/catalog/{product.id}").get_data(as_text=True)
    assert f'value="{typed}"' in html and parse_amount(typed, language) == Decimal("1234567.50")


def test_more_decimals_than_the_column_keeps_are_refused(client, number_form):
    url, data, field, _read = number_form("quote line", "es")
    response = client.post(url, data={**data, field: "12,555"})
    assert response.status_code == 422 and "Usa como mucho 2 decimales." in response.get_data(as_text=True)


@pytest.mark.parametrize("language, shown", [("en", "10.5%"), ("es", "10,5\u00a0%")])
def test_percentages_in_pages_follow_the_readers_notation(app, client, make_user, language, shown):
    login(client, make_user("owner", language=language))
    with app.app_context():
        db.session.add(Product(code="EB1", name="E-bike", unit_price=Decimal("2199"), tax_rate=Decimal("10.5")))
        db.session.commit()
    html = client.get("/catalog/").get_data(as_text=True)
    assert shown in html and "10,5 %" not in html.replace(shown, "")
