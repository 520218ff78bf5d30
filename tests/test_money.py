"""Money in the currency it was made in: switching the shop's currency never relabels old documents."""
from datetime import date, timedelta

from extensions import db
from models import Customer, ShopSetting, Ticket
from sales.support import rules as support_rules
from tests.conftest import login, text_of
from sales.clock import shop_today


def _switch_currency(app, currency):
    with app.app_context():
        ShopSetting.put("currency", currency)
        db.session.commit()


def test_a_quote_made_in_euros_stays_in_euros_after_the_shop_switches_to_dollars(app, client, owner, make_customer):
    customer = make_customer()
    login(client, owner)
    response = client.post(f"/quotes/new?customer_id={customer.id}", data={
        "customer_id": str(customer.id), "lead_id": "0",
        "valid_until": (shop_today() + timedelta(days=30)).isoformat(),
        "lines-0-description": "Montaje", "lines-0-quantity": "1", "lines-0-unit_price": "4744.90",
        "lines-0-tax_rate": "21"})
    assert response.status_code == 303
    quote_page = response.location
    _switch_currency(app, "USD")
    page = text_of(client.get(quote_page))
    assert "€5,741.33" in page and "$5,741.33" not in page
    assert "€5,741.33" in text_of(client.get("/quotes/"))
    # New quotes are made in the new currency.
    client.post(f"/quotes/new?customer_id={customer.id}", data={
        "customer_id": str(customer.id), "lead_id": "0",
        "valid_until": (shop_today() + timedelta(days=30)).isoformat(),
        "lines-0-description": "Revisión", "lines-0-quantity": "1", "lines-0-unit_price": "100",
        "lines-0-tax_rate": "21"})
    listing = text_of(client.get("/quotes/"))
    assert "€5,741.33" in listing and "$121.00" in listing


def test_ticket_charges_keep_their_currency_and_mixed_totals_are_kept_apart(app, client, owner, make_customer):
    customer = make_customer()
    with app.app_context():
        ticket = support_rules.open_ticket(db.session.get(Customer, customer.id), title="Squeaky brake")
        db.session.commit()
        ticket_id = ticket.id
    login(client, owner)
    client.post(f"/support/tickets/{ticket_id}/charges", data={"kind": "part", "description": "Brake pads",
                                                               "quantity": "2", "unit_price": "14.50"})
    _switch_currency(app, "USD")
    client.post(f"/support/tickets/{ticket_id}/charges", data={"kind": "labour", "description": "Workshop",
                                                               "quantity": "1", "unit_price": "40"})
    page = text_of(client.get(f"/support/tickets/{ticket_id}"))
    assert "Total before tax (EUR) €29.00" in page and "Total before tax (USD) $40.00" in page
    with app.app_context():
        assert support_rules.charges_totals(db.session.get(Ticket, ticket_id)) == [("USD", 40), ("EUR", 29)]
