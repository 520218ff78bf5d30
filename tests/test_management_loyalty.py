"""Repeat purchase and loyalty on a hand-computed shop, as of 30 June 2026.

            orders (date, amount, category)                       interval  since  →
    Ana     1 Jan, 1 Mar, 1 May 2026 (100 each, Parts)            60 d      60 d   due (on time)
    Bruno   1 Jan, 2 Mar 2025 (500 each, Bikes)                   60 d      485 d  lapsed
    Carla   1 May 2025 (50, Parts)                                —         425 d  lapsed (one purchase > 1 year)
    Dani    1 Jun 2026 (2 000, Bikes); 5 Jul 2026 (after as_of)   —         29 d   neither
    Eva     1 Jun (100, Bikes), 11 Jun 2026 (100, Parts)          10 d      19 d   due (9 days late)
    Fede    1 Apr, 20 Jun 2026 (400 each, Parts)                  80 d      10 d   neither (due in 70 days)
"""
from datetime import date
from decimal import Decimal

import pytest

from extensions import db
from models import Customer, Order, OrderLine, Product
from tests.conftest import login, text_of

AS_OF = date(2026, 6, 30)
HISTORY = {
    "Ana": [((2026, 1, 1), 100, "Parts"), ((2026, 3, 1), 100, "Parts"), ((2026, 5, 1), 100, "Parts")],
    "Bruno": [((2025, 1, 1), 500, "Bikes"), ((2025, 3, 2), 500, "Bikes")],
    "Carla": [((2025, 5, 1), 50, "Parts")],
    "Dani": [((2026, 6, 1), 2000, "Bikes"), ((2026, 7, 5), 500, "Bikes")],
    "Eva": [((2026, 6, 1), 100, "Bikes"), ((2026, 6, 11), 100, "Parts")],
    "Fede": [((2026, 4, 1), 400, "Parts"), ((2026, 6, 20), 400, "Parts")],
}


@pytest.fixture
def shop(app):
    with app.app_context():
        products = {c: Product(code=c, name=c, category=c, unit_price=Decimal("1")) for c in ("Bikes", "Parts")}
        db.session.add_all(products.values())
        n = 0
        for name, orders in HISTORY.items():
            customer = Customer(name=name)
            db.session.add(customer)
            db.session.flush()
            for day, amount, category in orders:
                n += 1
                order = Order(number=f"O-{n}", customer_id=customer.id, ordered_on=date(*day), total=Decimal(amount))
                order.lines.append(OrderLine(product=products[category], description=category, quantity=1,
                                             unit_price=Decimal(amount), line_total=Decimal(amount)))
                db.session.add(order)
        db.session.add(Customer(name="Never bought"))
        db.session.commit()


def test_due_to_buy_again(app, shop):
    from sales.management.loyalty import due_to_buy

    with app.app_context():
        rows = due_to_buy(AS_OF)
    assert [(r["name"], round(r["interval"]), round(r["since"])) for r in rows] == [("Eva", 10, 19), ("Ana", 60, 60)]


def test_lapsed_customers(app, shop):
    from sales.management.loyalty import lapsed

    with app.app_context():
        rows = lapsed(AS_OF)
    assert [(r["name"], r["spent"]) for r in rows] == [("Bruno", Decimal("1000.00")), ("Carla", Decimal("50.00"))]


def _dense_band_scores(values):
    """The documented tie rule, by hand: dense rank among the distinct values, ⌈5 × rank / distinct⌉."""
    distinct = sorted(set(values.values()))
    return {name: -(-5 * (distinct.index(value) + 1) // len(distinct)) for name, value in values.items()}


def test_best_customers_by_rfm_dense_bands(app, shop):
    from sales.management.loyalty import best_customers

    with app.app_context():
        rows = best_customers(AS_OF)
    bought = {name: [o for o in orders if date(*o[0]) <= AS_OF] for name, orders in HISTORY.items()}
    recency = _dense_band_scores({name: max(date(*o[0]) for o in orders) for name, orders in bought.items()})
    frequency = _dense_band_scores({name: len(orders) for name, orders in bought.items()})
    amount = _dense_band_scores({name: sum(o[1] for o in orders) for name, orders in bought.items()})
    assert {r["name"]: (r["recency"], r["frequency"], r["amount"]) for r in rows} == {
        name: (recency[name], frequency[name], amount[name]) for name in HISTORY}
    assert [(r["name"], r["score"]) for r in rows] == [
        ("Fede", 13), ("Dani", 11), ("Ana", 11), ("Eva", 11), ("Bruno", 10), ("Carla", 5)]


def test_rfm_ties_get_the_same_score_whatever_the_customer_id(app, shop):
    """Bruno, Eva and Fede have two orders each; Dani and Carla one each: equal values, equal scores."""
    from sales.management.loyalty import best_customers

    with app.app_context():
        scores = {r["name"]: r for r in best_customers(AS_OF)}
    assert scores["Bruno"]["frequency"] == scores["Eva"]["frequency"] == scores["Fede"]["frequency"] == 4
    assert scores["Dani"]["frequency"] == scores["Carla"]["frequency"] == 2
    assert scores["Ana"]["frequency"] == 5   # the most orders: the top band


def test_cross_sell_bought_one_category_never_the_other(app, shop):
    from sales.management.loyalty import cross_sell

    with app.app_context():
        assert [r["name"] for r in cross_sell("Bikes", "Parts")] == ["Dani", "Bruno"]
        assert [r["name"] for r in cross_sell("Parts", "Bikes")] == ["Fede", "Ana", "Carla"]


def test_nothing_before_the_first_order(app, shop):
    from sales.management.loyalty import best_customers, due_to_buy, lapsed

    with app.app_context():
        early = date(2024, 1, 1)
        assert due_to_buy(early) == [] and lapsed(early) == [] and best_customers(early) == []


def test_loyalty_lists_and_csv(client, owner, shop):
    login(client, owner)
    due = text_of(client.get("/manage/loyalty?period=2026-06"))
    assert "As things stood on Jun 30, 2026." in due
    assert "Eva — 2 Jun 11, 2026 €200.00 10 19 Ana — 3 May 1, 2026 €300.00 60 60" in due
    lapsed = text_of(client.get("/manage/loyalty?period=2026-06&list=lapsed"))
    assert "Bruno — 2 Mar 2, 2025 €1,000.00 60 485 Carla — 1 May 1, 2025 €50.00 — 425" in lapsed
    best = text_of(client.get("/manage/loyalty?period=2026-06&list=best"))
    assert "Fede — 2 Jun 20, 2026 €800.00 5 4 4 13" in best
    cross = text_of(client.get("/manage/loyalty?list=cross_sell&bought=Bikes&never=Parts"))
    assert "Dani — 2 Jul 5, 2026 €2,500.00" in cross and "Bruno" in cross and "Ana" not in cross
    assert "Pick two product categories." in text_of(client.get("/manage/loyalty?list=cross_sell"))
    assert "Due to buy again" in text_of(client.get("/manage/loyalty?list=nonsense"))
    lines = client.get("/manage/loyalty/due.csv?period=2026-06").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines == ["Customer,City,Orders,Last purchase,Spent,Buys every (days),Days since last purchase",
                     "Eva,,2,2026-06-11,200.00,10,19", "Ana,,3,2026-05-01,300.00,60,60"]
    csv = client.get("/manage/loyalty/cross_sell.csv?bought=Bikes&never=Parts").get_data(as_text=True)
    assert "Dani" in csv and "Bruno" in csv and "Ana" not in csv
    assert "<html" not in client.get("/manage/loyalty?list=best", headers={"HX-Request": "true"}).get_data(
        as_text=True)


def test_support_has_no_loyalty_lists(client, support, shop):
    login(client, support)
    assert client.get("/manage/loyalty").status_code == 403
    assert client.get("/manage/loyalty/best.csv").status_code == 403
