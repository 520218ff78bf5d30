"""Calendar feeds: each user's secret, revocable iCalendar address with their next steps, planned visits,
promises, maintenance visits and tickets due, in the shop's time zone; and one item as an .ics download.
Every feed is read back with the `icalendar` library, as a phone's calendar would read it."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from extensions import db
from models import CalendarFeed, ContactLog, MaintenancePlan, Promise, utcnow
from tests.conftest import login, text_of
from tests.test_support import make_sale, make_ticket  # noqa: F401  (fixtures)
from sales.clock import shop_today


def feed_path(client):
    response = client.post("/account/calendar", data={"action": "create"})
    assert response.status_code == 303
    page = client.get("/account").get_data(as_text=True)
    start = page.index("/calendar/")
    return page[start:page.index(".ics", start) + 4]


def events_of(body):
    calendar = icalendar.Calendar.from_ical(body)
    return calendar, {str(e["uid"]): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def diary(app, make_customer, make_sale, make_ticket, seller, support, owner):
    """Sam the seller's next step, visit and promise; Sue's ticket; a maintenance plan; someone else's step."""
    ana = make_customer("Ana García", street="Calle Mayor 3", postal_code="28013", city="Madrid", owner_id=seller.id)
    line_id = make_sale(ana, seller=seller)
    ticket_id = make_ticket(ana, title="Brake noise", assignee_id=support.id)
    today = shop_today()
    with app.app_context():
        from models import OrderLine

        order_id = db.session.get(OrderLine, line_id).order_id
        step = ContactLog(customer_id=ana.id, user_id=seller.id, channel="call", goal="Offer the service",
                          next_step="Call back about the rack", next_step_due=today + timedelta(days=2))
        visit = ContactLog(customer_id=ana.id, user_id=seller.id, channel="visit", goal="Fit the child seat",
                           happened_at=datetime(today.year + 1, 7, 1, 8, 30))   # UTC: 10:30 in Madrid (summer)
        done = ContactLog(customer_id=ana.id, user_id=seller.id, channel="call", goal="x", next_step="Done already",
                          next_step_due=today, next_step_done_at=utcnow())
        other = ContactLog(customer_id=ana.id, user_id=owner.id, channel="call", goal="x", next_step="Olga's step",
                           next_step_due=today)
        promise = Promise(order_id=order_id, seller_id=seller.id, kind="delivery", description="Deliver the bike",
                          due_on=today + timedelta(days=5))
        plan = MaintenancePlan(customer_id=ana.id, order_line_id=line_id, every_months=12,
                               next_due_on=today + timedelta(days=30), notes="Yearly service")
        db.session.add_all([step, visit, done, other, promise, plan])
        db.session.commit()
        return {"step": step.id, "visit": visit.id, "promise": promise.id, "plan": plan.id, "ticket": ticket_id,
                "today": today}


def test_a_sellers_feed_holds_their_steps_visits_and_promises_in_the_shops_zone(client, app, seller, diary):
    login(client, seller)
    path = feed_path(client)
    client.post("/logout")
    response = app.test_client().get(path)     # a phone: no session
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar, events = events_of(response.data)
    assert set(events) == {f"step-{diary['step']}@mostrador", f"visit-{diary['visit']}@mostrador",
                           f"promise-{diary['promise']}@mostrador"}
    step = events[f"step-{diary['step']}@mostrador"]
    assert str(step["summary"]) == "Call back about the rack · Ana García"
    assert step.decoded("dtstart") == diary["today"] + timedelta(days=2)      # all day: a date, no time
    visit = events[f"visit-{diary['visit']}@mostrador"]
    start = visit.decoded("dtstart")
    assert start.tzinfo == ZoneInfo("Europe/Madrid") and (start.hour, start.minute) == (10, 30)
    assert start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == datetime(diary["today"].year + 1, 7, 1, 8, 30)
    assert "Calle Mayor 3" in str(visit["location"])
    # The zone is described inside the file, so a phone set to another zone still shows 10:30 in Madrid.
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]
    assert events[f"promise-{diary['promise']}@mostrador"].decoded("dtstart") == diary["today"] + timedelta(days=5)


def test_support_sees_their_tickets_due_and_the_maintenance_visits(client, app, support, diary):
    login(client, support)
    response = client.get(feed_path(client))
    _, events = events_of(response.data)
    assert set(events) == {f"ticket-{diary['ticket']}@mostrador", f"maintenance-{diary['plan']}@mostrador"}
    ticket = events[f"ticket-{diary['ticket']}@mostrador"]
    from models import Ticket

    with app.app_context():
        due_at = db.session.get(Ticket, diary["ticket"]).due_at
    # The event ends when the ticket is due.
    assert ticket.decoded("dtend").astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == due_at.replace(microsecond=0)
    assert events[f"maintenance-{diary['plan']}@mostrador"].decoded("dtstart") == diary["today"] + timedelta(days=30)


def test_the_address_can_be_changed_and_stopped(client, app, seller, diary):
    login(client, seller)
    first = feed_path(client)
    phone = app.test_client()
    assert phone.get(first).status_code == 200
    client.post("/account/calendar", data={"action": "renew"})
    second = client.get("/account").get_data(as_text=True).split("/calendar/")[1].split(".ics")[0]
    assert phone.get(first).status_code == 404 and phone.get(f"/calendar/{second}.ics").status_code == 200
    response = client.post("/account/calendar", data={"action": "revoke"}, follow_redirects=True)
    assert "no longer works" in text_of(response)
    assert phone.get(f"/calendar/{second}.ics").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(CalendarFeed)) is None
    assert client.post("/account/calendar", data={"action": "nonsense"}).status_code == 400


def test_an_inactive_users_feed_stops(client, app, seller, diary):
    login(client, seller)
    path = feed_path(client)
    with app.app_context():
        from models import User

        db.session.get(User, seller.id).active = False
        db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_each_item_downloads_as_an_ics_for_who_may_see_it(client, app, make_user, seller, support, diary):
    login(client, seller)
    for kind, key in (("step", "step"), ("visit", "visit"), ("promise", "promise")):
        response = client.get(f"/calendar/{kind}/{diary[key]}.ics")
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        _, events = events_of(response.data)
        assert list(events) == [f"{kind}-{diary[key]}@mostrador"]
    # The plan of a customer Sam looks after is Sam's to put in a calendar (sales/records.py), as its tickets are.
    assert client.get(f"/calendar/maintenance/{diary['plan']}.ics").status_code == 200
    other_seller = make_user("seller")
    client.post("/logout")
    login(client, other_seller)
    assert client.get(f"/calendar/step/{diary['step']}.ics").status_code == 404          # Sam's, not theirs
    assert client.get(f"/calendar/maintenance/{diary['plan']}.ics").status_code == 404
    client.post("/logout")
    login(client, support)
    assert client.get(f"/calendar/ticket/{diary['ticket']}.ics").status_code == 200
    assert client.get(f"/calendar/maintenance/{diary['plan']}.ics").status_code == 200
    assert client.get("/calendar/ticket/999.ics").status_code == 404


def test_the_pages_offer_the_downloads(client, seller, support, diary):
    login(client, seller)
    assert f"/calendar/step/{diary['step']}.ics" in client.get("/leads/my-day").get_data(as_text=True)
    client.post("/logout")
    login(client, support)
    assert f"/calendar/ticket/{diary['ticket']}.ics" in client.get(f"/support/tickets/{diary['ticket']}").get_data(as_text=True)
