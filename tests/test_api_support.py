"""The API's orders and tickets: what was sold (read-only, amounts as decimal strings in the order's currency)
and after-sale requests with their conversation — with the record rules of the orders and ticket pages."""
from datetime import timedelta
from decimal import Decimal

import pytest

from extensions import db
from models import Order, OrderLine, Product, Ticket, TicketMessage
from sales.clock import shop_today
from tests.api_client import api, token_for  # noqa: F401 (fixtures)


@pytest.fixture
def sell(app):
    """sell(customer, seller, quantity, price): an order of that many e-bikes, as the till or a quote makes it."""
    numbers = iter(range(1, 1000))

    def make(customer, seller, quantity="1", price="1499.90", currency="EUR", days_ago=0):
        with app.app_context():
            product = db.session.query(Product).filter_by(code="EB1").one_or_none() or Product(
                code="EB1", name="E-bike", unit_price=Decimal(price), tax_rate=Decimal("21"), warranty_months=24)
            net = (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"))
            tax = (net * Decimal("0.21")).quantize(Decimal("0.01"))
            order = Order(number=f"O-{shop_today().year}-{next(numbers):04d}", customer_id=customer.id,
                          seller_id=seller.id if seller else None, currency=currency,
                          ordered_on=shop_today() - timedelta(days=days_ago), subtotal=net, tax_total=tax,
                          total=net + tax)
            order.lines.append(OrderLine(position=1, product=product, description="E-bike",
                                         quantity=Decimal(quantity), unit_price=Decimal(price), line_total=net,
                                         tax_rate=Decimal("21"), warranty_months=24, serial_number="SN-1"))
            db.session.add(order)
            db.session.commit()
            return order.id, order.lines[0].id, net, tax

    return make


def test_orders_are_read_with_their_lines_in_their_own_currency(api, seller, make_customer, sell):
    ana = make_customer("Ana García", owner_id=seller.id)
    old_id, _, _, _ = sell(ana, seller, days_ago=40)
    order_id, line_id, net, tax = sell(ana, seller, quantity="2", currency="USD")
    as_seller = api(seller)
    order = as_seller.get(f"/api/v1/orders/{order_id}").json
    assert (order["currency"], order["subtotal"], order["tax_total"], order["total"]) == (
        "USD", str(net), str(tax), str(net + tax))
    line = order["lines"][0]
    assert (line["id"], line["quantity"], line["line_total"], line["serial_number"]) == (line_id, "2.000", str(net),
                                                                                         "SN-1")
    listed = as_seller.get("/api/v1/orders").json["items"]
    assert [o["id"] for o in listed] == [old_id, order_id] and listed[1] == order
    since = (shop_today() - timedelta(days=7)).isoformat()
    assert [o["id"] for o in as_seller.get(f"/api/v1/orders?ordered_from={since}").json["items"]] == [order_id]


def test_a_seller_never_sees_another_sellers_orders(api, seller, make_user, make_customer, sell):
    other = make_user("seller")
    theirs, _, _, _ = sell(make_customer("Bea Ruiz", owner_id=other.id), other)
    mine, _, _, _ = sell(make_customer("Ana García", owner_id=seller.id), seller)
    as_seller = api(seller)
    assert as_seller.get(f"/api/v1/orders/{theirs}").status_code == 404
    assert [o["id"] for o in as_seller.get("/api/v1/orders").json["items"]] == [mine]
    assert len(api(other).get("/api/v1/orders").json["items"]) == 1


def test_a_ticket_is_opened_about_a_sale_and_answered(api, app, seller, support, make_customer, sell):
    ana = make_customer("Ana García", owner_id=seller.id)
    _, line_id, _, _ = sell(ana, seller, days_ago=100)
    as_seller = api(seller)
    opened = as_seller.post("/api/v1/tickets", json={"customer_id": ana.id, "title": "Rear brake squeaks",
                                                     "kind": "repair", "priority": "high",
                                                     "order_line_id": line_id})
    assert opened.status_code == 201, opened.json
    ticket = opened.json
    assert (ticket["status"], ticket["serial_number"], ticket["messages"]) == ("new", "SN-1", [])
    assert ticket["number"] == f"T-{ticket['id']:05d}"
    with app.app_context():
        from sales.support.rules import due_at_for

        stored = db.session.get(Ticket, ticket["id"])
        assert stored.due_at == due_at_for(stored.created_at, "high")
    # Answering is after-sale's job: the seller follows the ticket, support writes in it.
    assert as_seller.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "Hi"}).status_code == 403
    as_support = api(support)
    reply = as_support.post(f"/api/v1/tickets/{ticket['id']}/messages",
                            json={"body": "Bring it in on Monday.", "public": True})
    assert reply.status_code == 201 and reply.json["is_public"] and reply.json["author_id"] == support.id
    note = as_support.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "Pads worn."})
    assert note.status_code == 201 and not note.json["is_public"]
    assert as_support.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": " "}).status_code == 422
    read = as_seller.get(f"/api/v1/tickets/{ticket['id']}").json
    assert read["status"] == "in_progress"
    assert [(m["body"], m["is_public"]) for m in read["messages"]] == [("Bring it in on Monday.", True),
                                                                        ("Pads worn.", False)]
    assert [t["id"] for t in as_support.get("/api/v1/tickets").json["items"]] == [ticket["id"]]
    assert as_support.get("/api/v1/tickets?view=closed").json["items"] == []
    assert [t["id"] for t in as_support.get("/api/v1/tickets?q=brake").json["items"]] == [ticket["id"]]


def test_a_seller_cannot_read_or_add_to_another_sellers_ticket(api, app, seller, support, make_user, make_customer,
                                                              sell):
    other = make_user("seller")
    bea = make_customer("Bea Ruiz", owner_id=other.id)
    _, their_line, _, _ = sell(bea, other)
    theirs = api(other).post("/api/v1/tickets", json={"customer_id": bea.id, "title": "Bea's flat tyre",
                                                      "order_line_id": their_line}).json
    as_seller = api(seller)
    assert as_seller.get(f"/api/v1/tickets/{theirs['id']}").status_code == 404
    assert as_seller.get("/api/v1/tickets?view=all").json["items"] == []
    assert as_seller.get("/api/v1/tickets?view=all&q=Bea").json["items"] == []
    # Nor open one about that seller's sale.
    refused = as_seller.post("/api/v1/tickets", json={"customer_id": bea.id, "title": "Mine",
                                                      "order_line_id": their_line})
    assert refused.status_code == 422 and refused.json["errors"][0]["pointer"] == "/body/order_line_id"
    assert api(support).post("/api/v1/tickets", json={"customer_id": bea.id, "title": "x",
                                                      "assignee_id": 999999}).status_code == 422
    with app.app_context():
        assert db.session.query(TicketMessage).count() == 0 and db.session.query(Ticket).count() == 1


def test_the_new_lists_run_a_few_queries_whatever_the_page_size(api, app, owner, make_customer, make_lead, sell,
                                                                 count_queries):
    with app.app_context():
        product = Product(code="HL1", name="Helmet", unit_price=Decimal("59.95"), tax_rate=Decimal("10"))
        db.session.add(product)
        db.session.commit()
        product_id = product.id
    as_owner = api(owner)
    for n in range(12):
        customer = make_customer(f"Customer {n}")
        lead = make_lead(customer, owner)
        sell(customer, owner)
        as_owner.post("/api/v1/contacts", json={"customer_id": customer.id, "lead_id": lead.id, "goal": "Call"})
        as_owner.post("/api/v1/inquiries", json={"customer_id": customer.id, "question": "Red?"})
        as_owner.post("/api/v1/quotes", json={"customer_id": customer.id, "lines": [
            {"product_id": product_id, "quantity": 1}, {"description": "Fitting", "quantity": 1, "unit_price": "9"}]})
        as_owner.post("/api/v1/tickets", json={"customer_id": customer.id, "title": "Squeak"})
    for resource in ("contacts", "inquiries", "quotes", "orders", "tickets"):
        for limit in (3, 12):
            url = f"/api/v1/{resource}?limit={limit}"
            with count_queries() as queries:
                response = as_owner.get(url)
            assert response.status_code == 200 and len(response.json["items"]) == limit, url
            # The token, its rate window, the page, and one query for nested rows (revisions, lines).
            assert len(queries) <= 5, (url, len(queries), queries)
