"""Segments: each filter by hand, saving and reusing, the live count, CSV export and who may change one."""
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Customer, Lead, Order, OrderLine, Product, Segment
from tests.conftest import login, text_of
from sales.clock import shop_today

TODAY = date(2026, 6, 30)


@pytest.fixture
def customers(app, make_customer):
    """Ana (Madrid, vip): web-form lead; bikes 1 000 on 1 Jun + a helmet 50 on 1 Jan.
    Bruno (Toledo): bought a helmet for 100 a year ago. Carla (Madrid): never bought. Dora: archived."""
    ana = make_customer("Ana", tags=("vip",), city="Madrid", email="ana@example.com")
    bruno = make_customer("Bruno", city="Toledo")
    carla = make_customer("Carla", city="madrid")
    dora = make_customer("Dora", city="Madrid")
    with app.app_context():
        db.session.get(Customer, dora.id).archived_at = db.func.now()
        bike = Product(code="B", name="Bike", category="Bikes", unit_price=Decimal("1000"))
        helmet = Product(code="H", name="Helmet", category="Parts", unit_price=Decimal("50"))
        db.session.add_all([bike, helmet])
        db.session.flush()
        for n, (customer, day, product, total) in enumerate((
                (ana, date(2026, 6, 1), bike, "1000"), (ana, date(2026, 1, 1), helmet, "50"),
                (bruno, date(2025, 6, 30), helmet, "100"), (dora, date(2026, 6, 1), bike, "1000"))):
            order = Order(number=f"O-{n}", customer_id=customer.id, ordered_on=day, total=Decimal(total))
            order.lines.append(OrderLine(product_id=product.id, description=product.name, quantity=1,
                                         unit_price=Decimal(total), line_total=Decimal(total)))
            db.session.add(order)
        from sales.leads.stages import ensure_default_stages

        stage = ensure_default_stages()[0]
        db.session.add(Lead(customer_id=ana.id, title="x", source="web_form", stage_id=stage.id))
        db.session.add(Lead(customer_id=carla.id, title="y", source="walk_in", stage_id=stage.id))
        db.session.commit()
        ids = {"ana": ana.id, "bruno": bruno.id, "carla": carla.id, "dora": dora.id,
               "bike": bike.id, "helmet": helmet.id}
    return ids


def names(app, filters, ids):
    from sales.management.segments import customers_in

    with app.app_context():
        found = set(db.session.scalars(customers_in(filters, today=TODAY)))
    return sorted(name for name, i in ids.items() if i in found and name not in ("bike", "helmet"))


@pytest.mark.parametrize("filters, expected", [
    ({}, ["ana", "bruno", "carla"]),                               # archived customers never count
    ({"source": "web_form"}, ["ana"]),
    ({"tag": "VIP"}, ["ana"]),
    ({"city": "MADRID"}, ["ana", "carla"]),
    ({"min_spent": "100"}, ["ana", "bruno"]),
    ({"min_spent": "1050.00"}, ["ana"]),
    ({"max_spent": "100"}, ["bruno", "carla"]),                    # never bought: spent nothing
    ({"purchased_within_days": 30}, ["ana"]),
    ({"no_purchase_for_days": 180}, ["bruno"]),                     # bought before, not lately
    ({"bought_product": "helmet"}, ["ana", "bruno"]),
    ({"bought_category": "Parts", "not_bought_category": "Bikes"}, ["bruno"]),
    ({"not_bought_category": "Bikes"}, ["bruno", "carla"]),
    ({"city": "Madrid", "min_spent": "1", "tag": "vip"}, ["ana"]),
    ({"city": "Nowhere"}, []),
    ({"unknown": "x", "min_spent": "not a number"}, ["ana", "bruno", "carla"]),
])
def test_each_filter(app, customers, filters, expected):
    if filters.get("bought_product") == "helmet":
        filters = dict(filters, bought_product=customers["helmet"])
    assert names(app, filters, customers) == expected


def test_a_saved_segment_and_its_json_work_like_the_filters(app, customers):
    from sales.management.segments import count, customers_in, save

    with app.app_context():
        segment = save("  Madrid   VIPs ", {"city": "Madrid", "tag": "vip", "empty": ""})
        db.session.commit()
        assert segment.name == "Madrid VIPs"
        assert json.loads(segment.filters) == {"city": "Madrid", "tag": "vip"}
        stored = db.session.get(Segment, segment.id)
        assert count(stored, TODAY) == 1
        assert set(db.session.scalars(customers_in(stored.filters, TODAY))) == {customers["ana"]}
        # A plain select of ids: other code (campaigns) can join it.
        assert db.session.scalars(select(Customer.name).where(Customer.id.in_(customers_in(stored)))).all() == ["Ana"]


def test_builder_counts_live_and_saves(client, owner, customers):
    login(client, owner)
    page = text_of(client.get("/manage/segments?city=Madrid"))
    assert "2 customers match" in page and "Ana, Carla" in page
    fragment = client.get("/manage/segments/count?city=Toledo", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "1 customer matches" in text_of(fragment)
    response = client.post("/manage/segments", data={"city": "Madrid", "min_spent": "1", "name": "Madrid buyers"})
    assert response.status_code == 303
    segment_page = client.get(response.location)
    assert "1 customer" in text_of(segment_page) and "Ana" in text_of(segment_page)
    assert 'value="Madrid"' in segment_page.get_data(as_text=True)
    listing = text_of(client.get("/manage/segments"))
    assert "Madrid buyers 1" in listing


def test_saving_needs_a_unique_name(client, owner, customers):
    login(client, owner)
    response = client.post("/manage/segments", data={"city": "Madrid", "name": ""})
    assert response.status_code == 422 and "Give the segment a name to save it." in text_of(response)
    client.post("/manage/segments", data={"city": "Madrid", "name": "Madrid"})
    response = client.post("/manage/segments", data={"tag": "vip", "name": "madrid"})
    assert response.status_code == 422 and "There is already a segment with this name." in text_of(response)


def test_segment_csv_export(client, owner, customers, app):
    with app.app_context():
        from sales.management.segments import save

        segment = save("Buyers", {"min_spent": "100"})
        db.session.commit()
        segment_id = segment.id
    login(client, owner)
    response = client.get(f"/manage/segments/{segment_id}.csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Customer,Email,Phone,City,Orders,Spent,Last purchase"
    assert lines[1] == "Ana,ana@example.com,,Madrid,2,1050.00,2026-06-01"
    assert lines[2].startswith("Bruno,,,Toledo,1,100.00,")
    unsaved = client.get("/manage/segments.csv?city=Toledo").get_data(as_text=True)
    assert "Bruno" in unsaved and "Ana" not in unsaved


def test_sellers_use_segments_but_change_only_their_own(client, owner, seller, make_user, customers, app):
    login(client, owner)
    client.post("/manage/segments", data={"city": "Madrid", "name": "Owner's"})
    client.post("/logout")
    login(client, seller)
    with app.app_context():
        owners = db.session.scalar(select(Segment.id).where(Segment.name == "Owner's"))
    assert client.get(f"/manage/segments/{owners}").status_code == 200
    assert client.post(f"/manage/segments/{owners}", data={"name": "Mine now"}).status_code == 403
    assert client.post(f"/manage/segments/{owners}/delete").status_code == 403
    response = client.post("/manage/segments", data={"tag": "vip", "name": "Seller's"})
    assert response.status_code == 303
    assert client.post(response.location + "/delete").status_code == 303
    assert client.get("/manage/segments/9999").status_code == 404


def test_support_has_no_segments(client, support, customers):
    login(client, support)
    assert client.get("/manage/segments").status_code == 403
    assert client.get("/manage/segments/count").status_code == 403


def test_forms_carry_their_csrf_token(client, owner, customers, app, monkeypatch):
    import re

    login(client, owner)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get("/manage/segments?city=Madrid").get_data(as_text=True)
    save_form = page[page.index('id="save-segment"'):]
    token = re.search(r'name="csrf_token" value="([^"]+)"', save_form).group(1)
    refused = client.post("/manage/segments", data={"city": "Madrid", "name": "No token"})
    # Nothing saved, said plainly, and what was typed is on the page to send again with a fresh token.
    assert refused.status_code == 400 and "nothing was saved" in text_of(refused)
    kept = refused.get_data(as_text=True)
    assert ">Madrid</textarea>" in kept and ">No token</textarea>" in kept and 'name="csrf_token"' in kept
    response = client.post("/manage/segments", data={"csrf_token": token, "city": "Madrid", "name": "With token"})
    assert response.status_code == 303
    goals_page = client.get("/manage/goals").get_data(as_text=True)
    token = re.search(r'id="goal-form".*?name="csrf_token" type="hidden" value="([^"]+)"', goals_page, re.S).group(1)
    this_month = f"{shop_today():%Y-%m}"
    assert client.post("/manage/goals", data={"csrf_token": token, "seller_id": owner.id, "period": this_month,
                                              "revenue": "5"}).status_code == 303


def test_segment_page_plain_and_as_a_fragment(client, owner, customers, app):
    from sales.management.segments import save

    with app.app_context():
        segment = save("Madrid", {"city": "Madrid"})
        db.session.commit()
        segment_id = segment.id
    login(client, owner)
    plain = client.get(f"/manage/segments/{segment_id}")
    fragment = client.get(f"/manage/segments/{segment_id}", headers={"HX-Request": "true"})
    assert "<html" in plain.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    for response in (plain, fragment):
        assert "2 customers" in text_of(response) and "Ana" in text_of(response) and "Carla" in text_of(response)
    changed = text_of(client.get(f"/manage/segments/{segment_id}?city=Madrid&tag=vip"))
    assert "1 customer matches" in changed
