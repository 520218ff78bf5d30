"""The API's contact log and inquiries: the contact form's checks (goal, next step and its date, a lead the
user works), times typed on the shop's clock, and the record rules of the customer and lead pages."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from extensions import db
from models import ContactLog, Inquiry
from tests.api_client import api, token_for  # noqa: F401 (fixtures)


def _utc_text(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_contact_is_logged_with_its_goal_and_next_step_on_the_shops_clock(api, app, seller, make_customer,
                                                                           make_lead):
    ana = make_customer("Ana García")
    lead = make_lead(ana, seller, title="Cargo bike")
    as_seller = api(seller)
    # Typed without an offset: the shop's wall clock, as on the contact form.
    wall_clock = datetime(2026, 3, 10, 9, 30)
    in_the_shop = wall_clock.replace(tzinfo=ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"]))
    made = as_seller.post("/api/v1/contacts", json={
        "customer_id": ana.id, "lead_id": lead.id, "channel": "visit", "happened_at": wall_clock.isoformat(),
        "goal": "Show the cargo bike", "outcome": "Liked it", "next_step": "Send a quote",
        "next_step_due": "2026-03-12"})
    assert made.status_code == 201, made.json
    contact = made.json
    assert contact["happened_at"] == _utc_text(in_the_shop)
    assert (contact["user_id"], contact["lead_id"], contact["next_step_due"]) == (seller.id, lead.id, "2026-03-12")
    assert made.headers["Location"].endswith(f"/api/v1/contacts/{contact['id']}")
    # With an offset the time is taken as given.
    with_offset = as_seller.post("/api/v1/contacts", json={
        "customer_id": ana.id, "channel": "call", "happened_at": "2026-07-01T18:05:00+02:00",
        "goal": "Ask about the test ride", "completes_step_id": contact["id"]})
    assert with_offset.json["happened_at"] == "2026-07-01T16:05:00Z" and with_offset.json["lead_id"] is None
    # … and it carried out the first contact's next step.
    assert as_seller.get(f"/api/v1/contacts/{contact['id']}").json["next_step_done_at"] is not None
    read = as_seller.get(f"/api/v1/contacts/{contact['id']}")
    assert read.headers["ETag"] and as_seller.get(f"/api/v1/contacts/{contact['id']}", headers={
        "If-None-Match": read.headers["ETag"]}).status_code == 304
    # One lead's timeline, one customer's.
    assert [c["id"] for c in as_seller.get(f"/api/v1/contacts?lead_id={lead.id}").json["items"]] == [contact["id"]]
    assert len(as_seller.get(f"/api/v1/contacts?customer_id={ana.id}").json["items"]) == 2


def test_the_contact_forms_checks_answer_on_their_field(api, seller, make_user, make_customer, make_lead):
    ana = make_customer("Ana García")
    someone_elses = make_lead(ana, make_user("seller"), title="Not Sam's")
    as_seller = api(seller)

    def pointer_of(body):
        response = as_seller.post("/api/v1/contacts", json={"customer_id": ana.id, "goal": "Call", **body})
        assert response.status_code == 422, response.json
        return [error["pointer"] for error in response.json["errors"]]

    assert pointer_of({"next_step": "Call back"}) == ["/body/next_step_due"]
    assert pointer_of({"next_step_due": "2026-03-12"}) == ["/body/next_step"]
    assert pointer_of({"lead_id": someone_elses.id}) == ["/body/lead_id"]
    assert pointer_of({"customer_id": 999999}) == ["/body/customer_id"]
    assert pointer_of({"goal": "  "}) == ["/body/goal"]
    assert pointer_of({"channel": "note"}) == ["/body/channel"]        # closing notes are not typed contacts
    assert pointer_of({"happened_at": "0001-01-01T00:00:00"}) == ["/body/happened_at"]
    assert pointer_of({"completes_step_id": 999999}) == ["/body/completes_step_id"]


def test_a_seller_never_sees_another_sellers_contacts(api, app, seller, make_user, make_customer, make_lead):
    other = make_user("seller")
    theirs = make_customer("Bea Ruiz", owner_id=other.id)
    their_lead = make_lead(theirs, other, title="Bea's e-bike")
    as_other = api(other)
    hidden = as_other.post("/api/v1/contacts", json={"customer_id": theirs.id, "lead_id": their_lead.id,
                                                     "goal": "Private call"}).json
    mine = api(seller).post("/api/v1/contacts", json={"customer_id": make_customer("Ana").id, "goal": "Mine"}).json
    as_seller = api(seller)
    assert as_seller.get(f"/api/v1/contacts/{hidden['id']}").status_code == 404
    listed = [c["id"] for c in as_seller.get("/api/v1/contacts?limit=100").json["items"]]
    assert listed == [mine["id"]]
    assert as_seller.get(f"/api/v1/contacts?customer_id={theirs.id}").json["items"] == []
    # Nor may they log a contact on that seller's lead.
    refused = as_seller.post("/api/v1/contacts", json={"customer_id": theirs.id, "lead_id": their_lead.id,
                                                       "goal": "Steal the deal"})
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(ContactLog.id).where(ContactLog.goal == "Steal the deal")) is None


def test_an_inquiry_is_taken_down_and_answered_once(api, app, seller, support, make_user, make_customer):
    ana = make_customer("Ana García", owner_id=seller.id)
    as_seller = api(seller)
    bad = as_seller.post("/api/v1/inquiries", json={"customer_id": ana.id, "question": "", "product_id": 999999})
    assert bad.status_code == 422 and {e["pointer"] for e in bad.json["errors"]} == {"/body/question"}
    no_product = as_seller.post("/api/v1/inquiries", json={"customer_id": ana.id, "question": "Red?",
                                                           "product_id": 999999})
    assert no_product.status_code == 422 and no_product.json["errors"][0]["pointer"] == "/body/product_id"
    made = as_seller.post("/api/v1/inquiries", json={"customer_id": ana.id, "kind": "delivery",
                                                     "question": "When can it be delivered?"})
    assert made.status_code == 201 and made.json["is_open"] and made.json["kind"] == "delivery"
    inquiry_id = made.json["id"]
    assert [i["id"] for i in as_seller.get("/api/v1/inquiries").json["items"]] == [inquiry_id]
    etag = as_seller.get(f"/api/v1/inquiries/{inquiry_id}").headers["ETag"]
    # Support answers every inquiry, as on the inquiries page.
    as_support = api(support)
    answered = as_support.post(f"/api/v1/inquiries/{inquiry_id}/answer", json={"answer": "On Friday."},
                               headers={"If-Match": etag})
    assert answered.status_code == 200 and answered.json["answer"] == "On Friday."
    assert answered.json["answered_by_id"] == support.id and not answered.json["is_open"]
    again = as_seller.post(f"/api/v1/inquiries/{inquiry_id}/answer", json={"answer": "Monday"})
    assert again.status_code == 409
    stale = as_seller.post(f"/api/v1/inquiries/{inquiry_id}/answer", json={"answer": "Monday"},
                           headers={"If-Match": etag})
    assert stale.status_code == 412
    assert as_seller.get("/api/v1/inquiries").json["items"] == []
    assert [i["id"] for i in as_seller.get("/api/v1/inquiries?show=answered").json["items"]] == [inquiry_id]
    # Another seller does not see an inquiry about a customer Sam looks after.
    as_other = api(make_user("seller"))
    assert as_other.get(f"/api/v1/inquiries/{inquiry_id}").status_code == 404
    assert as_other.get("/api/v1/inquiries?show=all").json["items"] == []
    assert as_other.post(f"/api/v1/inquiries/{inquiry_id}/answer", json={"answer": "x"}).status_code == 404
    with app.app_context():
        assert db.session.get(Inquiry, inquiry_id).answer == "On Friday."
