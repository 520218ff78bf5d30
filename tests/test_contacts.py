"""The contact log, My day, inquiries and the customer timeline."""
import re
from datetime import date, timedelta

from models import ContactLog, Inquiry
from tests.conftest import login, text_of
from sales.clock import shop_today


def log(client, customer, **fields):
    data = {"channel": "call", "happened_at": "2026-11-20T10:30", "lead_id": "0", "goal": "Know their budget"}
    data.update(fields)
    return client.post(f"/leads/contacts/new/{customer.id}", data=data)


def test_log_a_contact_with_goal_outcome_and_next_step(as_seller, seller, make_customer, app):
    customer = make_customer("Ana García")
    due = (shop_today() + timedelta(days=2)).isoformat()
    response = log(as_seller, customer, outcome="Budget 2.500 €", next_step="Send two offers",
                   next_step_due=due)
    assert response.status_code == 303 and response.location == f"/customers/{customer.id}"
    with app.app_context():
        from extensions import db
        contact = db.session.query(ContactLog).one()
        assert contact.user_id == seller.id and contact.goal == "Know their budget"
        assert contact.next_step_due.isoformat() == due
    timeline = text_of(as_seller.get(f"/customers/{customer.id}"))
    assert "Call" in timeline and "Goal: Know their budget" in timeline and "Send two offers" in timeline


def test_contact_needs_a_goal_and_a_date_for_its_next_step(as_seller, make_customer):
    customer = make_customer()
    response = log(as_seller, customer, goal="", outcome="Talked a lot", next_step="Call back")
    assert response.status_code == 422
    page = text_of(response)
    assert "Write what you want from this contact." in page
    assert "Give the next step a date." in page
    assert "Talked a lot" in response.get_data(as_text=True)


def test_my_day_shows_overdue_and_due_today_and_logs_the_result(as_seller, seller, make_customer, make_lead,
                                                                fetch, app):
    customer = make_customer("Ana García", mobile="612 345 678")
    lead = make_lead(customer, seller, title="Gravel")
    today = shop_today()
    log(as_seller, customer, lead_id=str(lead.id), next_step="Send the quote",
        next_step_due=(today - timedelta(days=2)).isoformat())
    log(as_seller, customer, next_step="Call about the test ride", next_step_due=today.isoformat())
    log(as_seller, customer, next_step="Next week thing", next_step_due=(today + timedelta(days=3)).isoformat())
    page = as_seller.get("/leads/my-day")
    text = text_of(page)
    assert "1 overdue" in text and "Send the quote" in text
    assert "Due today" in text and "Call about the test ride" in text
    assert text.index("Send the quote") < text.index("Call about the test ride") < text.index("Next week thing")
    with app.app_context():
        from extensions import db
        overdue = db.session.query(ContactLog).filter_by(next_step="Send the quote").one().id
    form = as_seller.get(f"/leads/contacts/new/{customer.id}?completes={overdue}&back=my-day")
    assert 'value="Send the quote"' in form.get_data(as_text=True)  # the step becomes this contact's goal
    done = log(as_seller, customer, goal="Send the quote", outcome="Sent by email", completes=str(overdue),
               back="my-day", lead_id=str(lead.id))
    assert done.status_code == 303 and done.location == "/leads/my-day"
    assert fetch(ContactLog, overdue).next_step_done_at is not None
    assert "overdue" not in text_of(as_seller.get("/leads/my-day"))


def test_a_backlog_of_late_steps_leaves_todays_on_my_day_and_is_counted_in_full(as_seller, seller, make_customer,
                                                                                  app):
    from sales.agenda import LIST_LIMIT

    customer = make_customer("Ana García")
    today = shop_today()
    late = LIST_LIMIT + 7
    with app.app_context():
        from extensions import db
        db.session.add_all([ContactLog(customer_id=customer.id, user_id=seller.id, channel="call", goal="Follow up",
                                       next_step=f"Old call {n}", next_step_due=today - timedelta(days=1 + n))
                            for n in range(late)]
                           + [ContactLog(customer_id=customer.id, user_id=seller.id, channel="call", goal="Follow up",
                                         next_step=f"Today's call {n}", next_step_due=today) for n in range(3)])
        db.session.commit()
    text = text_of(as_seller.get("/leads/my-day"))
    assert f"{late} overdue" in text
    assert f"The first {LIST_LIMIT} of {late}: as you clear them, the next ones appear here." in text
    assert text.count("Old call") == LIST_LIMIT
    assert "Due today (3)" in text and all(f"Today's call {n}" in text for n in range(3))
    # The oldest late ones are the ones shown (call n is n + 1 days late).
    shown = {int(n) for n in re.findall(r"Old call (\d+)", text)}
    assert shown == set(range(late - LIST_LIMIT, late))


def test_my_day_is_personal(client, make_user, make_customer, app):
    a, b = make_user("seller"), make_user("seller")
    customer = make_customer()
    login(client, a)
    log(client, customer, next_step="A's step", next_step_due=shop_today().isoformat())
    client.post("/logout")
    login(client, b)
    assert "A's step" not in text_of(client.get("/leads/my-day"))
    with app.app_context():
        from extensions import db
        step = db.session.query(ContactLog).one().id
    assert client.post(f"/leads/steps/{step}/done").status_code == 404


def test_support_can_log_a_contact(client, make_user, make_customer):
    login(client, make_user("support"))
    assert log(client, make_customer()).status_code == 303


def test_inquiry_open_until_answered(as_seller, seller, make_customer, app):
    customer = make_customer("Ana García")
    response = as_seller.post(f"/leads/inquiries/new/{customer.id}", data={
        "kind": "availability", "product_id": "0", "question": "Is the M size gravel in stock?"})
    assert response.status_code == 303
    assert "Is the M size gravel in stock?" in text_of(as_seller.get("/leads/inquiries/"))
    answered = as_seller.post(response.location, data={"answer": "Yes, arriving Thursday."})
    assert answered.status_code == 303
    assert "No open inquiries." in text_of(as_seller.get("/leads/inquiries/"))
    with app.app_context():
        from extensions import db
        inquiry = db.session.query(Inquiry).one()
        assert inquiry.answered_by_id == seller.id and not inquiry.is_open
    assert "Inquiry: Is it available?" in text_of(as_seller.get(f"/customers/{customer.id}"))


def test_timeline_lists_everything_newest_first(as_seller, seller, make_customer, make_lead, app):
    customer = make_customer("Ana García")
    lead = make_lead(customer, seller, title="Fleet")
    log(as_seller, customer, happened_at="2020-01-01T09:00", goal="Very old call")
    from tests.conftest import stage_id
    as_seller.post(f"/leads/{lead.id}/move", data={"stage_id": str(stage_id(app, "Proposal"))})
    text = text_of(as_seller.get(f"/customers/{customer.id}"))
    assert "Fleet moved to Proposal" in text and "New lead: Fleet" in text
    assert text.index("Fleet moved to Proposal") < text.index("Very old call")


def test_timeline_queries_do_not_grow(as_seller, seller, make_customer, make_lead, count_queries):
    customer = make_customer("Ana García")
    make_lead(customer, seller, title="Fleet")
    log(as_seller, customer)
    with count_queries() as few:
        as_seller.get(f"/customers/{customer.id}")
    for i in range(10):
        log(as_seller, customer, goal=f"Goal {i}")
        make_lead(customer, seller, title=f"Lead {i}")
    with count_queries() as many:
        as_seller.get(f"/customers/{customer.id}")
    assert len(many) == len(few)


def test_my_day_shows_promises_not_kept(as_seller, seller, make_customer, app):
    from models import Order, Promise

    customer = make_customer("Ana García")
    with app.app_context():
        from extensions import db
        order = Order(number="O-2026-0001", customer_id=customer.id, seller_id=seller.id,
                      ordered_on=shop_today() - timedelta(days=10))
        db.session.add(order)
        db.session.flush()
        db.session.add(Promise(order_id=order.id, seller_id=seller.id, kind="delivery",
                               description="Deliver the cargo bike", due_on=shop_today() - timedelta(days=1)))
        db.session.commit()
        promise_id = db.session.query(Promise).one().id
    text = text_of(as_seller.get("/leads/my-day"))
    assert "1 promise not kept yet" in text and "Deliver the cargo bike" in text
    response = as_seller.post(f"/support/promises/{promise_id}/kept", data={"back": "my-day"})
    assert response.location == "/leads/my-day"
    after = text_of(as_seller.get("/leads/my-day"))
    assert "Promise kept: Deliver the cargo bike" in after and "promise not kept yet" not in after
