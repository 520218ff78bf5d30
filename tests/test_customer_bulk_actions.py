"""Bulk actions on the customers list: tag, untag, archive and hand over the selected customers (or every one
matching the search), confirmed with the count, only those the user may change, each with its audit rows, and
undone within ten minutes."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, BulkAction, Customer
from sales import clock
from tests.conftest import login, text_of


@pytest.fixture
def book(make_user, make_customer, owner):
    """Sam looks after two customers, Rita after one; two nobody looks after yet, one of them tagged vip."""
    sam, rita = make_user("seller", name="Sam Seller"), make_user("seller", name="Rita Seller")
    sams = [make_customer(f"Sam customer {n}", owner_id=sam.id, city="Bilbao") for n in range(2)]
    ritas = [make_customer("Rita customer", owner_id=rita.id, city="Bilbao")]
    free = [make_customer("Free customer", city="Bilbao", tags=("vip",)), make_customer("Walk-in", city="Vigo")]
    return {"owner": owner, "sam": sam, "rita": rita, "sams": sams, "ritas": ritas, "free": free}


def _customer(app, customer_id):
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        return {"tags": customer.tag_names, "archived": customer.is_archived, "owner_id": customer.owner_id}


def _audit_rows(app, customer_ids, field):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.entity == "customers", AuditLog.entity_id.in_(customer_ids), AuditLog.field == field))


def _done_id(response):
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.location.split("done=")[1])


def test_the_list_has_finger_sized_checkboxes_in_a_plain_form(client, book):
    login(client, book["owner"])
    html = client.get("/customers/").get_data(as_text=True)
    assert 'action="/customers/bulk"' in html and 'class="bulkpick"' in html and 'name="all_matching"' in html
    for customer in book["sams"] + book["ritas"] + book["free"]:
        assert f'name="customer_id" value="{customer.id}"' in html
    assert 'value="tag:vip"' in html and 'value="untag:vip"' in html and 'value="archive"' in html


def test_support_tags_but_does_not_archive_or_hand_over(client, book, make_user):
    login(client, make_user("support", name="Sue Support"))
    html = client.get("/customers/").get_data(as_text=True)
    assert 'value="tag"' in html and 'value="archive"' not in html and 'value="keeper:' not in html
    refused = client.post("/customers/bulk/apply", data={"customer_id": [book["sams"][0].id], "action": "archive"})
    assert refused.status_code == 400


def test_tagging_asks_with_the_count_then_tags_each_with_its_audit(app, client, book):
    login(client, book["sam"])
    mine = [c.id for c in book["sams"]] + [book["free"][1].id]
    asked = client.post("/customers/bulk", data={"customer_id": mine, "action": "tag:vip"})
    assert asked.status_code == 200 and f"Tag {len(mine)} customers “vip”?" in text_of(asked)
    assert all("vip" not in _customer(app, i)["tags"] for i in mine)
    done = client.post("/customers/bulk/apply", data={"customer_id": mine, "action": "tag:vip"})
    action_id = _done_id(done)
    assert all("vip" in _customer(app, i)["tags"] for i in mine)
    assert _audit_rows(app, mine, "tags") == len(mine)
    page = text_of(client.get(done.location))
    assert f"{len(mine)} customers tagged." in page and "Undo" in page
    client.post(f"/bulk/{action_id}/undo")
    assert all("vip" not in _customer(app, i)["tags"] for i in mine)
    assert _customer(app, book["free"][0].id)["tags"] == ["vip"]


def test_a_new_tag_is_typed_on_the_confirmation(app, client, book):
    login(client, book["owner"])
    chosen = [book["free"][1].id]
    asked = client.post("/customers/bulk", data={"customer_id": chosen, "action": "tag"})
    assert "Add a tag to 1 customer?" in text_of(asked) and 'name="tag_name"' in asked.get_data(as_text=True)
    missing = client.post("/customers/bulk/apply", data={"customer_id": chosen, "action": "tag", "tag_name": " "})
    assert missing.status_code == 422 and "Type one tag, up to 40 letters." in text_of(missing)
    client.post("/customers/bulk/apply", data={"customer_id": chosen, "action": "tag", "tag_name": "Cargo Bikes"})
    assert _customer(app, chosen[0])["tags"] == ["cargo bikes"]


def test_a_seller_changes_only_theirs_and_the_free_ones(app, client, book):
    login(client, book["sam"])
    theirs = book["ritas"][0].id
    chosen = [book["sams"][0].id, book["free"][1].id, theirs]
    asked = text_of(client.post("/customers/bulk", data={"customer_id": chosen, "action": "tag:vip"}))
    assert "Tag 2 customers “vip”?" in asked and "1 selected customer is left out" in asked
    client.post("/customers/bulk/apply", data={"customer_id": chosen, "action": "tag:vip"})
    assert "vip" not in _customer(app, theirs)["tags"] and _audit_rows(app, [theirs], "tags") == 0
    # Archiving is for the customers one looks after (sales/records.py): the free one is left out too.
    asked = text_of(client.post("/customers/bulk", data={"customer_id": chosen, "action": "archive"}))
    assert "Archive 1 customer?" in asked and "2 selected customers are left out" in asked


def test_untag_and_already_tagged_are_counted_apart(client, book):
    login(client, book["owner"])
    chosen = [c.id for c in book["free"]]
    asked = text_of(client.post("/customers/bulk", data={"customer_id": chosen, "action": "tag:vip"}))
    assert "Tag 1 customer “vip”?" in asked and "1 more is left as it is: they have this tag already" in asked
    asked = text_of(client.post("/customers/bulk", data={"customer_id": chosen, "action": "untag:vip"}))
    assert "Remove the tag “vip” from 1 customer?" in asked


def test_all_matching_takes_the_search_not_the_page(app, client, book):
    login(client, book["owner"])
    app.config["PAGE_SIZE"], page_size = 2, app.config["PAGE_SIZE"]
    try:
        with app.app_context():
            in_bilbao = db.session.scalars(select(Customer.id).where(Customer.city == "Bilbao")).all()
        response = client.post("/customers/bulk", data={"all_matching": "1", "q": "customer", "action": "archive"})
        assert f"Archive {len(in_bilbao)} customers?" in text_of(response)
        ids = [int(v) for v in re.findall(r'name="customer_id" value="(\d+)"', response.get_data(as_text=True))]
        assert sorted(ids) == sorted(in_bilbao)
    finally:
        app.config["PAGE_SIZE"] = page_size


def test_archive_and_undo(app, client, book):
    login(client, book["owner"])
    chosen = [c.id for c in book["sams"]]
    action_id = _done_id(client.post("/customers/bulk/apply", data={"customer_id": chosen, "action": "archive"}))
    assert all(_customer(app, i)["archived"] for i in chosen)
    assert _audit_rows(app, chosen, "archived_at") == len(chosen)
    assert "Sam customer" not in text_of(client.get("/customers/"))
    undone = text_of(client.post(f"/bulk/{action_id}/undo", follow_redirects=True))
    assert "Undone: 2 customers are back as they were." in undone
    assert not any(_customer(app, i)["archived"] for i in chosen)


def test_handing_over_follows_the_keeper_rule(app, client, book):
    login(client, book["owner"])
    chosen = [c.id for c in book["sams"]]
    action_id = _done_id(client.post("/customers/bulk/apply", data={
        "customer_id": chosen, "action": f"keeper:{book['rita'].id}"}))
    assert {_customer(app, i)["owner_id"] for i in chosen} == {book["rita"].id}
    assert _audit_rows(app, chosen, "owner_id") == len(chosen)
    client.post(f"/bulk/{action_id}/undo")
    assert {_customer(app, i)["owner_id"] for i in chosen} == {book["sam"].id}
    # A seller is not offered someone else, and a forged choice takes nobody's customer over.
    client.post("/logout")
    login(client, book["sam"])
    assert 'value="keeper:' not in client.get("/customers/").get_data(as_text=True)
    asked = text_of(client.post("/customers/bulk", data={"customer_id": [book["ritas"][0].id],
                                                         "action": f"keeper:{book['sam'].id}"}, follow_redirects=True))
    assert "You may not change the 1 selected customer." in asked
    assert _customer(app, book["ritas"][0].id)["owner_id"] == book["rita"].id


def test_undo_leaves_a_customer_changed_since_and_expires(app, client, book, monkeypatch):
    login(client, book["owner"])
    chosen = [c.id for c in book["sams"]]
    action_id = _done_id(client.post("/customers/bulk/apply", data={"customer_id": chosen, "action": "archive"}))
    with app.app_context():
        db.session.get(Customer, chosen[0]).notes = "Phoned: keep it archived"
        db.session.commit()
    text = text_of(client.post(f"/bulk/{action_id}/undo", follow_redirects=True))
    assert "Undone: 1 customer is back as it was." in text
    assert "1 customer was changed since and is left as it is." in text
    assert _customer(app, chosen[0])["archived"] and not _customer(app, chosen[1])["archived"]
    again = client.post(f"/bulk/{action_id}/undo", follow_redirects=True)
    assert "can no longer be undone" in text_of(again)
    second = _done_id(client.post("/customers/bulk/apply", data={"customer_id": [chosen[1]], "action": "archive"}))
    later = clock.source() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(clock, "source", lambda: later)
    assert "Undo" not in text_of(client.get(f"/customers/?done={second}")).split("Showing")[0]
    assert "can no longer be undone" in text_of(client.post(f"/bulk/{second}/undo", follow_redirects=True))
    assert _customer(app, chosen[1])["archived"]


def test_another_users_action_is_not_there(app, client, book):
    login(client, book["owner"])
    action_id = _done_id(client.post("/customers/bulk/apply", data={"customer_id": [book["free"][1].id],
                                                                    "action": "archive"}))
    client.post("/logout")
    login(client, book["sam"])
    assert client.post(f"/bulk/{action_id}/undo").status_code == 404
    with app.app_context():
        assert db.session.get(BulkAction, action_id).undone_at is None


def test_the_steps_work_as_htmx_requests_and_need_the_csrf_token(app, client, book, monkeypatch):
    login(client, book["owner"])
    response = client.post("/customers/bulk", data={"customer_id": [book["free"][1].id], "action": "archive"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = client.post("/customers/bulk/apply", data={"customer_id": [book["free"][1].id], "action": "archive"})
    assert refused.status_code == 400 and not _customer(app, book["free"][1].id)["archived"]


def test_nothing_ticked_goes_back_to_the_list(client, book):
    login(client, book["owner"])
    response = client.post("/customers/bulk", data={"action": "archive", "q": "Sam"})
    assert response.status_code == 303 and response.location.startswith("/customers/?q=Sam")
    assert "Tick the customers to change first." in text_of(client.get(response.location))
    assert client.post("/customers/bulk", data={"customer_id": ["x"], "action": "nonsense"}).status_code == 303
