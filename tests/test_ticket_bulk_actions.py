"""Bulk actions on the tickets list: close thirty tickets, set their priority or who works them — confirmed with
the count, each ticket changed by its own rules (SLA clock, survey, audit rows), undone within ten minutes."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Customer, Survey, Ticket
from sales import clock
from sales.support import rules
from tests.conftest import login, text_of


@pytest.fixture
def desk(app, make_user, make_customer, owner):
    """Three repairs and a complaint without its root cause, all new; Sue works tickets, Sam sells."""
    sue, sam = make_user("support", name="Sue Support"), make_user("seller", name="Sam Seller")
    ana = make_customer("Ana García", owner_id=sam.id)
    other = make_customer("Luis Prieto")
    with app.app_context():
        opened = [rules.open_ticket(db.session.get(Customer, ana.id), title=f"Brake {n}") for n in range(2)]
        opened.append(rules.open_ticket(db.session.get(Customer, other.id), title="Gears"))
        opened.append(rules.open_ticket(db.session.get(Customer, other.id), title="Late delivery", kind="complaint"))
        db.session.commit()
        ids = [t.id for t in opened]
    return {"owner": owner, "sue": sue, "sam": sam, "repairs": ids[:3], "complaint": ids[3]}


def _ticket(app, ticket_id):
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        return {"status": ticket.status, "priority": ticket.priority, "assignee_id": ticket.assignee_id,
                "due_at": ticket.due_at, "closed_at": ticket.closed_at}


def _count(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def _done_id(response):
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.location.split("done=")[1])


def test_the_list_has_finger_sized_checkboxes_for_who_works_tickets(client, desk):
    login(client, desk["sue"])
    html = client.get("/support/").get_data(as_text=True)
    assert 'action="/support/bulk"' in html and 'class="bulkpick"' in html and 'name="all_matching"' in html
    for ticket_id in desk["repairs"] + [desk["complaint"]]:
        assert f'name="ticket_id" value="{ticket_id}"' in html
    assert 'value="status:closed"' in html and 'value="priority:urgent"' in html
    assert f'value="assign:{desk["sue"].id}"' in html


def test_a_seller_follows_tickets_but_does_not_work_them_in_bulk(client, desk):
    login(client, desk["sam"])
    html = client.get("/support/").get_data(as_text=True)
    assert 'name="ticket_id"' not in html and 'action="/support/bulk"' not in html
    assert client.post("/support/bulk", data={"ticket_id": desk["repairs"][:1],
                                              "action": "status:closed"}).status_code == 403


def test_closing_asks_leaves_the_complaint_out_and_closes_each(app, client, desk):
    login(client, desk["sue"])
    chosen = desk["repairs"] + [desk["complaint"]]
    asked = client.post("/support/bulk", data={"ticket_id": chosen, "action": "status:closed"})
    text = text_of(asked)
    assert "Set 3 tickets to “Closed”?" in text
    assert "1 more is left as it is: A complaint needs its root cause before it is resolved." in text
    assert all(_ticket(app, i)["status"] == "new" for i in chosen)
    done = client.post("/support/bulk/apply", data={"ticket_id": chosen, "action": "status:closed", "view": "all"})
    assert done.location.startswith("/support/?view=all&done=")
    action_id = _done_id(done)
    assert all(_ticket(app, i)["status"] == "closed" and _ticket(app, i)["closed_at"] for i in desk["repairs"])
    assert _ticket(app, desk["complaint"])["status"] == "new"
    assert _count(app, select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "tickets", AuditLog.entity_id.in_(desk["repairs"]), AuditLog.field == "status")) == 3
    # Closing each one is closing it: its survey to send.
    assert _count(app, select(func.count()).select_from(Survey).where(Survey.ticket_id.in_(desk["repairs"]))) == 3
    assert "3 tickets set to “Closed”." in text_of(client.get(done.location))
    undone = text_of(client.post(f"/bulk/{action_id}/undo", follow_redirects=True))
    assert "Undone: 3 tickets are back as they were." in undone
    assert all(_ticket(app, i)["status"] == "new" and _ticket(app, i)["closed_at"] is None for i in desk["repairs"])


def test_priority_moves_the_due_time_and_undo_puts_it_back(app, client, desk):
    login(client, desk["owner"])
    chosen = desk["repairs"][:2]
    before = {i: _ticket(app, i)["due_at"] for i in chosen}
    action_id = _done_id(client.post("/support/bulk/apply", data={"ticket_id": chosen, "action": "priority:urgent"}))
    assert all(_ticket(app, i)["priority"] == "urgent" and _ticket(app, i)["due_at"] < before[i] for i in chosen)
    client.post(f"/bulk/{action_id}/undo")
    assert all(_ticket(app, i)["priority"] == "normal" and _ticket(app, i)["due_at"] == before[i] for i in chosen)


def test_assigning_and_undo_leave_a_ticket_changed_since(app, client, desk):
    login(client, desk["owner"])
    chosen = desk["repairs"]
    action_id = _done_id(client.post("/support/bulk/apply", data={"ticket_id": chosen,
                                                                  "action": f"assign:{desk['sue'].id}"}))
    assert {_ticket(app, i)["assignee_id"] for i in chosen} == {desk["sue"].id}
    with app.app_context():
        rules.change_status(db.session.get(Ticket, chosen[0]), "in_progress")
        db.session.commit()
    text = text_of(client.post(f"/bulk/{action_id}/undo", follow_redirects=True))
    assert "Undone: 2 tickets are back as they were." in text
    assert "1 ticket was changed since and is left as it is." in text
    assert _ticket(app, chosen[0])["assignee_id"] == desk["sue"].id
    assert _ticket(app, chosen[1])["assignee_id"] is None


def test_all_matching_takes_the_filter_not_the_page(app, client, desk):
    login(client, desk["owner"])
    app.config["PAGE_SIZE"], page_size = 1, app.config["PAGE_SIZE"]
    try:
        response = client.post("/support/bulk", data={"all_matching": "1", "view": "open", "kind": "repair",
                                                       "action": "priority:low"})
        assert "Give 3 tickets the priority “Low”?" in text_of(response)
        ids = [int(v) for v in re.findall(r'name="ticket_id" value="(\d+)"', response.get_data(as_text=True))]
        assert sorted(ids) == sorted(desk["repairs"])
    finally:
        app.config["PAGE_SIZE"] = page_size


def test_undo_is_the_authors_and_lasts_ten_minutes(app, client, desk, monkeypatch):
    login(client, desk["sue"])
    action_id = _done_id(client.post("/support/bulk/apply", data={"ticket_id": desk["repairs"][:1],
                                                                  "action": "status:in_progress"}))
    client.post("/logout")
    login(client, desk["owner"])
    assert client.post(f"/bulk/{action_id}/undo").status_code == 404
    client.post("/logout")
    login(client, desk["sue"])
    later = clock.source() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(clock, "source", lambda: later)
    assert "can no longer be undone" in text_of(client.post(f"/bulk/{action_id}/undo", follow_redirects=True))
    assert _ticket(app, desk["repairs"][0])["status"] == "in_progress"


def test_the_steps_work_as_htmx_requests(client, desk):
    login(client, desk["sue"])
    response = client.post("/support/bulk", data={"ticket_id": desk["repairs"], "action": "status:closed"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert client.post("/support/bulk/apply", data={"ticket_id": desk["repairs"],
                                                    "action": "status:gone"}).status_code == 400
