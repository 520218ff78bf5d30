"""After-sale: warranty and SLA rules at their boundaries, the ticket pages per role, photos, the customer's
link, scheduled maintenance, promises and the satisfaction gap."""
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (Attachment, MaintenancePlan, Order, OrderLine, Product, Promise, ShopSetting, Survey, Ticket,
                    TicketCharge, TicketMessage, User, utcnow)
from sales.support import rules
from tests.conftest import login, text_of
from sales.clock import shop_today

# A real 1×1 picture: photos are decoded and saved again, so a broken one would be refused.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


# --- Factories -----------------------------------------------------------------------------------------------

@pytest.fixture
def make_sale(app):
    """An order of one product: returns the order line's id."""
    counter = iter(range(1, 10_000))

    def make(customer, sold_on=None, warranty_months=24, seller=None, product_name="E-City bike"):
        n = next(counter)
        with app.app_context():
            product = Product(code=f"P{n}", name=product_name, unit_price=Decimal("1000"),
                              warranty_months=warranty_months)
            order = Order(number=f"O-TEST-{n}", customer_id=customer.id, ordered_on=sold_on or shop_today(),
                          seller_id=seller.id if seller else None, delivered_on=sold_on or shop_today())
            order.lines.append(OrderLine(product=product, description=product_name, quantity=Decimal(1),
                                         unit_price=Decimal("1000"), line_total=Decimal("1000"),
                                         warranty_months=warranty_months, serial_number=f"SN{n}"))
            db.session.add(order)
            db.session.commit()
            return order.lines[0].id

    return make


@pytest.fixture
def make_ticket(app):
    def make(customer, line_id=None, **fields):
        with app.app_context():
            from models import Customer

            line = db.session.get(OrderLine, line_id) if line_id else None
            opened_at = fields.pop("now", None)
            ticket = rules.open_ticket(db.session.get(Customer, customer.id), title=fields.pop("title", "Squeaky brake"),
                                       order_line=line, now=opened_at, **fields)
            db.session.commit()
            return ticket.id

    return make


# --- Warranty: the day it ends -----------------------------------------------------------------------------

def test_warranty_covers_through_the_day_before_the_same_date_later():
    assert rules.warranty_ends_on(date(2024, 3, 15), 24) == date(2026, 3, 14)
    assert rules.warranty_decision(date(2024, 3, 15), 24, date(2026, 3, 14)).covered
    late = rules.warranty_decision(date(2024, 3, 15), 24, date(2026, 3, 15))
    assert not late.covered and late.reason == "expired" and late.ends_on == date(2026, 3, 14)


def test_warranty_from_a_month_end_covers_the_shorter_months_last_day():
    assert rules.warranty_ends_on(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert rules.warranty_ends_on(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert rules.warranty_decision(date(2025, 1, 31), 1, date(2025, 2, 28)).covered
    assert not rules.warranty_decision(date(2025, 1, 31), 1, date(2025, 3, 1)).covered


def test_warranty_on_the_sale_day_and_without_warranty_or_sale():
    assert rules.warranty_decision(date(2026, 1, 10), 12, date(2026, 1, 10)).covered
    assert rules.warranty_decision(date(2026, 1, 10), 0, date(2026, 1, 10)).reason == "no_warranty"
    assert rules.warranty_decision(date(2026, 1, 10), None, date(2026, 1, 10)).reason == "no_warranty"
    assert rules.warranty_decision(None, 24, date(2026, 1, 10)).reason == "no_sale"


def test_ticket_warranty_uses_the_sale_and_can_be_overridden_with_a_reason(app, make_customer, make_sale,
                                                                            make_ticket):
    customer = make_customer()
    old_line = make_sale(customer, sold_on=shop_today() - timedelta(days=800), warranty_months=24)
    new_line = make_sale(customer, sold_on=shop_today() - timedelta(days=30), warranty_months=24)
    old_id, new_id = make_ticket(customer, old_line), make_ticket(customer, new_line)
    with app.app_context():
        old, new = db.session.get(Ticket, old_id), db.session.get(Ticket, new_id)
        assert not rules.ticket_warranty(old).covered
        assert rules.ticket_warranty(new).covered
        with pytest.raises(rules.TicketRuleError):
            rules.override_warranty(old, "covered", "  ")
        rules.override_warranty(old, "covered", "Goodwill: loyal customer")
        decision = rules.ticket_warranty(old)
        assert decision.covered and decision.reason == "override"
        assert decision.override_reason == "Goodwill: loyal customer"
        rules.override_warranty(old, None, None)
        assert not rules.ticket_warranty(old).covered and old.warranty_override_reason is None


# --- SLA: the minute a ticket becomes overdue --------------------------------------------------------------

def test_sla_due_time_and_the_overdue_minute(app):
    opened = datetime(2026, 5, 4, 9, 0)
    hours = {"urgent": 4, "high": 24, "normal": 72, "low": 168}
    assert rules.due_at_for(opened, "urgent", hours) == datetime(2026, 5, 4, 13, 0)
    ticket = Ticket(status="new", priority="urgent", due_at=rules.due_at_for(opened, "urgent", hours))
    assert not rules.is_overdue(ticket, datetime(2026, 5, 4, 13, 0))
    assert rules.is_overdue(ticket, datetime(2026, 5, 4, 13, 1))
    for status in ("waiting_customer", "resolved", "closed"):
        ticket.status = status
        assert not rules.is_overdue(ticket, datetime(2026, 5, 4, 13, 1))


def test_sla_hours_come_from_the_shop_settings(app):
    with app.app_context():
        assert rules.sla_hours() == rules.DEFAULT_SLA_HOURS
        rules.save_sla_hours({"urgent": 2, "high": 8, "normal": 48, "low": 100})
        db.session.commit()
        assert rules.sla_hours()["urgent"] == 2
        assert rules.due_at_for(datetime(2026, 5, 4, 9, 0), "urgent") == datetime(2026, 5, 4, 11, 0)


def test_waiting_on_the_customer_stops_the_clock(app, make_customer, make_ticket):
    customer = make_customer()
    opened = datetime(2026, 5, 4, 9, 0)
    ticket_id = make_ticket(customer, priority="urgent", now=opened)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.due_at == datetime(2026, 5, 4, 13, 0)
        rules.change_status(ticket, "waiting_customer", datetime(2026, 5, 4, 10, 0))
        rules.change_status(ticket, "in_progress", datetime(2026, 5, 4, 15, 0))
        assert ticket.due_at == datetime(2026, 5, 4, 18, 0)  # five hours of waiting added
        rules.change_priority(ticket, "high")
        assert ticket.due_at == datetime(2026, 5, 5, 14, 0)  # 24 h from opening, plus the same five hours


def test_overdue_list_matches_the_rule(as_owner, app, make_customer, make_ticket):
    customer = make_customer()
    now = utcnow()
    make_ticket(customer, title="Late one", priority="urgent", now=now - timedelta(hours=4, minutes=1))
    make_ticket(customer, title="Just in time", priority="urgent", now=now - timedelta(hours=3, minutes=58))
    page = text_of(as_owner.get("/support/?view=overdue"))
    assert "Late one" in page and "Just in time" not in page
    assert "OVERDUE" in text_of(as_owner.get("/support/"))


def test_owner_sets_sla_hours_and_others_cannot(client, make_user, app):
    login(client, make_user("owner"))
    response = client.post("/support/settings", data={"urgent": "3", "high": "12", "normal": "40", "low": "90"})
    assert response.status_code == 303
    with app.app_context():
        assert ShopSetting.get("support.sla_hours.normal") == "40"
    bad = client.post("/support/settings", data={"urgent": "0", "high": "12", "normal": "40", "low": "90"})
    assert bad.status_code == 422
    client.post("/logout")
    login(client, make_user("support"))
    assert client.get("/support/settings").status_code == 403


# --- Ticket pages and who may use them ---------------------------------------------------------------------

def test_opening_a_ticket_for_a_product_sold(client, app, make_user, make_customer, make_sale):
    seller = make_user("seller")
    customer = make_customer(owner_id=seller.id)
    line_id = make_sale(customer, sold_on=shop_today() - timedelta(days=10))
    login(client, seller)
    form = client.get(f"/support/tickets/new?customer_id={customer.id}")
    assert "E-City bike" in text_of(form)
    response = client.post(f"/support/tickets/new?customer_id={customer.id}",
                           data={"order_line_id": line_id, "kind": "repair", "priority": "high",
                                 "title": "Battery does not charge", "assignee_id": 0})
    assert response.status_code == 303
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.order_line_id == line_id and ticket.serial_number.startswith("SN")
        assert ticket.due_at == ticket.created_at + timedelta(hours=24)
    page = text_of(client.get(response.location))
    assert "Covered by warranty" in page and "Battery does not charge" in page


def test_new_ticket_form_keeps_what_was_typed_on_error(as_owner, make_customer):
    customer = make_customer()
    response = as_owner.post(f"/support/tickets/new?customer_id={customer.id}",
                             data={"order_line_id": 0, "kind": "question", "priority": "low", "title": "",
                                   "description": "Which tyre pressure?", "assignee_id": 0})
    assert response.status_code == 422
    assert "Write a short title." in text_of(response) and "Which tyre pressure?" in response.get_data(as_text=True)


@pytest.mark.parametrize("role, own_customer, expected", [
    ("owner", False, 200), ("support", False, 200), ("seller", True, 200), ("seller", False, 404)])
def test_who_sees_a_ticket(client, make_user, make_customer, make_ticket, role, own_customer, expected):
    user = make_user(role)
    customer = make_customer(owner_id=user.id if own_customer else None)
    ticket_id = make_ticket(customer)
    login(client, user)
    assert client.get(f"/support/tickets/{ticket_id}").status_code == expected
    listed = "Squeaky brake" in text_of(client.get("/support/?view=all"))
    assert listed == (expected == 200)


def test_sellers_see_but_do_not_work_tickets(client, app, make_user, make_customer, make_ticket):
    seller = make_user("seller")
    customer = make_customer(owner_id=seller.id)
    ticket_id = make_ticket(customer)
    login(client, seller)
    page = client.get(f"/support/tickets/{ticket_id}").get_data(as_text=True)
    assert "Work on it" not in page and "/support/t/" not in page  # no customer link for sellers either
    with app.app_context():
        version = db.session.get(Ticket, ticket_id).version
    for url, data in ((f"/support/tickets/{ticket_id}", {"status": "closed", "priority": "low", "assignee_id": 0,
                                                         "version": version}),
                      (f"/support/tickets/{ticket_id}/messages", {"body": "hi", "visibility": "public"}),
                      (f"/support/tickets/{ticket_id}/warranty", {"decision": "covered", "reason": "x"})):
        assert client.post(url, data=data).status_code == 403


def test_support_moves_a_ticket_along_and_closing_sends_a_survey(client, app, make_user, make_customer,
                                                                make_ticket):
    support = make_user("support")
    ticket_id = make_ticket(make_customer())
    login(client, support)

    def save(status, **extra):
        with app.app_context():
            version = db.session.get(Ticket, ticket_id).version
        return client.post(f"/support/tickets/{ticket_id}", data={
            "status": status, "priority": "normal", "assignee_id": support.id, "root_cause": "",
            "resolution": "New pads", "version": version, **extra})

    assert save("in_progress").status_code == 303
    assert save("closed").status_code == 303
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.status == "closed" and ticket.closed_at and ticket.resolved_at
        survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket_id))
        assert survey.ticket_kind == "repair" and len(survey.token) >= 40
    assert f"/support/survey/{survey.token}" in client.get(f"/support/tickets/{ticket_id}").get_data(as_text=True)


def test_a_stale_form_does_not_overwrite_a_newer_change(as_owner, app, make_customer, make_ticket):
    ticket_id = make_ticket(make_customer())
    response = as_owner.post(f"/support/tickets/{ticket_id}", data={
        "status": "closed", "priority": "normal", "assignee_id": 0, "root_cause": "", "version": 0})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "new"


def test_a_complaint_needs_its_root_cause_to_be_resolved(as_owner, app, make_customer, make_ticket):
    ticket_id = make_ticket(make_customer(), kind="complaint", title="Late delivery")
    with app.app_context():
        version = db.session.get(Ticket, ticket_id).version
    data = {"status": "resolved", "priority": "normal", "assignee_id": 0, "root_cause": "", "version": version}
    response = as_owner.post(f"/support/tickets/{ticket_id}", data=data)
    assert response.status_code == 422
    assert "needs its root cause" in text_of(response)
    response = as_owner.post(f"/support/tickets/{ticket_id}", data={**data, "root_cause": "delivery"})
    assert response.status_code == 303
    with app.app_context():
        assert rules.complaints_by_root_cause() == [("delivery", 1, 0)]


def test_warranty_override_from_the_page_needs_a_reason(as_owner, app, make_customer, make_ticket):
    ticket_id = make_ticket(make_customer())
    response = as_owner.post(f"/support/tickets/{ticket_id}/warranty", data={"decision": "covered", "reason": ""})
    assert response.status_code == 422 and "Say why" in text_of(response)
    response = as_owner.post(f"/support/tickets/{ticket_id}/warranty",
                             data={"decision": "covered", "reason": "Goodwill"})
    assert response.status_code == 303
    assert "Decided by hand: Goodwill" in text_of(as_owner.get(f"/support/tickets/{ticket_id}"))


def test_billable_lines_for_a_quotation(as_owner, app, make_customer, make_sale, make_ticket):
    customer = make_customer()
    ticket_id = make_ticket(customer, make_sale(customer, sold_on=shop_today() - timedelta(days=900)))
    as_owner.post(f"/support/tickets/{ticket_id}/charges",
                  data={"kind": "part", "description": "Brake pads", "quantity": "2", "unit_price": "14.50"})
    as_owner.post(f"/support/tickets/{ticket_id}/charges",
                  data={"kind": "labour", "description": "Workshop", "quantity": "0.5", "unit_price": "40"})
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        lines = rules.quote_lines_for(ticket)
        assert [(x["kind"], x["description"], x["quantity"], x["unit_price"]) for x in lines] == [
            ("part", "Brake pads", Decimal("2"), Decimal("14.50")),
            ("labour", "Workshop", Decimal("0.5"), Decimal("40"))]
        assert rules.charges_total(ticket) == Decimal("49.00")
        rules.override_warranty(ticket, "covered", "Goodwill")
        assert rules.quote_lines_for(ticket) == []
    assert "49.00" in text_of(as_owner.get(f"/support/tickets/{ticket_id}"))


def test_list_is_a_fragment_for_htmx_and_a_page_otherwise(as_owner, make_customer, make_ticket):
    make_ticket(make_customer())
    full = as_owner.get("/support/")
    fragment = as_owner.get("/support/", headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    assert "Squeaky brake" in text_of(fragment)
    assert "HX-Request" in fragment.headers["Vary"]
    restore = as_owner.get("/support/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_ticket_page_is_a_fragment_for_htmx(as_owner, make_customer, make_ticket):
    ticket_id = make_ticket(make_customer())
    assert "<html" not in as_owner.get(f"/support/tickets/{ticket_id}",
                                       headers={"HX-Request": "true"}).get_data(as_text=True)


def test_ticket_list_runs_a_constant_number_of_queries(as_owner, make_customer, make_sale, make_ticket,
                                                       count_queries):
    def queries():
        with count_queries() as statements:
            assert as_owner.get("/support/?view=all").status_code == 200
        return len(statements)

    customer = make_customer()
    make_ticket(customer, make_sale(customer))
    few = queries()
    for n in range(8):
        other = make_customer(name=f"Customer {n}")
        make_ticket(other, make_sale(other))
    assert queries() == few


def test_search_finds_a_ticket_by_number_serial_or_customer(as_owner, make_customer, make_sale, make_ticket):
    customer = make_customer("Bruno Díaz")
    ticket_id = make_ticket(customer, make_sale(customer), title="Chain slips")
    make_ticket(make_customer("Other"), title="Flat tyre")
    for q in (f"T-{ticket_id:05d}", "Bruno", "SN1"):
        page = text_of(as_owner.get(f"/support/?view=all&q={q}"))
        assert "Chain slips" in page and "Flat tyre" not in page, q


# --- Photos ------------------------------------------------------------------------------------------------

def test_photo_is_checked_by_content_and_served_only_to_who_may_see_the_ticket(client, app, make_user,
                                                                               make_customer, make_ticket):
    from io import BytesIO

    support = make_user("support")
    ticket_id = make_ticket(make_customer())
    login(client, support)
    response = client.post(f"/support/tickets/{ticket_id}/photos",
                           data={"photo": (BytesIO(PNG), "brake.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        attachment = db.session.scalar(select(Attachment))
        assert attachment.content_type == "image/png" and attachment.stored_name.endswith(".png")
        assert "brake" not in attachment.stored_name
        stored = Path(app.instance_path) / "attachments" / attachment.stored_name
        assert stored.read_bytes().startswith(b"\x89PNG")   # saved again without metadata: still the PNG
    served = client.get(f"/support/photos/{attachment.id}")
    assert served.status_code == 200 and served.data == stored.read_bytes() and served.mimetype == "image/png"

    client.post("/logout")
    login(client, make_user("seller"))  # not this customer's seller
    assert client.get(f"/support/photos/{attachment.id}").status_code == 404
    assert client.post(f"/support/tickets/{ticket_id}/photos", data={"photo": (BytesIO(PNG), "x.png")},
                       content_type="multipart/form-data").status_code == 403
    client.post("/logout")
    assert client.get(f"/support/photos/{attachment.id}").status_code == 302
    stored.unlink()


@pytest.mark.parametrize("content, message", [
    (b"#!/bin/sh\necho not a photo\n", "This file is not a photo"),
    (b"", "Choose a photo"),
    (b"\xff\xd8\xff" + b"0" * (8 * 1024 * 1024), "larger than 8 MB"),
])
def test_bad_photos_are_refused_with_a_clear_message(as_owner, app, make_customer, make_ticket, content, message):
    from io import BytesIO

    ticket_id = make_ticket(make_customer())
    response = as_owner.post(f"/support/tickets/{ticket_id}/photos", data={"photo": (BytesIO(content), "a.png")},
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_request_over_the_size_limit_says_so(as_owner, app, make_customer, make_ticket, monkeypatch):
    from io import BytesIO

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    ticket_id = make_ticket(make_customer())
    response = as_owner.post(f"/support/tickets/{ticket_id}/photos", data={"photo": (BytesIO(PNG * 40), "a.png")},
                             content_type="multipart/form-data")
    assert response.status_code == 303 and response.location.endswith(f"/support/tickets/{ticket_id}#photos")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    assert "That file is too large" in text_of(as_owner.get(response.location))


def test_any_other_form_over_the_size_limit_answers_413_in_words(as_owner, app, make_customer, make_ticket,
                                                                   monkeypatch):
    from io import BytesIO

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    ticket_id = make_ticket(make_customer())
    upload = {"file": (BytesIO(b"name\n" + b"Ana\n" * 400), "customers.csv")}
    too_large = as_owner.post("/customers/import", data=upload, content_type="multipart/form-data",
                              headers={"Referer": "http://localhost/customers/import"})
    assert too_large.status_code == 413
    assert "larger than 1 KB" in text_of(too_large)      # the limit, as configured
    assert "nothing was saved" in text_of(too_large)
    assert re.search(r'href="[^"]*/customers/import">Back to the form', too_large.get_data(as_text=True))
    # A long message on a ticket is no photo: the same page, not the photo's redirect; from htmx into the page.
    message = as_owner.post(f"/support/tickets/{ticket_id}/messages", data={"body": "x" * 2000},
                            headers={"HX-Request": "true"})
    assert message.status_code == 413 and message.headers["HX-Retarget"] == "#content"
    assert "File too large" in text_of(message) and "<html" not in message.get_data(as_text=True)


@pytest.mark.parametrize("head, expected", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01", "image/jpeg"),
    (PNG[:16], "image/png"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", None),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00", None),
    (b"<svg xmlns='http://www.w3.org/2000/svg'>", None),
])
def test_photo_type_by_magic_bytes(head, expected):
    found = rules.photo_type(head)
    assert (found[0] if found else None) == expected


# --- The customer's link -----------------------------------------------------------------------------------

def test_customer_link_shows_public_replies_but_never_internal_notes(client, app, make_customer, make_ticket,
                                                                    make_user, csrf_on):
    ticket_id = make_ticket(make_customer(language="en"))
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        rules.add_message(ticket, "We ordered the part, ready on Thursday.", public=True)
        rules.add_message(ticket, "Supplier is slow, chase them Wednesday.", public=False)
        rules.change_status(ticket, "waiting_customer")
        db.session.commit()
        token = ticket.public_token
    page = client.get(f"/support/t/{token}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "We ordered the part" in text_of(page) and "Supplier is slow" not in text_of(page)
    assert "Waiting on customer" in text_of(page)

    import re

    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(f"/support/t/{token}", data={"body": "Thursday is fine, thanks!", "csrf_token": csrf})
    assert response.status_code == 303
    assert "Thursday is fine" in text_of(client.get(f"/support/t/{token}"))
    with app.app_context():
        message = db.session.scalar(select(TicketMessage).where(TicketMessage.from_customer))
        assert message.is_public and message.author_id is None
        assert db.session.get(Ticket, ticket_id).status == "in_progress"  # the ball is back with us


def test_customer_link_of_a_closed_ticket_offers_the_survey_not_a_reply(client, app, make_customer, make_ticket):
    ticket_id = make_ticket(make_customer())
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        survey = rules.change_status(ticket, "closed")
        db.session.commit()
        token, survey_token = ticket.public_token, survey.token
    page = client.get(f"/support/t/{token}")
    assert f"/support/survey/{survey_token}" in page.get_data(as_text=True)
    assert "Your message" not in text_of(page)
    assert client.post(f"/support/t/{token}", data={"body": "hello"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TicketMessage)) == 0


def test_unknown_tokens_are_not_found(client, owner):
    assert client.get("/support/t/" + "x" * 43).status_code == 404
    assert client.get("/support/survey/" + "x" * 43).status_code == 404


# --- Scheduled maintenance ---------------------------------------------------------------------------------

def test_maintenance_command_opens_due_tickets_once(runner, app, make_customer, make_sale):
    customer = make_customer()
    line_id = make_sale(customer)
    today = shop_today()
    with app.app_context():
        db.session.add_all([
            MaintenancePlan(customer_id=customer.id, order_line_id=line_id, every_months=6,
                            next_due_on=today - timedelta(days=1), notes="Brakes and chain"),
            MaintenancePlan(customer_id=customer.id, order_line_id=line_id, every_months=12,
                            next_due_on=today + timedelta(days=10)),
            MaintenancePlan(customer_id=customer.id, order_line_id=line_id, every_months=1,
                            next_due_on=today - timedelta(days=5), active=False),
        ])
        db.session.commit()
    first = runner.invoke(args=["maintenance-due"])
    assert first.exit_code == 0, first.output
    assert "1 maintenance ticket(s) opened." in first.output
    second = runner.invoke(args=["maintenance-due"])
    assert "0 maintenance ticket(s) opened." in second.output
    with app.app_context():
        tickets = db.session.scalars(select(Ticket)).all()
        assert len(tickets) == 1 and tickets[0].kind == "maintenance"
        assert tickets[0].order_line_id == line_id and tickets[0].description == "Brakes and chain"
        plan = db.session.get(MaintenancePlan, tickets[0].maintenance_plan_id)
        assert plan.next_due_on == rules.add_months(today - timedelta(days=1), 6)


def test_a_plan_far_behind_gets_one_ticket_and_moves_past_today(app, make_customer):
    customer = make_customer()
    with app.app_context():
        plan = MaintenancePlan(customer_id=customer.id, every_months=1, next_due_on=date(2026, 1, 15))
        db.session.add(plan)
        db.session.flush()
        created = rules.create_due_maintenance_tickets(date(2026, 5, 20))
        assert len(created) == 1 and created[0].maintenance_due_on == date(2026, 1, 15)
        assert plan.next_due_on == date(2026, 6, 15)
        assert rules.create_due_maintenance_tickets(date(2026, 5, 20)) == []


def test_due_soon_list(as_owner, app, make_customer, make_sale):
    customer = make_customer("Bruno Díaz")
    line_id = make_sale(customer, product_name="Cargo bike")
    with app.app_context():
        db.session.add(MaintenancePlan(customer_id=customer.id, order_line_id=line_id, every_months=12,
                                       next_due_on=shop_today() + timedelta(days=12)))
        db.session.add(MaintenancePlan(customer_id=customer.id, order_line_id=line_id, every_months=12,
                                       next_due_on=shop_today() + timedelta(days=90), notes="Far away"))
        db.session.commit()
    page = text_of(as_owner.get("/support/maintenance"))
    assert "Bruno Díaz" in page and "Cargo bike" in page and "Far away" not in page


def test_planning_maintenance_from_the_customer(as_owner, app, make_customer, make_sale):
    customer = make_customer()
    line_id = make_sale(customer)
    due = (shop_today() + timedelta(days=180)).isoformat()
    response = as_owner.post(f"/support/maintenance/new?customer_id={customer.id}",
                             data={"order_line_id": line_id, "every_months": "6", "next_due_on": due})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(MaintenancePlan.every_months)) == 6


# --- Follow-up promises ------------------------------------------------------------------------------------

def test_promises_due_today_or_late_are_on_my_day(app, make_user, make_customer, make_sale):
    seller, other = make_user("seller"), make_user("seller")
    customer = make_customer()
    make_sale(customer, seller=seller)
    today = date(2026, 5, 20)
    with app.app_context():
        order = db.session.scalar(select(Order))
        db.session.add_all([
            Promise(order=order, seller_id=seller.id, kind="delivery", description="Yesterday", due_on=today - timedelta(days=1)),
            Promise(order=order, seller_id=seller.id, kind="installation", description="Today", due_on=today),
            Promise(order=order, seller_id=seller.id, kind="training", description="Kept", due_on=today - timedelta(days=3),
                    done_at=utcnow()),
            Promise(order=order, seller_id=other.id, kind="delivery", description="Someone else's",
                    due_on=today - timedelta(days=5)),
            Promise(order=order, seller_id=seller.id, kind="other", description="Last week", due_on=today - timedelta(days=7)),
        ])
        db.session.commit()
        from sales.agenda import agenda, due_counts

        day = agenda(db.session.get(User, seller.id), today)
        assert [p.description for p in day.promises] == ["Last week", "Yesterday", "Today"]
        assert day.promises[0].order.customer.name == customer.name
        assert due_counts(today)[seller.id]["promises"] == 3 and due_counts(today)[other.id]["promises"] == 1


def test_seller_records_and_keeps_a_promise(client, app, make_user, make_customer, make_sale):
    seller = make_user("seller")
    customer = make_customer(owner_id=seller.id)
    make_sale(customer, seller=seller)
    login(client, seller)
    with app.app_context():
        order_id = db.session.scalar(select(Order.id))
    response = client.post(f"/support/promises/new?customer_id={customer.id}", data={
        "order_id": order_id, "kind": "delivery", "description": "Deliver at home",
        "due_on": (shop_today() - timedelta(days=2)).isoformat(), "seller_id": seller.id})
    assert response.status_code == 303
    page = text_of(client.get("/support/promises"))
    assert "Deliver at home" in page and "OVERDUE" in page
    with app.app_context():
        promise_id = db.session.scalar(select(Promise.id))
    assert client.post(f"/support/promises/{promise_id}/kept").status_code == 303
    assert "No open promises." in text_of(client.get("/support/promises"))


# --- Satisfaction: the gap between expectation and experience -------------------------------------------------

@pytest.fixture
def answered_surveys(app, make_user, make_customer, make_sale, make_ticket):
    """Hand-computed fixture:

    ebike, Lucía, repair:       expected 5, got 3 (gap -2), CSAT 3, NPS 6  (detractor)
    ebike, Lucía, after order:  expected 4, got 4 (gap  0), CSAT 4, NPS 9  (promoter)
    kids bike, Marcos, repair:  expected 3, got 5 (gap +2), CSAT 5, NPS 10 (promoter)
    kids bike, Marcos, unanswered survey: ignored.

    By product: ebike expectation 4.5, experience 3.5, gap -1, CSAT 3.5, NPS (1-1)/2 = 0;
                kids bike gap +2, NPS +100.  Overall: 3 answers, gap 0, CSAT 4, NPS (2-1)/3 = +33.33.
    """
    lucia, marcos = make_user("seller", name="Lucía"), make_user("seller", name="Marcos")
    ana, bruno = make_customer("Ana", language="en"), make_customer("Bruno", language="en")
    ebike_line = make_sale(ana, seller=lucia, product_name="E-City bike")
    kids_line = make_sale(bruno, seller=marcos, product_name="Kids bike")
    first, second = make_ticket(ana, ebike_line), make_ticket(bruno, kids_line)
    third = make_ticket(bruno, kids_line, title="Another")
    with app.app_context():
        def close(ticket_id):
            return rules.change_status(db.session.get(Ticket, ticket_id), "closed")

        s1, s3, unanswered = close(first), close(second), close(third)
        s2 = rules.survey_for_delivered_order(db.session.get(OrderLine, ebike_line).order)
        db.session.flush()
        rules.answer_survey(s1, expectation=5, experience=3, csat=3, nps=6, comment="Slow")
        rules.answer_survey(s2, expectation=4, experience=4, csat=4, nps=9)
        rules.answer_survey(s3, expectation=3, experience=5, csat=5, nps=10, comment="Wonderful")
        db.session.commit()
        return {"lucia": lucia, "marcos": marcos, "ana": ana, "unanswered": unanswered.token}


def test_gap_report_by_product_seller_and_type(app, answered_surveys):
    with app.app_context():
        by_product = {row["label"]: row for row in rules.gap_report("product")}
        assert by_product["E-City bike"] == {**by_product["E-City bike"], "answers": 2, "expectation": 4.5,
                                             "experience": 3.5, "gap": -1.0, "csat": 3.5, "nps": 0.0}
        assert by_product["Kids bike"]["gap"] == 2.0 and by_product["Kids bike"]["nps"] == 100.0
        assert [row["label"] for row in rules.gap_report("product")] == ["E-City bike", "Kids bike"]  # worst first
        by_seller = {row["label"]: row for row in rules.gap_report("seller")}
        assert by_seller["Lucía"]["gap"] == -1.0 and by_seller["Marcos"]["answers"] == 1
        by_kind = {row["key"]: row for row in rules.gap_report("kind")}
        assert by_kind["repair"]["answers"] == 2 and by_kind["repair"]["gap"] == 0.0
        assert by_kind[None]["answers"] == 1  # the survey after a delivery
        totals = rules.gap_totals()
        assert totals["answers"] == 3 and totals["gap"] == 0.0 and totals["csat"] == 4.0 and totals["nps"] == 33.33


def test_gap_report_by_team_and_branch_holds_every_answer(app, client, make_user, answered_surveys):
    """Issue 21: the satisfaction gap read by the sales force's structure. Lucía is in team North (branch Toledo),
    Marcos in no team: his survey is a row of its own, so the rows add up to every answer."""
    from models import Branch, Team, User

    with app.app_context():
        branch = Branch(name="Toledo")
        db.session.add(branch)
        db.session.flush()
        north = Team(name="North", branch_id=branch.id)
        db.session.add(north)
        db.session.flush()
        db.session.get(User, answered_surveys["lucia"].id).team_id = north.id
        db.session.commit()
        by_team = {row["label"]: row for row in rules.gap_report("team")}
        by_branch = {row["label"]: row for row in rules.gap_report("branch")}
        lucia_only = {row["label"]: row for row in rules.gap_report("seller")}["Lucía"]
    for rows, name in ((by_team, "North"), (by_branch, "Toledo")):
        assert {k: rows[name][k] for k in ("answers", "gap", "csat", "nps")} == \
            {k: lucia_only[k] for k in ("answers", "gap", "csat", "nps")}
        assert rows[None]["answers"] == 1 and sum(row["answers"] for row in rows.values()) == 3
    login(client, make_user("owner"))
    page = text_of(client.get("/support/reports?by=team&period=all"))
    assert "North 2 4.50 3.50 −1.00 3.50 +0" in page and "Not recorded 1 3.00 5.00 +2.00" in page
    assert "Toledo 2" in text_of(client.get("/support/reports?by=branch&period=all"))


def test_gap_report_page_is_for_the_owner(client, make_user, answered_surveys):
    login(client, make_user("owner"))
    page = text_of(client.get("/support/reports?by=product&period=all"))
    assert "E-City bike 2 4.50 3.50 −1.00 3.50 +0" in page  # a real minus sign
    assert "Kids bike 1 3.00 5.00 +2.00 5.00 +100" in page
    assert "Wonderful" in page
    assert "Lucía" in text_of(client.get("/support/reports?by=seller"))
    assert "After a delivery" in text_of(client.get("/support/reports?by=kind"))
    client.post("/logout")
    login(client, answered_surveys["lucia"])
    assert client.get("/support/reports").status_code == 403


def test_survey_is_answered_once_from_its_link(client, app, answered_surveys):
    token = answered_surveys["unanswered"]
    assert "How did we do?" in text_of(client.get(f"/support/survey/{token}"))
    incomplete = client.post(f"/support/survey/{token}", data={"expectation": "4"})
    assert incomplete.status_code == 422 and "Choose a number from 1 to 5." in text_of(incomplete)
    answer = {"expectation": "4", "experience": "2", "csat": "2", "nps": "3", "comment": "Took too long"}
    assert client.post(f"/support/survey/{token}", data=answer).status_code == 303
    assert client.post(f"/support/survey/{token}", data={**answer, "experience": "5"}).status_code == 200
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.token == token))
        assert survey.gap == -2 and survey.comment == "Took too long"
    assert "Thank you!" in text_of(client.get(f"/support/survey/{token}"))


@pytest.mark.parametrize("field, value", [("expectation", "0"), ("experience", "6"), ("nps", "11"), ("csat", "x")])
def test_survey_refuses_answers_off_the_scale(client, answered_surveys, field, value):
    answer = {"expectation": "4", "experience": "2", "csat": "2", "nps": "3", field: value}
    assert client.post(f"/support/survey/{answered_surveys['unanswered']}", data=answer).status_code == 422


def test_the_customer_timeline_shows_tickets_and_surveys(app, answered_surveys, owner):
    from sales.timeline import timeline_for

    with app.test_request_context():
        from models import Customer, User

        entries = timeline_for(db.session.get(Customer, answered_surveys["ana"].id), db.session.get(User, owner.id))
        titles = [entry.title for entry in entries]
        assert any("Repair ticket T-" in t and "opened" in t for t in titles)
        assert any(t.startswith("Ticket T-") and t.endswith("closed") for t in titles)
        assert any("expected 5, got 3 (gap -2)" in t for t in titles)


# --- Demo ----------------------------------------------------------------------------------------------------

def test_demo_has_tickets_of_every_type_and_state(runner, app):
    assert runner.invoke(args=["demo", "--customers", "20"]).exit_code == 0
    with app.app_context():
        pairs = set(db.session.execute(select(Ticket.kind, Ticket.status)).all())
        assert len(pairs) == 30
        now = utcnow()
        assert db.session.scalar(select(func.count()).where(rules.overdue_condition(now))) > 0
        assert db.session.scalar(select(func.count()).where(Survey.answered_at.is_not(None))) > 3
        assert db.session.scalar(select(func.count()).select_from(MaintenancePlan)) > 0
        assert db.session.scalar(select(func.count()).select_from(TicketCharge)) > 0


def test_a_ticket_that_is_not_a_complaint_saves_without_a_root_cause(as_owner, app, make_customer, make_ticket):
    ticket_id = make_ticket(make_customer())
    with app.app_context():
        version = db.session.get(Ticket, ticket_id).version
    response = as_owner.post(f"/support/tickets/{ticket_id}", data={
        "status": "in_progress", "priority": "normal", "assignee_id": 0, "version": version})
    assert response.status_code == 303
