"""Negotiation: objections, concessions, competitors, closing and reopening; the playbook and reports."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from models import ContactLog, Lead, NegotiationNote, Objection, StageChange
from sales.negotiation import rules
from tests.conftest import login, stage_id, text_of
from sales.clock import shop_today

FOLLOW = (shop_today() + timedelta(days=5)).isoformat()


@pytest.fixture
def deal(seller, make_customer, make_lead):
    return make_lead(make_customer("Club Ciclista Norte"), seller, title="Fleet of 6", value=6000,
                     stage="Negotiation")


def test_objections_open_first_then_resolved(as_seller, deal, app):
    as_seller.post(f"/negotiation/lead/{deal.id}/objections", data={
        "kind": "price", "customer_words": "Too expensive", "answer": "Financing", "resolved": "y"})
    as_seller.post(f"/negotiation/lead/{deal.id}/objections", data={
        "kind": "timing", "customer_words": "Not before spring"})
    text = text_of(as_seller.get(f"/negotiation/lead/{deal.id}"))
    assert "1 open objection" in text
    assert text.index("Not before spring") < text.index("Too expensive")
    with app.app_context():
        from extensions import db
        open_one = db.session.query(Objection).filter_by(resolved=False).one().id
    response = as_seller.post(f"/negotiation/objections/{open_one}", data={
        f"o{open_one}-answer": "We reserve the size now, delivery in March", f"o{open_one}-resolved": "y"})
    assert response.status_code == 303
    assert "0 open objections" in text_of(as_seller.get(f"/negotiation/lead/{deal.id}"))


def test_objection_needs_the_customers_words(as_seller, deal):
    response = as_seller.post(f"/negotiation/lead/{deal.id}/objections", data={"kind": "price",
                                                                              "answer": "Financing"})
    assert response.status_code == 422
    assert "Write what the customer said." in text_of(response)
    assert "Financing" in response.get_data(as_text=True)


def test_concessions_add_up(as_seller, deal):
    as_seller.post(f"/negotiation/lead/{deal.id}/concessions", data={
        "kind": "discount", "description": "5 %", "value": "300.00", "in_return": "Pays upfront"})
    as_seller.post(f"/negotiation/lead/{deal.id}/concessions", data={
        "kind": "extra_service", "description": "Free service", "value": "45.50"})
    text = text_of(as_seller.get(f"/negotiation/lead/{deal.id}"))
    assert "Conceded: €345.50" in text and "Pays upfront" in text


def test_bad_concession_value_keeps_input(as_seller, deal):
    response = as_seller.post(f"/negotiation/lead/{deal.id}/concessions", data={
        "kind": "discount", "description": "Big discount", "value": "-10"})
    assert response.status_code == 422
    assert "Enter an amount of 0 or more." in text_of(response)
    assert 'value="Big discount"' in response.get_data(as_text=True)


def test_notes_are_added_in_place_for_htmx(as_seller, deal):
    response = as_seller.post(f"/negotiation/lead/{deal.id}/notes", data={"body": "Wants delivery by Friday"},
                              headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="notes"' in html and "Wants delivery by Friday" in html


def test_close_lost_to_a_competitor_reopen_then_win(as_seller, seller, deal, app, fetch):
    as_seller.post(f"/negotiation/lead/{deal.id}/competitors", data={
        "competitor_id": "0", "new_competitor": "Decathlon", "offer": "Same bikes", "offer_value": "5400"})
    text = text_of(as_seller.get(f"/negotiation/lead/{deal.id}"))
    assert "Decathlon" in text and "€5,400.00" in text
    missing = as_seller.post(f"/negotiation/lead/{deal.id}/close", data={
        "outcome": "lost", "lost_reason": "competitor", "lost_to_id": "0", "follow_up": "Call in spring",
        "follow_up_on": FOLLOW})
    assert missing.status_code == 422 and "Choose the competitor who won it." in text_of(missing)
    with app.app_context():
        from extensions import db
        from models import Competitor
        decathlon = db.session.query(Competitor).filter_by(name="Decathlon").one().id
    lost = as_seller.post(f"/negotiation/lead/{deal.id}/close", data={
        "outcome": "lost", "lost_reason": "competitor", "lost_to_id": str(decathlon), "note": "10 % cheaper",
        "follow_up": "Call in spring", "follow_up_on": FOLLOW})
    assert lost.status_code == 303
    saved = fetch(Lead, deal.id)
    assert saved.lost_reason == "competitor" and saved.lost_to_id == decathlon and saved.closed_at
    assert "Lost to: Decathlon" in text_of(as_seller.get(f"/negotiation/lead/{deal.id}"))
    reopened = as_seller.post(f"/negotiation/lead/{deal.id}/reopen", data={
        "stage_id": str(stage_id(app, "Negotiation")), "reason": "Decathlon ran out of stock"})
    assert reopened.status_code == 303
    saved = fetch(Lead, deal.id)
    assert saved.closed_at is None and saved.lost_reason is None
    won = as_seller.post(f"/negotiation/lead/{deal.id}/close", data={
        "outcome": "won", "won_amount": "5,800.00", "follow_up": "Deliver and adjust", "follow_up_on": FOLLOW})
    assert won.status_code == 303
    saved = fetch(Lead, deal.id)
    assert saved.won_amount == Decimal("5800.00") and saved.stage_id == stage_id(app, "Won")
    with app.app_context():
        from extensions import db
        path = [c.to_stage.names["en"] for c in db.session.query(StageChange).filter_by(lead_id=deal.id)
                .order_by(StageChange.id)]
        assert path[-3:] == ["Lost", "Negotiation", "Won"]  # reopening is recorded like any move
        note = db.session.query(NegotiationNote).filter_by(lead_id=deal.id).one()
        assert "Decathlon ran out of stock" in note.body
        steps = db.session.query(ContactLog).filter_by(lead_id=deal.id, user_id=seller.id).all()
        assert {s.next_step for s in steps} == {"Call in spring", "Deliver and adjust"}
    assert "Deliver and adjust" in text_of(as_seller.get("/leads/my-day"))  # the follow-up is planned
    timeline = text_of(as_seller.get(f"/customers/{deal.customer_id}"))
    assert "Note" in timeline and "note" not in timeline.replace("Note", "")  # named, not the raw code


def test_closing_asks_what_next(as_seller, deal):
    response = as_seller.post(f"/negotiation/lead/{deal.id}/close", data={"outcome": "won", "won_amount": "10"})
    assert response.status_code == 422
    text = text_of(response)
    assert "Say what happens next" in text and "Pick a date" in text


def test_other_sellers_cannot_touch_the_deal(client, make_user, deal):
    login(client, make_user("seller"))
    assert client.get(f"/negotiation/lead/{deal.id}").status_code == 404
    assert client.post(f"/negotiation/lead/{deal.id}/notes", data={"body": "x"}).status_code == 404


def _closed_deal(app, make_lead, customer, seller, outcome, **kw):
    lead = make_lead(customer, seller, title=f"{outcome} deal", value=1000, stage="Negotiation")
    with app.test_request_context():
        from extensions import db
        fresh = db.session.get(Lead, lead.id)
        if outcome == "won":
            rules.close_won(fresh, Decimal(kw.get("amount", "1000")), None, "x", shop_today(), seller.id, goal="g")
        else:
            rules.close_lost(fresh, kw.get("reason", "price"), kw.get("competitor_id"), None, "x", shop_today(),
                             seller.id, goal="g")
        db.session.commit()
    return lead


def test_reports_against_known_data(app, seller, make_customer, make_lead):
    from extensions import db
    from models import Concession, DealCompetitor

    customer = make_customer()
    won_a = _closed_deal(app, make_lead, customer, seller, "won", amount="1000")
    won_b = _closed_deal(app, make_lead, customer, seller, "won", amount="3000")
    _closed_deal(app, make_lead, customer, seller, "lost", reason="price")
    _closed_deal(app, make_lead, customer, seller, "lost", reason="price")
    _closed_deal(app, make_lead, customer, seller, "lost", reason="no_budget")
    with app.test_request_context():
        competitor = rules.find_or_create_competitor("Decathlon")
        db.session.add(DealCompetitor(lead_id=won_a.id, competitor_id=competitor.id))
        db.session.add(Concession(lead_id=won_a.id, kind="discount", description="d", value=Decimal("100")))
        db.session.add(Concession(lead_id=won_a.id, kind="other", description="e", value=Decimal("50")))
        db.session.add(Concession(lead_id=won_b.id, kind="discount", description="d", value=Decimal("250")))
        db.session.add(Objection(lead_id=won_a.id, kind="price", customer_words="w", answer="a", resolved=True))
        db.session.add(Objection(lead_id=won_b.id, kind="price", customer_words="w", answer="a", resolved=True))
        db.session.add(Objection(lead_id=won_b.id, kind="price", customer_words="w"))
        db.session.add(Objection(lead_id=won_b.id, kind="trust", customer_words="w"))
        db.session.commit()

        assert rules.lost_reasons() == [("price", 2, 2 / 3), ("no_budget", 1, 1 / 3)]
        assert rules.objections_by_type() == [("price", 3, 2, 2 / 3), ("trust", 1, 0, 0.0)]
        competition = rules.win_rate_by_competition()
        assert competition["with"] == (1, 1, 1.0)
        assert competition["without"] == (1, 4, 0.25)
        average, deals, share = rules.average_concession_on_won()
        assert (average, deals) == (Decimal("200.00"), 2)     # (150 + 250) / 2
        assert share == Decimal("400") / Decimal("4000")
        playbook = rules.playbook()
        assert playbook[0]["kind"] == "price" and playbook[0]["answers"] == [("a", 2)]
        # An empty period: nothing, and no division by zero.
        future = shop_today() + timedelta(days=30)
        assert rules.lost_reasons(future, future) == []
        assert rules.average_concession_on_won(future, future) == (None, 0, None)
        assert rules.win_rate_by_competition(future, future)["with"] == (0, 0, None)


def test_reports_page_is_for_the_owner(as_owner, client, make_user):
    assert as_owner.get("/negotiation/reports").status_code == 200
    assert as_owner.get("/negotiation/reports/lost.csv").mimetype == "text/csv"
    other = make_user("seller")
    client2 = as_owner.application.test_client()
    login(client2, other)
    assert client2.get("/negotiation/reports").status_code == 403
