"""The record rules reach the last kinds that were checked by role only: customer inquiries, maintenance plans,
the new-ticket form's list of sales and the sellers' report figures. Seller A against seller B's shop."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Customer, Inquiry, MaintenancePlan, Order, OrderLine, Ticket
from tests.conftest import text_of
from tests.record_shop import as_role, build_shop, shop, sign_in  # noqa: F401 (fixtures)
from sales.clock import shop_today

QUESTION = "How much is the cargo bike?"   # the inquiry of B's customer in tests/record_shop.py


# --- Inquiries -----------------------------------------------------------------------------------------------------


def test_inquiry_of_b_customer_is_not_listed_opened_or_answered_by_seller_a(as_role, shop, app):
    a = as_role("seller_a")
    inquiry_id = shop["Inquiry"]
    assert QUESTION not in a.get("/leads/inquiries/?show=all").get_data(as_text=True)
    assert a.get(f"/leads/inquiries/{inquiry_id}").status_code == 404
    assert a.post(f"/leads/inquiries/{inquiry_id}", data={"answer": "Taken over"}).status_code == 404
    assert a.get(f"/quotes/new?inquiry_id={inquiry_id}").status_code == 404
    assert QUESTION not in text_of(a.get(f"/customers/{shop['customer']}"))
    with app.app_context():
        assert db.session.get(Inquiry, inquiry_id).answer is None
    # B, who looks after the customer, and support see and answer it; the owner sees it.
    for role in ("seller_b", "support", "owner"):
        assert QUESTION in as_role(role).get("/leads/inquiries/?show=all").get_data(as_text=True), role
        assert QUESTION in text_of(as_role(role).get(f"/customers/{shop['customer']}")), role
    assert "Save answer and close" in as_role("seller_b").get(f"/leads/inquiries/{inquiry_id}").get_data(as_text=True)
    answered = as_role("support").post(f"/leads/inquiries/{inquiry_id}", data={"answer": "1.299 €"})
    assert answered.status_code == 303
    with app.app_context():
        assert db.session.get(Inquiry, inquiry_id).answer == "1.299 €"


def test_inquiries_of_customers_nobody_looks_after_are_every_sellers_and_a_taken_one_stays_with_its_taker(
        as_role, shop, app):
    with app.app_context():
        walk_in = Customer(name="Walk-in Wanda")
        db.session.add(walk_in)
        db.session.flush()
        db.session.add(Inquiry(customer_id=walk_in.id, kind="availability", question="Do you have size M?"))
        db.session.commit()
    for role in ("seller_a", "seller_b"):
        assert "Do you have size M?" in as_role(role).get("/leads/inquiries/").get_data(as_text=True), role
    # Seller A takes down a question from B's customer at the counter: A keeps seeing it, B sees it too.
    a = as_role("seller_a")
    saved = a.post(f"/leads/inquiries/new/{shop['customer']}",
                   data={"kind": "delivery", "product_id": "0", "question": "When can it be delivered?"})
    assert saved.status_code == 303
    assert a.get(saved.location).status_code == 200
    assert "When can it be delivered?" in as_role("seller_b").get("/leads/inquiries/").get_data(as_text=True)


# --- Maintenance plans ---------------------------------------------------------------------------------------------


def test_maintenance_plan_of_b_customer_is_not_listed_nor_in_a_calendar_for_seller_a(as_role, shop, app):
    plan_id = shop["MaintenancePlan"]
    a, b = as_role("seller_a"), as_role("seller_b")
    listing = "/support/maintenance?days=365"
    assert "Bea Customer" not in text_of(a.get(listing))
    assert "Bea Customer" in text_of(b.get(listing))
    assert "Bea Customer" in text_of(as_role("support").get(listing))
    assert a.get(f"/calendar/maintenance/{plan_id}.ics").status_code == 404
    assert b.get(f"/calendar/maintenance/{plan_id}.ics").status_code == 200
    # Stopping a plan stays after-sale's work (a role: 403 for any seller).
    assert a.post(f"/support/maintenance/{plan_id}/stop").status_code == 403
    assert b.post(f"/support/maintenance/{plan_id}/stop").status_code == 403
    with app.app_context():
        assert db.session.get(MaintenancePlan, plan_id).active


# --- The new-ticket form's sales ------------------------------------------------------------------------------------


def _a_sale_to_b_customer(app, shop):
    """Seller A once sold the same customer a helmet: A's sale, B's customer."""
    with app.app_context():
        order = Order(number="O-2026-0002", customer_id=shop["customer"], seller_id=shop["seller_a"],
                      ordered_on=shop_today() - timedelta(days=3), total=Decimal("60.50"))
        order.lines.append(OrderLine(position=1, description="Helmet A-sold", quantity=Decimal(1),
                                     unit_price=Decimal("50.00"), line_total=Decimal("50.00"), warranty_months=24))
        db.session.add(order)
        db.session.commit()
        return order.lines[0].id, db.session.scalar(select(OrderLine.id).join(Order).where(
            Order.seller_id == shop["seller_b"]))


def test_new_ticket_form_offers_only_the_sales_the_user_may_see(as_role, shop, app):
    a_line, b_line = _a_sale_to_b_customer(app, shop)
    url = f"/support/tickets/new?customer_id={shop['customer']}"
    form_a = as_role("seller_a").get(url).get_data(as_text=True)
    assert "Helmet A-sold" in form_a and "O-2026-0001" not in form_a
    form_b = as_role("seller_b").get(url).get_data(as_text=True)
    assert "O-2026-0001" in form_b and "Helmet A-sold" not in form_b
    form_support = as_role("support").get(url).get_data(as_text=True)
    assert "O-2026-0001" in form_support and "Helmet A-sold" in form_support
    # Naming B's sale anyway is a field error, and no ticket about it is opened by A.
    data = {"order_line_id": str(b_line), "title": "Brakes squeak", "kind": "repair", "priority": "normal",
            "assignee_id": "0"}
    refused = as_role("seller_a").post(url, data=data)
    assert refused.status_code == 422 and "Brakes squeak" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Ticket).where(Ticket.title == "Brakes squeak")) is None
    assert as_role("seller_a").post(url, data=dict(data, order_line_id=str(a_line))).status_code == 303


# --- Report figures --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["performance", "goals", "funnel", "commissions", "products"])
def test_a_seller_reads_their_own_figures_and_never_another_sellers(as_role, shop, page):
    a = as_role("seller_a")
    assert a.get(f"/manage/{page}?seller={shop['seller_b']}").status_code == 403
    own = text_of(a.get(f"/manage/{page}"))
    assert "seller_b person" not in own
    assert as_role("seller_b").get(f"/manage/{page}?seller={shop['seller_b']}").status_code == 200
    assert as_role("owner").get(f"/manage/{page}?seller={shop['seller_b']}").status_code == 200


def test_the_dashboard_goals_of_a_seller_are_their_own_and_the_owner_sees_everyones(as_role, shop):
    # B has a revenue goal this month (tests/record_shop.py); A has none and does not see B's.
    assert "seller_b person" not in text_of(as_role("seller_a").get("/"))
    assert "seller_b person" in text_of(as_role("owner").get("/"))
