"""The API's quotes: drafts written from the catalog, read with the latest revision's lines and totals in the
quote's own currency, sent — and, once sent, binding: a change makes the next revision, never an edit of the
sent one (the rule the quote pages keep, sales/quotes/rules.py)."""
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Product, Quote, QuoteRevision, ShopSetting
from sales.clock import shop_today
from tests.api_client import api, token_for  # noqa: F401 (fixtures)
from tests.conftest import stage_id

CENT = Decimal("0.01")


@pytest.fixture
def products(app):
    with app.app_context():
        rows = [Product(code="EB1", name="E-bike", unit_price=Decimal("1499.90"), tax_rate=Decimal("21")),
                Product(code="HL1", name="Helmet", unit_price=Decimal("59.95"), tax_rate=Decimal("10"))]
        db.session.add_all(rows)
        db.session.commit()
        return [(p.id, p.name, p.unit_price, p.tax_rate) for p in rows]


def _expected(lines):
    """(net, tax) per line and the totals, worked out here from the prices, as the shop's rule says: each line
    rounded to cents, the totals their sums."""
    amounts = []
    for quantity, price, discount, rate in lines:
        net = (Decimal(quantity) * price * (100 - Decimal(discount)) / 100).quantize(CENT, ROUND_HALF_UP)
        amounts.append((net, (net * rate / 100).quantize(CENT, ROUND_HALF_UP)))
    subtotal, tax = sum(n for n, _ in amounts), sum(t for _, t in amounts)
    return amounts, (subtotal, tax, subtotal + tax)


def test_a_draft_is_written_from_the_catalog_and_read_in_its_own_currency(api, app, seller, make_customer,
                                                                          make_lead, products):
    (bike, bike_name, bike_price, bike_tax), (helmet, _, helmet_price, helmet_tax) = products
    with app.app_context():
        ShopSetting.put("currency", "USD")
        db.session.commit()
    ana = make_customer("Ana García")
    lead = make_lead(ana, seller, title="Two e-bikes")
    as_seller = api(seller)
    made = as_seller.post("/api/v1/quotes", json={
        "customer_id": ana.id, "lead_id": lead.id, "need": "Two bikes for commuting",
        "lines": [{"product_id": bike, "quantity": "2", "discount_percent": "5"},
                  {"product_id": helmet, "quantity": 2, "description": "Helmet, size M"},
                  {"description": "Assembly", "quantity": "1", "unit_price": "35.00", "tax_rate": "21"}]})
    assert made.status_code == 201, made.json
    # The shop now works in euros: the quote stays in the currency it was written in.
    with app.app_context():
        ShopSetting.put("currency", "EUR")
        db.session.commit()
    quote = as_seller.get(made.headers["Location"].split("localhost", 1)[1]).json
    amounts, (subtotal, tax, total) = _expected([(2, bike_price, 5, bike_tax), (2, helmet_price, 0, helmet_tax),
                                                 (1, Decimal("35.00"), 0, Decimal("21"))])
    revision = quote["revision"]
    assert (quote["status"], quote["seller_id"], quote["lead_id"]) == ("draft", seller.id, lead.id)
    assert quote["currency"] == revision["currency"] == "USD"
    assert [(line["net"], line["tax"]) for line in revision["lines"]] == [(str(n), str(t)) for n, t in amounts]
    assert (revision["subtotal"], revision["tax_total"], revision["total"]) == (str(subtotal), str(tax), str(total))
    assert quote["total"] == str(total) and isinstance(quote["total"], str)       # decimal strings, never floats
    first = revision["lines"][0]
    assert (first["description"], first["unit_price"], first["tax_rate"]) == (bike_name, str(bike_price),
                                                                            str(bike_tax))
    assert revision["lines"][1]["description"] == "Helmet, size M"
    assert revision["valid_until"] > shop_today().isoformat() and revision["need"] == "Two bikes for commuting"
    assert quote["number"].startswith(f"Q-{shop_today().year}-")
    assert [q["id"] for q in as_seller.get("/api/v1/quotes").json["items"]] == [quote["id"]]


def test_lines_that_need_a_look_answer_on_their_own_field(api, seller, make_customer, products):
    ana = make_customer()
    as_seller = api(seller)

    def pointers(lines):
        response = as_seller.post("/api/v1/quotes", json={"customer_id": ana.id, "lines": lines})
        assert response.status_code == 422, response.json
        return sorted(error["pointer"] for error in response.json["errors"])

    assert pointers([{"description": "Free text", "quantity": 1}]) == ["/body/lines/0/unit_price"]
    assert pointers([{"product_id": products[0][0], "quantity": 1},
                     {"product_id": 999999, "quantity": 1}]) == ["/body/lines/1/product_id"]
    assert pointers([{"quantity": 1, "unit_price": "10"}]) == ["/body/lines/0/description"]
    assert pointers([]) == ["/body/lines"]
    assert pointers([{"product_id": products[0][0], "quantity": 0}]) == ["/body/lines/0/quantity"]
    assert pointers([{"product_id": products[0][0], "quantity": "2.5", "discount_percent": 101}]) == [
        "/body/lines/0/discount_percent"]
    # More than the shop's amounts can hold (Numeric(12, 2)): refused, on both databases.
    assert pointers([{"description": "Fleet", "quantity": "100000", "unit_price": "10000000"}]) == ["/body/lines"]


def test_a_sent_quote_is_binding_a_change_makes_the_next_revision(api, app, seller, make_customer, make_lead,
                                                                  products):
    bike, _, bike_price, bike_tax = products[0]
    ana = make_customer()
    lead = make_lead(ana, seller, title="E-bike")
    as_seller = api(seller)
    quote = as_seller.post("/api/v1/quotes", json={"customer_id": ana.id, "lead_id": lead.id, "lines": [
        {"product_id": bike, "quantity": 1}]}).json
    url = f"/api/v1/quotes/{quote['id']}"
    # A draft changes in place.
    etag = as_seller.get(url).headers["ETag"]
    edited = as_seller.patch(url, json={"notes": "Delivery on Saturday"}, headers={"If-Match": etag})
    assert edited.status_code == 200 and edited.json["revision"]["number"] == 1
    assert edited.json["revision"]["notes"] == "Delivery on Saturday" and edited.headers["ETag"] != etag
    assert as_seller.patch(url, json={"notes": "Stale"}, headers={"If-Match": etag}).status_code == 412
    sent = as_seller.post(f"{url}/send", headers={"If-Match": edited.headers["ETag"]})
    assert sent.status_code == 200 and sent.json["status"] == "sent" and sent.json["revision"]["sent_at"]
    assert as_seller.post(f"{url}/send").status_code == 409
    assert as_seller.get(f"/api/v1/leads/{lead.id}").json["stage_id"] == stage_id(app, "Proposal")
    as_sent = as_seller.get(f"{url}/revisions/1").json
    # Changing the sent quote: revision 2, a draft; revision 1 exactly as it was sent.
    changed = as_seller.patch(url, json={"lines": [{"product_id": bike, "quantity": 2, "discount_percent": "10"}]},
                              headers={"If-Match": sent.headers["ETag"]})
    assert changed.status_code == 200, changed.json
    revision = changed.json["revision"]
    (net, tax), = _expected([(2, bike_price, 10, bike_tax)])[0]
    assert (revision["number"], revision["status"], revision["lines"][0]["net"]) == (2, "draft", str(net))
    assert revision["notes"] == "Delivery on Saturday"             # the copy keeps what was not changed
    assert as_seller.get(f"{url}/revisions/1").json == as_sent
    assert [(r["number"], r["status"]) for r in changed.json["revisions"]] == [(1, "sent"), (2, "draft")]
    as_seller.post(f"{url}/send")
    assert [r["status"] for r in as_seller.get(url).json["revisions"]] == ["superseded", "sent"]
    assert as_seller.get(f"{url}/revisions/3").status_code == 404
    with app.app_context():
        from sales.quotes import rules

        rules.accept(db.session.get(Quote, quote["id"]).latest, "Ana García", "127.0.0.1")
        db.session.commit()
    refused = as_seller.patch(url, json={"notes": "One more change"})
    assert refused.status_code == 409 and refused.json["type"].endswith("quote-accepted")
    with app.app_context():
        assert db.session.scalar(select(QuoteRevision.notes).where(QuoteRevision.quote_id == quote["id"],
                                                                   QuoteRevision.number == 2)) == "Delivery on Saturday"


def test_a_draft_past_its_validity_is_not_sent(api, app, seller, make_customer, products):
    as_seller = api(seller)
    quote = as_seller.post("/api/v1/quotes", json={
        "customer_id": make_customer().id, "valid_until": (shop_today() - timedelta(days=1)).isoformat(),
        "lines": [{"product_id": products[1][0], "quantity": 1}]}).json
    refused = as_seller.post(f"/api/v1/quotes/{quote['id']}/send")
    assert refused.status_code == 422 and refused.json["type"].endswith("validity-passed")
    fixed = as_seller.patch(f"/api/v1/quotes/{quote['id']}", json={
        "valid_until": (shop_today() + timedelta(days=10)).isoformat()})
    assert fixed.json["revision"]["number"] == 1
    assert as_seller.post(f"/api/v1/quotes/{quote['id']}/send").status_code == 200


def test_a_seller_cannot_read_or_change_another_sellers_quote(api, app, seller, make_user, make_customer,
                                                              make_lead, products):
    other = make_user("seller")
    bea = make_customer("Bea Ruiz", owner_id=other.id)
    their_lead = make_lead(bea, other, title="Bea's cargo bike")
    theirs = api(other).post("/api/v1/quotes", json={"customer_id": bea.id, "lead_id": their_lead.id,
                                                     "lines": [{"product_id": products[0][0], "quantity": 1}]}).json
    as_seller = api(seller)
    url = f"/api/v1/quotes/{theirs['id']}"
    assert as_seller.get(url).status_code == 404
    assert as_seller.get(f"{url}/revisions/1").status_code == 404
    assert as_seller.patch(url, json={"notes": "Mine now"}).status_code == 404
    assert as_seller.post(f"{url}/send").status_code == 404
    assert as_seller.get("/api/v1/quotes?show=all").json["items"] == []
    assert as_seller.get(f"/api/v1/quotes?show=all&customer_id={bea.id}").json["items"] == []
    # Nor write a quote on that seller's lead.
    refused = as_seller.post("/api/v1/quotes", json={"customer_id": bea.id, "lead_id": their_lead.id,
                                                     "lines": [{"product_id": products[0][0], "quantity": 1}]})
    assert refused.status_code == 422 and refused.json["errors"][0]["pointer"] == "/body/lead_id"
    with app.app_context():
        revision = db.session.get(Quote, theirs["id"]).latest
        assert (revision.status, revision.notes) == ("draft", None)
