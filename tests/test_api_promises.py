"""The API's promises: what was promised at a sale, listed with the follow-up's filters, noted as the promise form
notes it, and marked kept or broken — with the record rule of Support → Promises and My day (sales/records.py)."""
from datetime import timedelta

import pytest

from extensions import db
from models import Order, Promise
from sales.clock import shop_today
from tests.api_client import api, token_for  # noqa: F401 (fixtures)
from tests.conftest import login, text_of


@pytest.fixture
def sale(app):
    """sale(customer, seller): an order of theirs, as the till makes it; returns its id."""
    numbers = iter(range(1, 1000))

    def make(customer, seller):
        with app.app_context():
            order = Order(number=f"O-{shop_today().year}-{next(numbers):04d}", customer_id=customer.id,
                          seller_id=seller.id if seller else None, ordered_on=shop_today())
            db.session.add(order)
            db.session.commit()
            return order.id

    return make


@pytest.fixture
def promised(app):
    def make(order_id, seller, description="Deliver the e-bike", days=3, kind="delivery"):
        with app.app_context():
            promise = Promise(order_id=order_id, seller_id=seller.id if seller else None, kind=kind,
                              description=description, due_on=shop_today() + timedelta(days=days))
            db.session.add(promise)
            db.session.commit()
            return promise.id

    return make


def _ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_a_promise_is_noted_on_a_sale_read_and_kept(api, client, seller, make_customer, sale):
    ana = make_customer("Ana García", owner_id=seller.id)
    order_id = sale(ana, seller)
    as_seller = api(seller)
    due = (shop_today() + timedelta(days=2)).isoformat()
    made = as_seller.post("/api/v1/promises", json={"order_id": order_id, "kind": "installation",
                                                    "description": "Fit the child seat", "due_on": due},
                          headers={"Idempotency-Key": "seat-1"})
    assert made.status_code == 201, made.json
    promise = made.json
    assert (promise["customer_id"], promise["seller_id"], promise["status"], promise["overdue"], promise["due_on"]) \
        == (ana.id, seller.id, "open", False, due)
    # A retry of the same request answers the first answer again: one promise, not two.
    again = as_seller.post("/api/v1/promises", json={"order_id": order_id, "kind": "installation",
                                                     "description": "Fit the child seat", "due_on": due},
                           headers={"Idempotency-Key": "seat-1"})
    assert again.headers["Idempotent-Replayed"] == "true" and again.json["id"] == promise["id"]
    url = made.headers["Location"].split("localhost", 1)[1]
    read = as_seller.get(url)
    assert read.json == promise and read.headers["ETag"] == made.headers["ETag"]
    assert as_seller.get(url, headers={"If-None-Match": read.headers["ETag"]}).status_code == 304
    # The web list shows it as the API does.
    login(client, seller)
    assert "Fit the child seat" in text_of(client.get("/support/promises"))
    kept = as_seller.post(f"{url}/kept", headers={"If-Match": read.headers["ETag"]})
    assert kept.status_code == 200 and kept.json["status"] == "kept" and kept.json["done_at"]
    assert kept.headers["ETag"] != read.headers["ETag"]
    # Kept is no longer open, on the web and in the API.
    assert "No open promises." in text_of(client.get("/support/promises"))
    assert _ids(as_seller.get("/api/v1/promises")) == []
    assert _ids(as_seller.get("/api/v1/promises?show=kept")) == [promise["id"]]
    # A stale ETag is refused: someone changed it meanwhile.
    stale = as_seller.post(f"{url}/broken", headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412 and stale.json["type"].endswith("stale-write")


def test_a_broken_promise_leaves_the_open_ones_and_my_day(api, client, seller, make_customer, sale, promised):
    ana = make_customer("Ana García", owner_id=seller.id)
    late = promised(sale(ana, seller), seller, description="Deliver by Friday", days=-2)
    as_seller = api(seller)
    assert as_seller.get(f"/api/v1/promises/{late}").json["overdue"] is True
    assert _ids(as_seller.get("/api/v1/promises?show=overdue")) == [late]
    login(client, seller)
    assert "Deliver by Friday" in text_of(client.get("/leads/my-day"))
    broken = as_seller.post(f"/api/v1/promises/{late}/broken")
    assert broken.status_code == 200, broken.json
    assert (broken.json["status"], broken.json["overdue"]) == ("broken", False)
    # Marking it again as it is changes nothing (same version); the web's lists no longer show it.
    assert as_seller.post(f"/api/v1/promises/{late}/broken").json["version"] == broken.json["version"]
    assert "Deliver by Friday" not in text_of(client.get("/leads/my-day"))
    assert "Deliver by Friday" not in text_of(client.get("/support/promises"))
    assert _ids(as_seller.get("/api/v1/promises?show=broken")) == [late]
    assert _ids(as_seller.get("/api/v1/promises?show=kept")) == []
    assert _ids(as_seller.get("/api/v1/promises?show=all")) == [late]


def test_the_list_filters_as_a_follow_up_needs(api, owner, seller, make_customer, sale, promised):
    ana, bea = make_customer("Ana García"), make_customer("Bea Ruiz")
    ana_order, bea_order = sale(ana, seller), sale(bea, owner)
    soon = promised(ana_order, seller, days=1)
    later = promised(ana_order, seller, days=20, kind="training")
    bea_one = promised(bea_order, owner, days=5)
    as_owner = api(owner)
    assert _ids(as_owner.get("/api/v1/promises")) == [soon, later, bea_one]
    assert _ids(as_owner.get(f"/api/v1/promises?customer_id={ana.id}")) == [soon, later]
    assert _ids(as_owner.get(f"/api/v1/promises?order_id={bea_order}")) == [bea_one]
    assert _ids(as_owner.get(f"/api/v1/promises?seller_id={seller.id}")) == [soon, later]
    day = (shop_today() + timedelta(days=5)).isoformat()
    assert _ids(as_owner.get(f"/api/v1/promises?due_to={day}")) == [soon, bea_one]
    assert _ids(as_owner.get(f"/api/v1/promises?due_from={day}")) == [later, bea_one]
    page = as_owner.get("/api/v1/promises?limit=2")
    assert _ids(page) == [soon, later] and page.json["next"]
    assert _ids(as_owner.get(page.json["next"].split("localhost", 1)[1])) == [bea_one]
    bad = as_owner.get("/api/v1/promises?due_from=5/1/2026&show=late")
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.json["errors"]} == {"/query/due_from", "/query/show"}


def test_a_seller_sees_and_marks_only_promises_of_their_own(api, seller, support, make_user, make_customer, sale,
                                                           promised):
    other = make_user("seller")
    ana = make_customer("Ana García")
    mine = promised(sale(ana, seller), seller)
    # Theirs to keep, on my sale: mine to see and mark too, as on the web (the order is mine).
    on_my_sale = promised(sale(ana, seller), other)
    theirs = promised(sale(ana, other), other)
    as_seller = api(seller)
    assert _ids(as_seller.get("/api/v1/promises")) == [mine, on_my_sale]
    assert as_seller.get(f"/api/v1/promises/{theirs}").status_code == 404
    assert as_seller.post(f"/api/v1/promises/{theirs}/kept").status_code == 404
    assert as_seller.post(f"/api/v1/promises/{on_my_sale}/kept").status_code == 200
    # After-sale staff follow every promise but do not mark them (the seller's word).
    as_support = api(support)
    assert _ids(as_support.get("/api/v1/promises?show=all")) == [mine, on_my_sale, theirs]
    assert as_support.post(f"/api/v1/promises/{mine}/kept").status_code == 403


def test_a_new_promise_is_checked_as_the_promise_form_checks_it(api, owner, seller, make_user, make_customer, sale):
    other = make_user("seller")
    ana = make_customer("Ana García")
    theirs, mine = sale(ana, other), sale(ana, seller)
    due = shop_today().isoformat()
    as_seller = api(seller)
    refused = as_seller.post("/api/v1/promises", json={"order_id": theirs, "description": "Deliver", "due_on": due})
    assert refused.status_code == 422 and refused.json["errors"][0]["pointer"] == "/body/order_id"
    for_other = as_seller.post("/api/v1/promises", json={"order_id": mine, "description": "Deliver", "due_on": due,
                                                         "seller_id": other.id})
    assert for_other.status_code == 422 and for_other.json["errors"][0]["pointer"] == "/body/seller_id"
    empty = as_seller.post("/api/v1/promises", json={"order_id": mine, "description": " ", "due_on": due,
                                                     "kind": "hug"})
    assert empty.status_code == 422
    assert {e["pointer"] for e in empty.json["errors"]} == {"/body/description", "/body/kind"}
    # The owner names whoever keeps it.
    made = api(owner).post("/api/v1/promises", json={"order_id": theirs, "description": "Deliver", "due_on": due,
                                                     "seller_id": seller.id})
    assert made.status_code == 201 and made.json["seller_id"] == seller.id
