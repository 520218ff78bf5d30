"""The shop's clock: late at night and just after midnight in Madrid, "today" is the shop's day everywhere."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from extensions import db
from models import ContactLog, Goal, User
from sales import clock
from tests.conftest import login, text_of

MADRID = ZoneInfo("Europe/Madrid")
# 31 March 2026 is a Tuesday; Madrid is on summer time (UTC+2) since the 29th.
LATE_ON_THE_31ST = datetime(2026, 3, 31, 23, 30)     # 21:30 UTC: the same day in UTC
AFTER_MIDNIGHT = datetime(2026, 4, 1, 0, 30)        # 22:30 UTC on the 31st: the next day in the shop only


@pytest.fixture
def stand_at(monkeypatch):
    """stand_at(datetime on the shop's wall clock): the app's clock reads that moment from now on."""

    def stand(wall_clock):
        moment = wall_clock.replace(tzinfo=MADRID).astimezone(timezone.utc)
        monkeypatch.setattr(clock, "source", lambda: moment)

    return stand


@pytest.mark.parametrize("wall_clock, today", [
    (LATE_ON_THE_31ST, date(2026, 3, 31)),
    (AFTER_MIDNIGHT, date(2026, 4, 1)),
    (datetime(2026, 1, 1, 0, 30), date(2026, 1, 1)),      # winter time, UTC+1: still 31 Dec in UTC
])
def test_today_is_the_shops_day(app, stand_at, wall_clock, today):
    stand_at(wall_clock)
    with app.app_context():
        assert clock.shop_today() == today
        assert clock.to_shop_time(clock.utcnow()) == wall_clock


def test_a_typed_time_is_the_shops_and_is_stored_in_utc(app):
    with app.app_context():
        assert clock.from_shop_time(datetime(2026, 6, 10, 14, 0)) == datetime(2026, 6, 10, 12, 0)   # summer
        assert clock.from_shop_time(datetime(2026, 1, 10, 14, 0)) == datetime(2026, 1, 10, 13, 0)   # winter
        assert clock.start_of_day(date(2026, 4, 1)) == datetime(2026, 3, 31, 22, 0)


def test_a_contact_logged_at_14_00_shows_14_00(client, app, seller, make_customer, stand_at):
    stand_at(datetime(2026, 6, 10, 18, 5))
    customer = make_customer("Ana García")
    login(client, seller)
    form = client.get(f"/leads/contacts/new/{customer.id}").get_data(as_text=True)
    assert 'value="2026-06-10T18:05"' in form                     # the default is the shop's clock, not UTC
    response = client.post(f"/leads/contacts/new/{customer.id}", data={
        "channel": "call", "happened_at": "2026-06-10T14:00", "lead_id": "0", "goal": "Book the fitting"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.query(ContactLog).one().happened_at == datetime(2026, 6, 10, 12, 0)
    assert "6/10/26, 2:00 PM" in text_of(client.get(f"/customers/{customer.id}"))


@pytest.fixture
def steps_around_midnight(app, seller, make_customer):
    """Three next steps of the seller: due on the 31st of March, on the 1st of April, and on the 2nd."""
    customer = make_customer("Ana García")
    with app.app_context():
        for goal, due in (("Call back on the 31st", date(2026, 3, 31)), ("Send the quote on the 1st", date(2026, 4, 1)),
                          ("Visit on the 2nd", date(2026, 4, 2))):
            db.session.add(ContactLog(customer_id=customer.id, user_id=seller.id, channel="call", goal="Ask",
                                      happened_at=datetime(2026, 3, 20, 10), next_step=goal, next_step_due=due))
        db.session.commit()


def _my_day(client):
    page = text_of(client.get("/leads/my-day"))
    overdue = page.split("overdue", 1)[1].split("Due today")[0] if " overdue" in page else ""
    due_today = page.split("Due today", 1)[1].split("Coming up")[0] if "Due today" in page else ""
    return overdue, due_today


def _dashboard_in(app, client, user, language):
    """The dashboard's text as the user sees it in their language."""
    with app.app_context():
        db.session.get(User, user.id).language = language
        db.session.commit()
    return text_of(client.get("/"))


def test_my_day_at_23_30_and_at_00_30(app, client, seller, steps_around_midnight, stand_at):
    login(client, seller)
    stand_at(LATE_ON_THE_31ST)
    overdue, due_today = _my_day(client)
    assert overdue == "" and "Call back on the 31st" in due_today and "Send the quote" not in due_today
    # The dashboard counts the same, in the singular for one (and in Spanish too).
    assert "1 cosa para hoy o con retraso" in _dashboard_in(app, client, seller, "es")
    assert "1 thing due today or late" in _dashboard_in(app, client, seller, "en")

    stand_at(AFTER_MIDNIGHT)
    overdue, due_today = _my_day(client)
    assert "Call back on the 31st" in overdue
    assert "Send the quote on the 1st" in due_today and "Call back" not in due_today
    assert "Visit on the 2nd" not in overdue + due_today
    # One step is now late and one due today: the count says "due today or late", not "due today".
    assert "2 cosas para hoy o con retraso" in _dashboard_in(app, client, seller, "es")
    assert "2 things due today or late" in _dashboard_in(app, client, seller, "en")


def test_the_month_of_the_goals_turns_at_the_shops_midnight(client, app, owner, seller, make_customer, stand_at):
    customer = make_customer("Ana García")
    with app.app_context():
        for period in ("2026-03", "2026-04"):
            db.session.add(Goal(seller_id=seller.id, period=period, metric="contacts", target=10))
        # 00:15 on the 1st of April in the shop, still the 31st of March in UTC: an April contact.
        db.session.add(ContactLog(customer_id=customer.id, user_id=seller.id, channel="call", goal="Ask",
                                  happened_at=clock.from_shop_time(datetime(2026, 4, 1, 0, 15))))
        db.session.commit()
    login(client, owner)

    stand_at(LATE_ON_THE_31ST)
    march = text_of(client.get("/manage/goals"))
    assert "March 2026" in march and "Contacts made 0 / 10" in march

    stand_at(AFTER_MIDNIGHT)
    april = text_of(client.get("/manage/goals"))
    assert "April 2026" in april and "Contacts made 1 / 10" in april
    assert "Contacts made 1 / 10" in text_of(client.get("/"))          # the dashboard's goals agree


def test_only_the_clock_module_reads_the_server_s_clock():
    """"Today" and "now" are the shop's (sales/clock.py) everywhere: the server's date or local time is read
    nowhere else, so a report, a form check or a file name cannot be a day off from the rest of the app."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readers = []
    for path in [root / "models.py", root / "app.py", *sorted((root / "sales").rglob("*.py"))]:
        if path.name == "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("today", "now", "utcnow") and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id in ("date", "datetime") and not (node.func.attr == "now" and node.args):
                readers.append(f"{path.relative_to(root)}:{node.lineno}")
    assert readers == []
