"""The customer timeline read in one statement (issue 20): every kind of entry newest first, entries of the same
moment in the providers' order, decisions and closings at their own time, and what a seller may not open counted,
not shown."""
from datetime import timedelta
from decimal import Decimal

import pytest

from extensions import db
from models import ContactLog, Customer, IncomingEmail, Order, Survey, Ticket, User
from sales import records, timeline
from sales.clock import shop_today, utcnow
from tests.conftest import text_of
from tests.record_shop import sign_in


@pytest.fixture
def story(app, owner, seller, make_user):
    """A customer with one record of each kind at known times: the seller's contact and quote (sent, then
    accepted), another seller's order and ticket (opened and closed) at the same moment, a survey, an email."""
    from sales.quotes import rules as quote_rules
    from sales.support import rules as support_rules

    other = make_user("seller", name="Otto Other")
    with app.test_request_context():
        start = utcnow() - timedelta(days=10)
        at = {name: start + timedelta(hours=hours) for name, hours in (
            ("contact", 1), ("sent", 2), ("order", 3), ("ticket", 3), ("accepted", 4), ("survey", 5),
            ("email", 6), ("closed", 7))}
        customer = Customer(name="Ana García", email="ana@example.com")
        db.session.add(customer)
        db.session.flush()
        db.session.add(ContactLog(customer_id=customer.id, user_id=seller.id, channel="visit", happened_at=at["contact"],
                                  goal="See the cargo bikes", outcome="Liked the blue one", next_step="Send a quote",
                                  next_step_due=shop_today()))
        quote, revision = quote_rules.new_quote(customer, seller.id)
        revision.status, revision.sent_at = "accepted", at["sent"]
        revision.decided_at, revision.decided_by_name = at["accepted"], "Ana García"
        order = Order(number="O-2026-0042", customer_id=customer.id, seller_id=other.id, ordered_on=shop_today(),
                      total=Decimal("1210.00"), created_at=at["order"])
        db.session.add(order)
        db.session.flush()
        ticket = support_rules.open_ticket(customer, title="Squeaky brake", now=at["ticket"])
        ticket.assignee_id = other.id
        db.session.flush()
        ticket.created_at, ticket.closed_at, ticket.resolution = at["ticket"], at["closed"], "Pads replaced"
        db.session.add_all([
            Survey(customer_id=customer.id, answered_at=at["survey"], expectation=4, experience=5, csat=5, nps=9,
                   comment="Quick and kind"),
            IncomingEmail(message_id="<m1@example.com>", from_address="ana@example.com", subject="Thanks",
                          body="The bike is great", received_at=at["email"], customer_id=customer.id)])
        db.session.commit()
        return dict(customer=customer.id, quote=quote.number, ticket=ticket.number, at=at, owner=owner.id,
                    seller=seller.id)


def _timeline(app, story, role, limit=50):
    with app.test_request_context():
        return timeline.timeline_for(db.session.get(Customer, story["customer"]),
                                     db.session.get(User, story[role]), limit=limit)


def _source(name):
    return next(n for n, source in enumerate(timeline.PROVIDERS) if source.__name__ == name)


def test_the_owner_reads_every_entry_newest_first_with_its_text(app, story):
    at, quote, ticket = story["at"], story["quote"], story["ticket"]
    entries = _timeline(app, story, "owner")
    # The order and the ticket were opened at the same moment: they follow the providers' order.
    same_moment = sorted([("order", "Order O-2026-0042"), ("ticket", f"Repair ticket {ticket} opened")],
                         key=lambda entry: _source({"order": "orders", "ticket": "tickets"}[entry[0]]))
    expected = [(at["closed"], f"Ticket {ticket} closed"), (at["email"], "Email received: Thanks"),
                (at["survey"], "Survey answered: expected 4, got 5 (gap +1), satisfaction 5/5, recommend 9/10"),
                (at["accepted"], f"Quote {quote} accepted by Ana García"),
                *((at["order"], title) for _, title in same_moment),
                (at["sent"], f"Quote {quote} rev. 1 sent"), (at["contact"], "Visit")]
    assert [(entry.at, entry.title) for entry in entries] == expected
    assert entries.hidden == 0
    details = {entry.title: entry.detail for entry in entries}
    assert details[f"Ticket {ticket} closed"] == "Pads replaced"
    assert details["Visit"].splitlines()[:2] == ["Goal: See the cargo bikes", "Outcome: Liked the blue one"]
    assert next(entry for entry in entries if entry.title == "Visit").who == "Sam Seller"
    # A shorter timeline is the first entries of the long one.
    assert [entry.title for entry in _timeline(app, story, "owner", limit=3)] == [title for _, title in expected[:3]]


def test_a_seller_reads_their_own_entries_and_a_count_of_the_others(app, story):
    everything = [entry.title for entry in _timeline(app, story, "owner")]
    entries = _timeline(app, story, "seller")
    titles = [entry.title for entry in entries]
    # Another seller's order and the ticket about it are left out, in the owner's order otherwise.
    assert titles == [title for title in everything if title in titles]
    assert not any(title.startswith(("Order", "Repair ticket", "Ticket")) for title in titles)
    assert f"Quote {story['quote']} accepted by Ana García" in titles and "Visit" in titles
    # Counted are rows, not entries: the ticket's closing is the same ticket.
    with app.app_context():
        seller = db.session.get(User, story["seller"])
        others = sum(records.hidden_count(model, seller, model.customer_id == story["customer"])
                     for model in (Order, Ticket))
    assert others and entries.hidden == others
    page = text_of(sign_in(app.test_client(), story["seller"]).get(f"/customers/{story['customer']}"))
    assert f"{others} more entries belong to colleagues' work you do not open, so they are not shown." in page
    assert "Squeaky brake" not in page and "Pads replaced" not in page
