"""Accent- and case-blind search: the header's search page and the customer, lead and ticket lists."""
from datetime import date

import pytest

from extensions import db
from models import Customer, Order, Product, Quote
from sales.global_search import PER_GROUP, search_everything
from sales.leads.rules import SELLERS_SEE_ALL
from sales.support import rules as support_rules
from tests.conftest import login, text_of

DOMINGUEZ = ["Lucía Domínguez", "DOMÍNGUEZ Hermanos S.L.", "Pedro Domínguez Ruiz", "Talleres Domínguez",
             "Ana María Domínguez", "José DOMÍNGUEZ", "Bicis Domínguez-Sanz"]
LOPEZ = ["Marta López", "López y Cía", "Juan LÓPEZ"]


@pytest.fixture
def shop(app, owner, seller, make_user, make_customer, make_lead):
    """Customers, leads, a quote, an order, a ticket and a product, as a shop would have them."""
    other = make_user("seller", name="Otra Vendedora")
    customers = {name: make_customer(name) for name in DOMINGUEZ + LOPEZ}
    customers["gutierrez"] = make_customer("Gutiérrez Bicicletas", phone="91 149 19 78")
    customers["plain"] = make_customer("Rafael Gutierrez", mobile="612 345 678")
    make_customer("Eva Pardo", email="eva@pardo.example")
    mine = make_lead(customers["Marta López"], seller, title="Bici eléctrica de paseo")
    theirs = make_lead(customers["Juan LÓPEZ"], other, title="Eléctrica de carga, privada")
    with app.app_context():
        quote = Quote(number="Q-2026-0042", customer_id=customers["gutierrez"].id, seller_id=seller.id)
        order = Order(number="O-2026-0007", customer_id=customers["plain"].id, seller_id=seller.id,
                      ordered_on=date(2026, 3, 1))
        product = Product(code="EBK-CITY", name="E-bike Urbana Eléctrica", unit_price=2199)
        db.session.add_all([quote, order, product])
        ticket = support_rules.open_ticket(db.session.get(Customer, customers["Lucía Domínguez"].id),
                                           title="Freno que chirría")
        db.session.commit()
        ids = {"quote": quote.id, "order": order.id, "ticket": ticket.id, "ticket_number": ticket.number,
               "product": product.id}
    return {"customers": customers, "mine": mine, "theirs": theirs, "other": other, **ids}


def _found(client, typed):
    return text_of(client.get("/search", query_string={"q": typed}))


@pytest.mark.parametrize("typed", ["dominguez", "DOMINGUEZ", "Domínguez", "domínguez"])
def test_dominguez_finds_all_seven_whatever_the_accents_and_capitals(client, owner, shop, typed):
    login(client, owner)
    page = _found(client, typed)
    assert all(name in page for name in DOMINGUEZ)


@pytest.mark.parametrize("typed", ["gutierrez", "GUTIÉRREZ", "Gutiérrez", "gutiérrez"])
def test_gutierrez_with_or_without_the_accent(client, owner, shop, typed):
    login(client, owner)
    page = _found(client, typed)
    assert "Gutiérrez Bicicletas" in page and "Rafael Gutierrez" in page


def test_lopez_finds_the_three_lopez(client, owner, shop):
    login(client, owner)
    page = _found(client, "lopez")
    assert all(name in page for name in LOPEZ) and "Eva Pardo" not in page


def test_electrica_finds_the_lead_and_the_product(client, owner, shop):
    login(client, owner)
    page = _found(client, "electrica")
    assert "Bici eléctrica de paseo" in page and "E-bike Urbana Eléctrica" in page


@pytest.mark.parametrize("typed", ["91 149", "911 49 19", "+34 91 149", "0034 911491", "34911"])
def test_part_of_a_phone_with_or_without_the_prefix(client, owner, shop, typed):
    login(client, owner)
    page = _found(client, typed)
    assert "Gutiérrez Bicicletas" in page and "Rafael Gutierrez" not in page


def test_quote_and_order_numbers_and_customers(client, owner, shop):
    login(client, owner)
    page = client.get("/search", query_string={"q": "Q-2026-0042"}).get_data(as_text=True)
    assert f'href="/quotes/{shop["quote"]}"' in page
    assert "O-2026-0007" in _found(client, "O-2026-0007")
    by_customer = _found(client, "rafael gutierrez")         # the order of that customer
    assert "O-2026-0007" in by_customer


@pytest.mark.parametrize("typed", ["ticket_number", "id", "chirria"])
def test_a_ticket_by_number_or_title(client, owner, shop, typed):
    login(client, owner)
    words = {"ticket_number": shop["ticket_number"], "id": str(shop["ticket"]), "chirria": "chirría"}[typed]
    page = client.get("/search", query_string={"q": words}).get_data(as_text=True)
    assert f'href="/support/tickets/{shop["ticket"]}"' in page and "Freno que chirría" in page


def test_a_seller_does_not_find_another_sellers_private_lead(client, app, seller, shop):
    with app.app_context():
        from models import ShopSetting

        ShopSetting.put(SELLERS_SEE_ALL, "0")
        db.session.commit()
    login(client, seller)
    page = _found(client, "electrica")
    assert "Bici eléctrica de paseo" in page and "Eléctrica de carga, privada" not in page
    assert "Eléctrica de carga, privada" not in text_of(client.get("/leads/", query_string={"q": "electrica"}))


def test_support_finds_customers_and_tickets_but_no_leads(client, support, shop):
    login(client, support)
    page = _found(client, "lopez")
    assert "Marta López" in page and "Bici eléctrica" not in page


def test_a_word_in_many_records_shows_the_newest_first(app, owner, make_customer):
    """More matches than a group shows: the newest ones, newest first (on PostgreSQL the common word walks the
    index backwards, a rare one is sorted; both must give this order)."""
    names = [f"Ciclos Rivera {letter}" for letter in "ABCDEFGHIJKL"]
    for name in names:
        make_customer(name)
    with app.test_request_context():
        found = search_everything(db.session.get(type(owner), owner.id), "RIVERA")
    groups = {str(label): hits for label, hits in found}
    assert [hit.label for hit in groups["Customers"]] == names[::-1][:PER_GROUP]


def test_a_short_word_typed_beside_a_long_one_still_has_to_match(client, owner, shop):
    """"lopez j": the one-letter word narrows the López to Juan (on PostgreSQL it is checked, not looked up)."""
    login(client, owner)
    found = _found(client, "lopez j")
    assert "Juan LÓPEZ" in found and "Marta López" not in found and "López y Cía" not in found


def test_a_typed_word_is_found_at_the_start_of_words_only(client, owner, shop):
    login(client, owner)
    assert "Nothing found for “minguez”." in _found(client, "minguez")
    assert "Lucía Domínguez" in _found(client, "domin")


def test_the_index_follows_every_change(client, app, owner, shop):
    login(client, owner)
    with app.app_context():
        customer = db.session.query(Customer).filter_by(name="Talleres Domínguez").one()
        customer.name = "Talleres Núñez"
        db.session.commit()
    assert "Talleres Núñez" in _found(client, "nunez")
    assert "Talleres" not in _found(client, "talleres dominguez")
    with app.app_context():
        db.session.delete(db.session.query(Customer).filter_by(name="Talleres Núñez").one())
        db.session.commit()
    assert "Talleres" not in _found(client, "nunez")


def test_the_owner_s_own_fields_find_the_record(client, app, owner, shop):
    """A sector typed into a custom field ("Náutica") finds its customer like its name does, accents aside."""
    login(client, owner)
    with app.app_context():
        customer = db.session.query(Customer).filter_by(name="Talleres Domínguez").one()
        customer.custom = {"sector": "Náutica deportiva", "has_a_workshop": "yes"}
        db.session.commit()
    assert "Talleres Domínguez" in _found(client, "nautica")
    assert "Talleres Domínguez" not in _found(client, "yes")


def test_the_lists_search_the_same_way(client, owner, shop):
    login(client, owner)
    customers = text_of(client.get("/customers/", query_string={"q": "DOMINGUEZ"}))
    assert all(name in customers for name in DOMINGUEZ)
    leads = text_of(client.get("/leads/", query_string={"q": "electrica"}))
    assert "Bici eléctrica de paseo" in leads
    tickets = text_of(client.get("/support/", query_string={"q": "chirria", "view": "all"}))
    assert "Freno que chirría" in tickets


def test_search_page_works_without_javascript_and_as_a_fragment(client, owner, shop):
    login(client, owner)
    plain = client.get("/search?q=lopez")
    html = plain.get_data(as_text=True)
    assert plain.status_code == 200 and "<html" in html and 'action="/search"' in html
    assert "Customers" in text_of(plain) and "Leads" in text_of(plain)
    fragment = client.get("/search?q=lopez", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Marta López" in fragment
    empty = text_of(client.get("/search?q=zzzzqx"))
    assert "Nothing found for “zzzzqx”." in empty


def test_the_header_has_the_search_box(client, owner):
    login(client, owner)
    html = client.get("/").get_data(as_text=True)
    assert 'role="search"' in html and 'action="/search"' in html


def test_one_search_costs_at_most_five_queries(app, owner, shop, count_queries):
    from flask_login import login_user

    with app.test_request_context():
        login_user(db.session.get(type(owner), owner.id))
        user = db.session.get(type(owner), owner.id)
        with count_queries() as queries:
            groups = search_everything(user, "gutierrez")
        assert groups and len(queries) <= 5, queries


@pytest.mark.parametrize("typed", ["x" * 5000, " ".join(["12"] * 3000), "é" * 3000 + " garcia"])
def test_a_search_of_any_length_answers(as_owner, make_customer, typed):
    """PostgreSQL refuses a tsquery word over 2 047 bytes: nothing typed may turn into a server error."""
    make_customer("Ana García")
    assert as_owner.get("/search", query_string={"q": typed}).status_code == 200
    assert as_owner.get("/customers/", query_string={"q": typed}).status_code == 200


def test_a_customers_quotes_and_orders_newest_first_each_once(app, owner, seller, make_customer):
    """A name found on many quotes and orders: the newest numbers of both kinds, in order, none twice — also
    the quote whose number and customer both match."""
    rivera = make_customer("Ciclos Rivera")
    with app.app_context():
        quotes = [Quote(number=f"Q-2026-{n:04d}", customer_id=rivera.id, seller_id=seller.id) for n in range(1, 11)]
        quotes.append(Quote(number="Q-2026-RIVERA", customer_id=rivera.id, seller_id=seller.id))
        orders = [Order(number=f"O-2026-{n:04d}", customer_id=rivera.id, seller_id=seller.id,
                        ordered_on=date(2026, 3, n)) for n in range(1, 4)]
        db.session.add_all(quotes + orders)
        db.session.commit()
        every = sorted([q.number for q in quotes] + [o.number for o in orders], reverse=True)
    with app.test_request_context():
        found = dict(search_everything(db.session.get(type(owner), owner.id), "rivera"))
    labels = [hit.label for label, hits in found.items() if str(label) == "Quotes and orders" for hit in hits]
    assert labels == every[:PER_GROUP]


def test_a_seller_finds_the_tickets_of_their_customers_only(app, seller, make_user, make_customer):
    other = make_user("seller")
    theirs, mine = make_customer("Ana Ruiz", owner_id=other.id), make_customer("Eva Ruiz", owner_id=seller.id)
    with app.app_context():
        for customer, title in ((theirs, "Rueda descentrada, de Ana"), (mine, "Rueda descentrada, de Eva")):
            support_rules.open_ticket(db.session.get(Customer, customer.id), title=title)
        db.session.commit()
    with app.test_request_context():
        found = dict(search_everything(db.session.get(type(seller), seller.id), "rueda descentrada"))
    assert [hit.detail for label, hits in found.items() if str(label) == "Tickets" for hit in hits] == ["Eva Ruiz"]


@pytest.mark.parametrize("word", ["garcia", "GARCÍA", "Núñez", "ÑANDÚ", "Müller", "Çelik", "Đorđe", "straße",
                                  "Øre", "œuvre", "Ĳssel", "Việt", "İzmir", "क़लम", "٣٤", "x_y", "T00042"])
def test_a_word_folded_here_is_folded_as_the_database_folds_it(app, word):
    """search_index.folded_here() writes the query itself instead of asking PostgreSQL's search_fold(): where it
    answers, it must answer what the database would (else a word would find nothing)."""
    from sqlalchemy import text

    from sales.search_index import folded_here

    folded = folded_here(word)
    assert folded is None or folded.isascii() and folded.isalnum()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("search_fold() is PostgreSQL's")
        theirs = db.session.execute(text("SELECT btrim(search_fold(:word))"), {"word": word}).scalar()
    assert folded is None or folded == theirs


def test_a_two_character_word_beside_a_long_one_narrows_the_search(client, owner, make_customer):
    """"cliente 12": on PostgreSQL the two-digit word is looked up too (it is the narrow one), and must still
    match the start of a word."""
    for name in ("Cliente 12 Norte", "Cliente 34 Sur", "Cliente 512"):
        make_customer(name)
    login(client, owner)
    for page in (_found(client, "cliente 12"), text_of(client.get("/customers/", query_string={"q": "cliente 12"}))):
        assert "Cliente 12 Norte" in page and "Cliente 34 Sur" not in page and "Cliente 512" not in page
