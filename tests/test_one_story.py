"""One story everywhere: each figure is defined once (sales.figures) and every page that shows it says the same
number — who a sale is credited to, what a contact is, what is due today — and My day is what the dashboard
counts."""
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from extensions import db
from models import ContactLog, Customer, Lead, Order, OrderLine, Product, Promise, Ticket, User, utcnow
from sales.clock import shop_today
from tests.conftest import login, text_of

MARCH = "2026-03"


@pytest.fixture
def story(app, make_user):
    """Ben's lead is won in March and becomes an order Ana made (she closed it at the counter): the sale is
    Ana's everywhere. Another order of Ben's lead has no seller of its own: it falls back to Ben."""
    ana = make_user("seller", name="Ana Alba")
    ben = make_user("seller", name="Ben Brea")
    with app.test_request_context():
        from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage
        from sales.management.commissions import save_rule

        stages = {s.kind: s for s in reversed(ensure_default_stages())}
        customer = Customer(name="Clienta")
        bike = Product(code="B1", name="Bike", category="Bikes", unit_price=Decimal("800"))
        db.session.add_all([customer, bike])
        db.session.flush()
        won = Lead(customer_id=customer.id, title="Bici", seller_id=ben.id, created_at=datetime(2026, 3, 1, 9))
        db.session.add(won)
        start_in_stage(won, stages["open"], when=datetime(2026, 3, 1, 9))
        db.session.flush()
        move_to_stage(won, stages["won"], when=datetime(2026, 3, 10, 9))
        won.won_amount = Decimal("800")
        other = Lead(customer_id=customer.id, title="Casco", seller_id=ben.id, created_at=datetime(2026, 3, 2, 9))
        db.session.add(other)
        start_in_stage(other, stages["open"], when=datetime(2026, 3, 2, 9))
        db.session.flush()
        for number, lead, seller_id, amount in (("O-1", won, ana.id, "800"), ("O-2", other, None, "100")):
            order = Order(number=number, customer_id=customer.id, lead_id=lead.id, seller_id=seller_id,
                          ordered_on=date(2026, 3, 12))
            order.lines.append(OrderLine(position=0, product_id=bike.id, description="Bike", quantity=1,
                                         unit_price=Decimal(amount), line_total=Decimal(amount)))
            db.session.add(order)
        for user, day in ((ana, 3), (ben, 4), (ben, 5)):
            db.session.add(ContactLog(customer_id=customer.id, user_id=user.id, channel="call",
                                      happened_at=datetime(2026, 3, day, 10)))
        db.session.add(ContactLog(customer_id=customer.id, user_id=ana.id, channel="note",
                                  happened_at=datetime(2026, 3, 10, 10)))   # paperwork: not a contact
        save_rule(None, None, Decimal("10"), None)
        from sales.management.metrics import set_goal
        from sales.management.periods import parse

        set_goal(ana.id, parse(MARCH), "contacts", Decimal("4"))
        set_goal(ana.id, parse(MARCH), "revenue", Decimal("1000"))
        db.session.commit()
    return {"ana": ana, "ben": ben}


def test_a_sale_is_credited_to_the_same_seller_on_every_page(client, owner, story):
    login(client, owner)
    performance = text_of(client.get(f"/manage/performance?period={MARCH}"))
    assert "Ana Alba 0 1 1 0 100% €800.00" in performance        # the won deal counts for Ana
    assert "Ben Brea 2 2 0 0 — €0.00" in performance
    commissions = text_of(client.get(f"/manage/commissions?period={MARCH}"))
    assert "€80.00 Ana Alba · sold €800.00 before tax" in commissions
    assert "€10.00 Ben Brea · sold €100.00 before tax" in commissions   # no seller on the order: the lead's
    goals = text_of(client.get(f"/manage/goals?period={MARCH}&seller={story['ana'].id}"))
    assert "€800.00 / €1,000.00 · 80%" in goals


def test_a_contact_is_counted_the_same_in_performance_and_goals(client, owner, story):
    login(client, owner)
    performance = text_of(client.get(f"/manage/performance?period={MARCH}"))
    assert "Whole shop 2 3 1 0" in performance                    # the closing note is not a contact
    goals = text_of(client.get(f"/manage/goals?period={MARCH}"))
    assert "Contacts made 3 / 4 · 75%" in goals                   # the whole shop's 3, not only Ana's 1


@pytest.fixture
def busy_day(app, make_user, make_customer):
    """A seller's day: a step late and one for today, a promise late and one for today, a ticket that reaches
    its response time tonight; and things that are not for today (tomorrow's step, a kept promise, a ticket due
    in two days)."""
    from sales.clock import shop_today

    seller = make_user("seller", name="Sara Sol")
    customer = make_customer("Clienta Dos")
    with app.test_request_context():
        today = shop_today()
        for text, due in (("Call back about the rack", today - timedelta(days=2)),
                          ("Send the fitting photos", today), ("Tomorrow's visit", today + timedelta(days=1))):
            db.session.add(ContactLog(customer_id=customer.id, user_id=seller.id, channel="call",
                                      happened_at=utcnow() - timedelta(days=3), next_step=text, next_step_due=due))
        order = Order(number="O-9", customer_id=customer.id, seller_id=seller.id, ordered_on=today)
        db.session.add(order)
        db.session.flush()
        for text, due, done in (("Deliver the bike", today, None), ("Adjust the brakes", today - timedelta(days=1),
                                                                    None),
                                ("Old promise kept", today - timedelta(days=5), utcnow())):
            db.session.add(Promise(order_id=order.id, seller_id=seller.id, kind="delivery", description=text,
                                   due_on=due, done_at=done))
        for title, due_at in (("Wobbly wheel", utcnow() + timedelta(minutes=5)),
                              ("Next week's check", utcnow() + timedelta(days=2))):
            db.session.add(Ticket(customer_id=customer.id, title=title, assignee_id=seller.id, due_at=due_at))
        db.session.commit()
    return seller


def test_my_day_lists_everything_due_today_or_late(client, busy_day):
    login(client, busy_day)
    page = text_of(client.get("/leads/my-day"))
    for due in ("Call back about the rack", "Send the fitting photos", "Deliver the bike", "Adjust the brakes",
                "Wobbly wheel"):
        assert due in page, due
    assert "Nothing due today" not in page and "Old promise kept" not in page and "Next week's check" not in page
    assert "2 promises not kept yet" in page and "1 ticket to answer by tonight" in page
    dashboard = client.get("/").get_data(as_text=True)
    assert "<strong>5</strong><span>things due today or late — My day</span>" in dashboard


def test_the_dashboard_links_each_persons_count_to_their_my_day(client, owner, busy_day):
    login(client, owner)
    dashboard = client.get("/").get_data(as_text=True)
    link = f'href="/leads/my-day?person={busy_day.id}">5</a>'
    assert link in dashboard
    page = text_of(client.get(f"/leads/my-day?person={busy_day.id}"))
    assert "Sara Sol's day" in page and "Wobbly wheel" in page and "Log result" not in page
    assert "Nothing due today" in text_of(client.get("/leads/my-day"))   # the owner's own day is empty


def test_only_the_owner_opens_someone_elses_day(client, make_user, busy_day):
    other = make_user("seller", name="Otro")
    login(client, other)
    assert client.get(f"/leads/my-day?person={busy_day.id}").status_code == 403
    assert client.get("/leads/my-day?person=999999").status_code == 404
    assert client.get("/leads/my-day?person=abc").status_code == 404


def test_a_new_ticket_starts_with_no_product_chosen(client, app, make_user, make_customer):
    seller = make_user("seller")
    customer = make_customer(owner_id=seller.id)
    with app.app_context():
        order = Order(number="O-7", customer_id=customer.id, seller_id=seller.id, ordered_on=shop_today())
        order.lines.append(OrderLine(position=0, description="E-City bike", quantity=1, unit_price=Decimal("1"),
                                     line_total=Decimal("1"), warranty_months=24))
        db.session.add(order)
        db.session.commit()
    login(client, seller)
    form = client.get(f"/support/tickets/new?customer_id={customer.id}").get_data(as_text=True)
    assert "E-City bike" in form and '<option selected value="0">' in form.replace('value="0" selected', 'selected value="0"')


def test_make_a_quote_from_an_open_inquiry(client, app, owner, make_customer):
    from models import Inquiry

    customer = make_customer()
    with app.app_context():
        inquiry = Inquiry(customer_id=customer.id, kind="price", question="¿Cuánto cuesta la Gravel?")
        db.session.add(inquiry)
        db.session.commit()
        inquiry_id = inquiry.id
    login(client, owner)
    page = client.get(f"/leads/inquiries/{inquiry_id}").get_data(as_text=True)
    assert f'href="/quotes/new?inquiry_id={inquiry_id}"' in page and "Save answer and close" in page


def test_a_deal_closed_as_it_was_created_has_a_cycle_of_zero_days(app, make_user, make_customer):
    from sales.management.metrics import performance
    from sales.management.periods import period_of

    seller = make_user("seller")
    customer = make_customer()
    with app.test_request_context():
        from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage

        stages = ensure_default_stages()
        now = utcnow()
        lead = Lead(customer_id=customer.id, title="Al momento", seller_id=seller.id, created_at=now)
        db.session.add(lead)
        start_in_stage(lead, stages[0], when=now)
        db.session.flush()
        move_to_stage(lead, next(s for s in stages if s.kind == "won"), when=now - timedelta(microseconds=300))
        db.session.commit()
        numbers = performance(period_of("month", now.date()), [seller.id])[seller.id]
    assert numbers.won == 1 and numbers.cycle_days == 0


def test_a_disqualified_lead_leaves_the_open_board_and_list_and_a_filter_shows_it(client, owner, make_customer,
                                                                                  make_lead, app):
    kept = make_lead(make_customer("Clienta Tres"), owner, title="Bici urbana")
    gone = make_lead(make_customer("Cliente Cuatro"), owner, title="Bici que no era")
    with app.app_context():
        lead = db.session.get(Lead, gone.id)
        lead.qualification, lead.qualification_reason = "disqualified", "Buscaba alquiler, no compra"
        db.session.commit()
    login(client, owner)
    board = text_of(client.get("/leads/board"))
    assert "Bici urbana" in board and "Bici que no era" not in board
    listing = text_of(client.get("/leads/"))
    assert "Bici urbana" in listing and "Bici que no era" not in listing
    shown = text_of(client.get("/leads/?outcome=disqualified"))
    assert "Bici que no era" in shown and "Bici urbana" not in shown


def test_lost_from_the_board_asks_for_the_reason(client, owner, make_customer, make_lead, app):
    from models import PipelineStage

    lead = make_lead(make_customer("Clienta Cinco"), owner, title="Tándem", stage="Negotiation")
    with app.app_context():
        lost = db.session.scalar(db.select(PipelineStage).where(PipelineStage.kind == "lost"))
        lost_id = lost.id
    login(client, owner)
    response = client.post(f"/leads/{lead.id}/move", data={"stage_id": lost_id, "back": "board"})
    assert response.status_code == 303 and response.location.startswith(f"/negotiation/lead/{lead.id}?outcome=lost")
    with app.app_context():
        assert db.session.get(Lead, lead.id).stage.kind == "open"   # not lost until a reason is given
    page = client.get(response.location).get_data(as_text=True)
    assert "was lost to close it" in page and re.search(r'<input checked[^>]*value="lost"', page)
    htmx = client.post(f"/leads/{lead.id}/move", data={"stage_id": lost_id, "back": "board"},
                       headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith(f"/negotiation/lead/{lead.id}?outcome=lost")
