"""Every list and detail operation of the API runs at most 5 SQL statements, whatever the page size: the token
with its user, the rate-limit count, the page (keyset), and at most two IN queries for what hangs from its rows
(tags, lines, messages) or the owner's custom fields — never one query per row (no N+1)."""
from datetime import timedelta
from decimal import Decimal

import pytest

from extensions import db
from models import Order, OrderLine, Product, Promise
from sales import custom_fields
from sales.clock import shop_today
from tests.api_client import api, token_for  # noqa: F401 (fixtures)

PAGE = 50
MAX_QUERIES = 5


@pytest.fixture
def busy_shop(app, owner, seller, make_customer, make_lead, api, monkeypatch):
    """More than a page of everything, made by the seller (so their lists are full too), with custom fields."""
    monkeypatch.setitem(app.config, "API_RATE_PER_MINUTE", 100_000)
    with app.app_context():
        for entity, label, kind in (("customer", "Revenue", "number"), ("customer", "Sector", "text"),
                                    ("lead", "Budget", "number")):
            custom_fields.define(entity, label, kind)
        db.session.commit()
    as_seller = api(seller)
    customers = []
    for n in range(PAGE + 2):
        made = as_seller.post("/api/v1/customers", json={"name": f"Customer {n}", "tags": ["vip", f"t{n % 3}"],
                                                         "custom_fields": {"revenue": n, "sector": "Retail"}})
        assert made.status_code == 201, made.json
        customers.append(made.json["id"])
    customer = make_customer("Ana García", owner_id=seller.id)
    leads = [make_lead(customer, seller, title=f"Lead {n}", stage="Contacted", custom={"budget": "100"}).id
             for n in range(PAGE + 2)]
    with app.app_context():
        product = Product(code="EB1", name="E-bike", unit_price=Decimal("1000"), tax_rate=Decimal("21"))
        db.session.add(product)
        db.session.add_all(Product(code=f"P{n}", name=f"Part {n}", unit_price=Decimal("9.90"), category="Parts")
                           for n in range(PAGE + 2))
        orders = []
        for n in range(PAGE + 2):
            order = Order(number=f"O-2026-{n + 1:04d}", customer_id=customer.id, seller_id=seller.id,
                          ordered_on=shop_today(), subtotal=Decimal("1000"), tax_total=Decimal("210"),
                          total=Decimal("1210"))
            order.lines.append(OrderLine(position=1, product=product, description="E-bike", quantity=Decimal(1),
                                         unit_price=Decimal("1000"), line_total=Decimal("1000"),
                                         tax_rate=Decimal("21")))
            order.lines.append(OrderLine(position=2, description="Fitting", quantity=Decimal(1),
                                         unit_price=Decimal("0"), line_total=Decimal("0"), tax_rate=Decimal("21")))
            db.session.add(order)
            db.session.flush()
            db.session.add(Promise(order_id=order.id, seller_id=seller.id, description="Deliver",
                                   due_on=shop_today() + timedelta(days=n % 5)))
            orders.append(order.id)
        db.session.commit()
        product_id = product.id
    for n in range(PAGE + 2):
        for path, body in (("contacts", {"customer_id": customer.id, "lead_id": leads[n], "goal": "Call back"}),
                           ("inquiries", {"customer_id": customer.id, "question": "Is it in stock?"}),
                           ("quotes", {"customer_id": customer.id, "lines": [
                               {"product_id": product_id, "quantity": "1"},
                               {"description": "Fitting", "quantity": "1", "unit_price": "20.00", "tax_rate": "21"}]}),
                           ("tickets", {"customer_id": customer.id, "title": "Squeaks"})):
            made = as_seller.post(f"/api/v1/{path}", json=body)
            assert made.status_code == 201, (path, made.json)
            if path == "tickets":
                as_seller.post(f"/api/v1/tickets/{made.json['id']}/messages", json={"body": "Bring it in"})
    with app.app_context():
        from models import ContactLog, Inquiry, Quote, Ticket

        first = {model.__name__: db.session.query(model.id).order_by(model.id).first()[0]
                 for model in (ContactLog, Inquiry, Quote, Ticket, Promise)}
    return {"customer": customers[0], "lead": leads[0], "order": orders[0], "product": product_id, **first}


def _lists(shop):
    return [f"/api/v1/customers?limit={PAGE}", f"/api/v1/customers?limit={PAGE}&q=customer",
            f"/api/v1/leads?limit={PAGE}", f"/api/v1/contacts?limit={PAGE}", f"/api/v1/inquiries?limit={PAGE}",
            f"/api/v1/quotes?limit={PAGE}", f"/api/v1/orders?limit={PAGE}", f"/api/v1/tickets?limit={PAGE}",
            f"/api/v1/products?limit={PAGE}", f"/api/v1/promises?limit={PAGE}",
            f"/api/v1/promises?limit={PAGE}&customer_id={shop['customer']}&show=all"]


def _details(shop):
    return [f"/api/v1/customers/{shop['customer']}", f"/api/v1/leads/{shop['lead']}",
            f"/api/v1/leads/{shop['lead']}/moves", f"/api/v1/contacts/{shop['ContactLog']}",
            f"/api/v1/inquiries/{shop['Inquiry']}", f"/api/v1/quotes/{shop['Quote']}",
            f"/api/v1/quotes/{shop['Quote']}/revisions/1", f"/api/v1/orders/{shop['order']}",
            f"/api/v1/tickets/{shop['Ticket']}", f"/api/v1/products/{shop['product']}",
            f"/api/v1/promises/{shop['Promise']}"]


@pytest.mark.parametrize("who", ["owner", "seller"])
def test_every_list_and_detail_runs_at_most_five_queries(api, busy_shop, count_queries, owner, seller, who,
                                                          monkeypatch):
    from sales import clock

    # One minute throughout: a request that opens a new rate window also notes the token's use (two statements
    # more), and on a loaded machine the warm-up and the counted request could fall either side of a minute.
    moment = clock.source()
    monkeypatch.setattr(clock, "source", lambda: moment)
    client = api(owner if who == "owner" else seller)
    for url in _lists(busy_shop) + _details(busy_shop):
        client.get(url)                       # this minute's rate window exists from here on
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.json)
        if "limit=" in url and "show=all" not in url and "q=" not in url:
            assert len(response.json["items"]) == PAGE and response.json["next"], url   # a full page indeed
        assert len(queries) <= MAX_QUERIES, (who, url, len(queries), queries)
