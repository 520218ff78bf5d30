"""Bulk actions on the leads list: select rows or every lead of the filter, confirm with the count, change only
what the user may change (each lead with its own stage history and audit rows), undo within ten minutes."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, BulkAction, Lead, StageChange
from sales import clock
from tests.conftest import login, stage_id, text_of


@pytest.fixture
def two_sellers(make_user, make_customer, make_lead, owner):
    """Sam with three leads (two from the web form), Rita with two; all in New."""
    sam, rita = make_user("seller", name="Sam Seller"), make_user("seller", name="Rita Seller")
    customer = make_customer("Ana García")
    sams = [make_lead(customer, sam, title=f"Sam bike {n}", source="web_form" if n < 2 else "walk_in")
            for n in range(3)]
    ritas = [make_lead(customer, rita, title=f"Rita bike {n}", source="web_form") for n in range(2)]
    return {"owner": owner, "sam": sam, "rita": rita, "sams": sams, "ritas": ritas}


def _stage_of(app, lead_id):
    with app.app_context():
        return db.session.get(Lead, lead_id).stage.names["en"]     # as an English reader sees it


def _count(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def test_the_list_has_finger_sized_checkboxes_in_a_plain_form(client, two_sellers):
    login(client, two_sellers["owner"])
    html = client.get("/leads/").get_data(as_text=True)
    assert 'action="/leads/bulk"' in html and 'method="post"' in html
    for lead in two_sellers["sams"] + two_sellers["ritas"]:
        assert f'name="lead_id" value="{lead.id}"' in html
    assert 'class="bulkpick"' in html
    assert 'name="all_matching"' in html


def test_chosen_ids_ask_with_the_count_and_change_nothing_yet(app, client, two_sellers):
    login(client, two_sellers["sam"])
    proposal = stage_id(app, "Proposal")
    chosen = [lead.id for lead in two_sellers["sams"][:2]]
    response = client.post("/leads/bulk", data={"lead_id": chosen, "action": f"move:{proposal}"})
    assert response.status_code == 200
    assert f"Move {len(chosen)} leads to Proposal?" in text_of(response)
    assert all(_stage_of(app, i) == "New" for i in chosen)


def test_moving_chosen_leads_records_each_move_and_audit(app, client, two_sellers):
    login(client, two_sellers["sam"])
    proposal = stage_id(app, "Proposal")
    chosen = [lead.id for lead in two_sellers["sams"][:2]]
    moves_before = _count(app, select(func.count()).select_from(StageChange))
    response = client.post("/leads/bulk/apply", data={"lead_id": chosen, "action": f"move:{proposal}"})
    assert response.status_code == 303 and response.location.startswith("/leads/?done=")
    assert all(_stage_of(app, i) == "Proposal" for i in chosen)
    assert _stage_of(app, two_sellers["sams"][2].id) == "New"
    assert _count(app, select(func.count()).select_from(StageChange)) == moves_before + len(chosen)
    for lead_id in chosen:
        assert _count(app, select(func.count()).select_from(AuditLog).where(
            AuditLog.entity == "leads", AuditLog.entity_id == lead_id, AuditLog.field == "stage_id")) == 1
        assert _count(app, select(func.count()).select_from(StageChange).where(
            StageChange.lead_id == lead_id, StageChange.to_stage_id == proposal,
            StageChange.changed_by_id == two_sellers["sam"].id)) == 1
    page = client.get(response.location)
    assert f"{len(chosen)} leads moved to Proposal." in text_of(page) and "Undo" in text_of(page)


def test_all_matching_takes_the_filter_not_the_page(app, client, two_sellers):
    login(client, two_sellers["owner"])
    app.config["PAGE_SIZE"], page_size = 2, app.config["PAGE_SIZE"]
    try:
        web = [lead for lead in two_sellers["sams"] + two_sellers["ritas"] if lead.source == "web_form"]
        response = client.post("/leads/bulk", data={"all_matching": "1", "source": "web_form",
                                                    "action": f"reassign:{two_sellers['rita'].id}"})
        assert f"Reassign {len(web)} leads to Rita Seller?" in text_of(response)
        ids = [int(v) for v in re.findall(r'name="lead_id" value="(\d+)"',
                                          response.get_data(as_text=True))]
        assert sorted(ids) == sorted(lead.id for lead in web)
    finally:
        app.config["PAGE_SIZE"] = page_size


def test_a_seller_cannot_bulk_change_another_sellers_leads(app, client, two_sellers):
    login(client, two_sellers["sam"])
    proposal = stage_id(app, "Proposal")
    mine, theirs = two_sellers["sams"][0].id, [lead.id for lead in two_sellers["ritas"]]
    response = client.post("/leads/bulk", data={"lead_id": [mine, *theirs], "action": f"move:{proposal}"})
    text = text_of(response)
    assert "Move 1 lead to Proposal?" in text
    assert f"{len(theirs)} selected leads are left out" in text
    audit_of_theirs = select(func.count()).select_from(AuditLog).where(AuditLog.entity == "leads",
                                                                      AuditLog.entity_id.in_(theirs))
    audited = _count(app, audit_of_theirs)
    client.post("/leads/bulk/apply", data={"lead_id": [mine, *theirs], "action": f"move:{proposal}"})
    assert _stage_of(app, mine) == "Proposal"
    assert all(_stage_of(app, i) == "New" for i in theirs)
    assert _count(app, audit_of_theirs) == audited


def test_a_seller_cannot_hand_leads_to_someone_else(app, client, two_sellers):
    login(client, two_sellers["sam"])
    mine = two_sellers["sams"][0].id
    response = client.post("/leads/bulk/apply", data={"lead_id": [mine],
                                                      "action": f"reassign:{two_sellers['rita'].id}"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Lead, mine).seller_id == two_sellers["sam"].id


def test_closing_as_lost_asks_the_reason(app, client, two_sellers):
    login(client, two_sellers["sam"])
    chosen = [lead.id for lead in two_sellers["sams"][:2]]
    asked = client.post("/leads/bulk", data={"lead_id": chosen, "action": f"move:{stage_id(app, 'Lost')}"})
    assert "Close 2 leads as lost?" in text_of(asked) and 'name="lost_reason"' in asked.get_data(as_text=True)
    missing = client.post("/leads/bulk/apply", data={"lead_id": chosen, "action": "lose"})
    assert missing.status_code == 422 and "Say why these leads were lost." in text_of(missing)
    assert all(_stage_of(app, i) == "New" for i in chosen)
    done = client.post("/leads/bulk/apply", data={"lead_id": chosen, "action": "lose", "lost_reason": "price"})
    assert done.status_code == 303
    with app.app_context():
        for lead_id in chosen:
            lead = db.session.get(Lead, lead_id)
            assert lead.stage.kind == "lost" and lead.lost_reason == "price"


def test_nothing_chosen_goes_back_to_the_list(client, two_sellers):
    login(client, two_sellers["sam"])
    response = client.post("/leads/bulk", data={"action": "lose"})
    assert response.status_code == 303 and response.location.startswith("/leads/")
    assert "Tick the leads to change first." in text_of(client.get(response.location))
    bad = client.post("/leads/bulk", data={"lead_id": ["x", "99999999999999999999"], "action": "nonsense"})
    assert bad.status_code == 303


def _apply_move(app, client, lead_ids, stage="Proposal"):
    response = client.post("/leads/bulk/apply", data={"lead_id": lead_ids, "action": f"move:{stage_id(app, stage)}"})
    return int(response.location.split("done=")[1])


def test_undo_restores_and_reports_leads_changed_since(app, client, two_sellers, make_user):
    login(client, two_sellers["sam"])
    chosen = [lead.id for lead in two_sellers["sams"]]
    action_id = _apply_move(app, client, chosen)
    with app.test_request_context():
        # Someone else moves one of them meanwhile: the undo leaves that one where it is now.
        from sales.leads.stages import move_to_stage
        from models import PipelineStage

        lead = db.session.get(Lead, chosen[0])
        move_to_stage(lead, next(s for s in db.session.scalars(select(PipelineStage)) if s.shown_name == "Negotiation"))
        db.session.commit()
    response = client.post(f"/leads/bulk/{action_id}/undo", follow_redirects=True)
    text = text_of(response)
    assert f"Undone: {len(chosen) - 1} leads are back as they were." in text
    assert "1 lead was changed since and is left as it is." in text
    assert _stage_of(app, chosen[0]) == "Negotiation"
    assert all(_stage_of(app, i) == "New" for i in chosen[1:])
    # Undone once: a second undo is refused.
    again = client.post(f"/leads/bulk/{action_id}/undo", follow_redirects=True)
    assert "can no longer be undone" in text_of(again)


def test_undo_puts_the_seller_back(app, client, two_sellers):
    login(client, two_sellers["owner"])
    chosen = [lead.id for lead in two_sellers["sams"]]
    response = client.post("/leads/bulk/apply", data={"lead_id": chosen,
                                                      "action": f"reassign:{two_sellers['rita'].id}"})
    action_id = int(response.location.split("done=")[1])
    client.post(f"/leads/bulk/{action_id}/undo")
    with app.app_context():
        assert {db.session.get(Lead, i).seller_id for i in chosen} == {two_sellers["sam"].id}
        assert db.session.get(BulkAction, action_id).undone_at is not None


def test_undo_is_refused_after_ten_minutes(app, client, two_sellers, monkeypatch):
    login(client, two_sellers["sam"])
    chosen = [lead.id for lead in two_sellers["sams"][:2]]
    action_id = _apply_move(app, client, chosen)
    later = clock.source() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(clock, "source", lambda: later)
    assert "Undo" not in text_of(client.get(f"/leads/?done={action_id}")).split("Showing")[0]
    response = client.post(f"/leads/bulk/{action_id}/undo", follow_redirects=True)
    assert "can no longer be undone" in text_of(response)
    assert all(_stage_of(app, i) == "Proposal" for i in chosen)


def test_another_users_bulk_action_is_not_there(app, client, two_sellers):
    login(client, two_sellers["sam"])
    action_id = _apply_move(app, client, [two_sellers["sams"][0].id])
    client.post("/logout")
    login(client, two_sellers["rita"])
    assert client.post(f"/leads/bulk/{action_id}/undo").status_code == 404
    assert client.post("/leads/bulk/999999/undo").status_code == 404
    assert _stage_of(app, two_sellers["sams"][0].id) == "Proposal"


def test_the_bulk_steps_work_as_htmx_requests(app, client, two_sellers):
    login(client, two_sellers["sam"])
    chosen = [lead.id for lead in two_sellers["sams"][:2]]
    response = client.post("/leads/bulk", data={"lead_id": chosen, "action": f"move:{stage_id(app, 'Proposal')}"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert "Move 2 leads to Proposal?" in text_of(response)


def test_the_confirmation_needs_the_csrf_token(app, client, two_sellers, monkeypatch):
    login(client, two_sellers["sam"])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/leads/bulk/apply", data={"lead_id": [two_sellers["sams"][0].id],
                                                      "action": f"move:{stage_id(app, 'Proposal')}"})
    assert response.status_code == 400
    assert _stage_of(app, two_sellers["sams"][0].id) == "New"


def test_undoing_a_loss_puts_back_the_stage_and_the_won_deal(app, client, two_sellers, make_customer, make_lead):
    from decimal import Decimal

    login(client, two_sellers["sam"])
    won = make_lead(make_customer("Luis Prieto"), two_sellers["sam"], title="Won bike", stage="Won",
                    won_amount=Decimal("1234.50"))
    open_one = two_sellers["sams"][0]
    response = client.post("/leads/bulk/apply", data={"lead_id": [won.id, open_one.id], "action": "lose",
                                                      "lost_reason": "price"})
    action_id = int(response.location.split("done=")[1])
    with app.app_context():
        assert db.session.get(Lead, won.id).won_amount is None
    client.post(f"/leads/bulk/{action_id}/undo")
    with app.app_context():
        back = db.session.get(Lead, won.id)
        assert back.stage.names["en"] == "Won" and back.won_amount == Decimal("1234.50") and back.lost_reason is None
        again = db.session.get(Lead, open_one.id)
        assert again.stage.names["en"] == "New" and again.lost_reason is None and again.closed_at is None
