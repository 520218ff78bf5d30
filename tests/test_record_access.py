"""Seller A against seller B's work: the reproductions of the attacks in issue 14 (H1–H3, M1, M2, M4).
Each one failed before sales/records.py; each must keep failing for the attacker."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Campaign, Customer, Order, OutgoingEmail, Quote, QuoteRevision
from sales import records
from tests.conftest import text_of
from tests.record_shop import PRIVATE, as_role, build_shop, shop, sign_in  # noqa: F401 (fixtures)
from sales.clock import shop_today


def quote_form(customer_id, lead_id=0, price="1"):
    from datetime import date, timedelta

    return {"customer_id": str(customer_id), "lead_id": str(lead_id),
            "valid_until": (shop_today() + timedelta(days=30)).isoformat(),
            "lines-0-product_id": "0", "lines-0-description": "E-bike", "lines-0-quantity": "1",
            "lines-0-unit_price": price, "lines-0-tax_rate": "21", "version": "1"}


# --- H1: a quote without a lead was open to every seller -----------------------------------------------------

def test_h1_seller_a_cannot_open_edit_or_send_b_quote_without_a_lead(as_role, shop, app):
    a = as_role("seller_a")
    quote_id = shop["quote"]
    assert a.get(f"/quotes/{quote_id}").status_code == 404
    assert a.get(f"/quotes/{quote_id}/edit").status_code == 404
    assert a.post(f"/quotes/{quote_id}/edit", data=quote_form(shop["customer"])).status_code == 404
    assert a.post(f"/quotes/{quote_id}/send").status_code == 404
    assert a.post(f"/mail/quote/{quote_id}").status_code == 404
    assert f"/quotes/{quote_id}\"" not in a.get("/quotes/?show=all").get_data(as_text=True)
    with app.app_context():
        revision = db.session.scalar(select(QuoteRevision).where(QuoteRevision.quote_id == quote_id))
        assert revision.status == "draft" and revision.total == Decimal("1210.00")
    # B, its maker, still works it.
    assert as_role("seller_b").get(f"/quotes/{quote_id}/edit").status_code == 200


# --- H2: a quote on another seller's lead ----------------------------------------------------------------------

def test_h2_seller_a_cannot_quote_on_b_lead_nor_read_its_description(as_role, shop, app):
    a = as_role("seller_a")
    page = a.get(f"/quotes/new?lead_id={shop['lead']}")
    assert page.status_code == 404 and PRIVATE not in page.get_data(as_text=True)
    form_page = a.get(f"/quotes/new?customer_id={shop['customer']}")
    assert form_page.status_code == 200 and PRIVATE not in form_page.get_data(as_text=True)
    saved = a.post(f"/quotes/new?customer_id={shop['customer']}", data=quote_form(shop["customer"], shop["lead"]))
    assert saved.status_code in (404, 422)
    with app.app_context():
        assert db.session.scalar(select(Quote).where(Quote.lead_id == shop["lead"])) is None
        assert db.session.scalar(select(Order).where(Order.seller_id == shop["seller_a"])) is None
    # B's own quote form offers B's lead.
    assert PRIVATE in as_role("seller_b").get(f"/quotes/new?customer_id={shop['customer']}").get_data(as_text=True)


# --- H3: links in emails and the portal -----------------------------------------------------------------------

def test_h3_other_sellers_quote_links_and_the_portal_link_are_not_shown_or_issued(as_role, shop, app):
    a = as_role("seller_a")
    page = a.get(f"/customers/{shop['customer']}").get_data(as_text=True)
    assert "/quotes/q/" not in page and "Customer portal" not in page
    assert a.post(f"/mail/customer/{shop['customer']}/portal", data={"action": "issue"}).status_code == 403
    with app.app_context():
        assert db.session.get(Customer, shop["customer"]).portal_token is None
    # The owner makes the link; A still does not see it on the page.
    owner = as_role("owner")
    assert owner.post(f"/mail/customer/{shop['customer']}/portal", data={"action": "issue"}).status_code == 303
    with app.app_context():
        token = db.session.get(Customer, shop["customer"]).portal_token
    assert token and token not in a.get(f"/customers/{shop['customer']}").get_data(as_text=True)
    assert token in owner.get(f"/customers/{shop['customer']}").get_data(as_text=True)
    # B, whose quote the email is about, reads the email with its link.
    assert "/quotes/q/" in as_role("seller_b").get(f"/customers/{shop['customer']}").get_data(as_text=True)


def test_h3_the_quote_link_shows_only_to_who_may_change_the_quote(as_role, shop, app):
    with app.test_request_context():
        from sales.quotes import rules

        rules.send(db.session.get(Quote, shop["quote"]).latest)
        db.session.commit()
    page = as_role("seller_b").get(f"/quotes/{shop['quote']}").get_data(as_text=True)
    assert "/quotes/q/" in page
    support_page = as_role("support").get(f"/quotes/{shop['quote']}")
    assert support_page.status_code == 200 and "/quotes/q/" not in support_page.get_data(as_text=True)


# --- M1: taking over another seller's customer -----------------------------------------------------------------

def test_m1_seller_a_cannot_take_over_archive_or_open_tickets_of_b_customer(as_role, shop, app):
    a = as_role("seller_a")
    customer_id = shop["customer"]
    assert a.get(f"/customers/{customer_id}/edit").status_code == 403
    data = {"kind": "person", "name": "Bea Customer", "owner_id": str(shop["seller_a"]), "version": "1"}
    assert a.post(f"/customers/{customer_id}/edit", data=data).status_code == 403
    assert a.post(f"/customers/{customer_id}/archive").status_code == 403
    assert a.get(f"/support/tickets/{shop['ticket']}").status_code == 404
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert customer.owner_id == shop["seller_b"] and customer.archived_at is None


def test_m1_keeper_choices_never_hand_someone_elses_customer_over(as_role, shop, app, make_customer):
    # Support keeps details up to date but cannot move B's customer to A.
    support = as_role("support")
    data = {"kind": "person", "name": "Bea Customer", "owner_id": str(shop["seller_a"]), "version": "1"}
    assert support.post(f"/customers/{shop['customer']}/edit", data=data).status_code == 422
    # A customer nobody looks after: seller A may take it on, but not give it to B.
    free = make_customer("Nadie Todavía")
    a = as_role("seller_a")
    form = a.get(f"/customers/{free.id}/edit").get_data(as_text=True)
    assert f'value="{shop["seller_a"]}"' in form and f'value="{shop["seller_b"]}"' not in form
    taken = a.post(f"/customers/{free.id}/edit", data=dict(data, name="Nadie Todavía"))
    assert taken.status_code == 303
    with app.app_context():
        assert db.session.get(Customer, free.id).owner_id == shop["seller_a"]


# --- M2: the customer timeline ---------------------------------------------------------------------------------

def test_m2_timeline_shows_a_seller_only_what_they_may_open_and_counts_the_rest(as_role, shop, app):
    page = text_of(as_role("seller_a").get(f"/customers/{shop['customer']}"))
    assert PRIVATE not in page
    assert "more entries belong to colleagues' work" in page
    hidden = int(re.search(r"(\d+) more entries belong", page).group(1))
    # B's new lead, B's contact, B's order, the ticket about B's sale, B's email, the inquiry of B's customer and
    # the file on B's lead: seven entries A may not open.
    assert hidden == 7
    owner_page = text_of(as_role("owner").get(f"/customers/{shop['customer']}"))
    assert f"{PRIVATE} outcome" in owner_page and f"Brake {PRIVATE}" in owner_page
    assert "more entries belong" not in owner_page


# --- M4: another person's campaign ------------------------------------------------------------------------------

def test_m4_seller_a_cannot_edit_or_send_someone_elses_campaign(as_role, shop, app):
    a = as_role("seller_a")
    campaign_id = shop["Campaign"]
    page = a.get(f"/mail/campaigns/{campaign_id}")
    assert page.status_code == 200 and f"/mail/campaigns/{campaign_id}/edit" not in page.get_data(as_text=True)
    assert a.get(f"/mail/campaigns/{campaign_id}/edit").status_code == 403
    changed = {"name": "Hijacked", "channel": "email", "subject": "Buy", "body": "Hello {name}", "tag": "",
               "city": "", "lead_source": "", "product_id": "0", "segment_id": "0", "follow_days": "30"}
    assert a.post(f"/mail/campaigns/{campaign_id}/edit", data=changed).status_code == 403
    assert a.post(f"/mail/campaigns/{campaign_id}/send").status_code == 403
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.name == "B's spring mailing" and campaign.status == "draft"
        assert db.session.scalar(select(OutgoingEmail).where(OutgoingEmail.campaign_id == campaign_id)) is None
    assert as_role("seller_b").get(f"/mail/campaigns/{campaign_id}/edit").status_code == 200


# --- The rules themselves: the SQL filter and the one-record answer agree ----------------------------------------

@pytest.mark.parametrize("role", ["owner", "seller_a", "seller_b", "support"])
def test_visible_agrees_with_may_view_for_every_kind(app, shop, role):
    from models import User

    with app.test_request_context():
        user = db.session.get(User, shop[role])
        for model in records.RULES:
            if model is records.PortalLink:
                continue
            if model is records.Figures:
                seen = set(db.session.scalars(select(User.id).where(records.visible(model, user))))
                for person in db.session.scalars(select(User)):
                    assert (person.id in seen) == records.may_view(user, records.Figures(person)), (person.name, role)
                continue
            seen = set(db.session.scalars(select(model.id).where(records.visible(model, user))))
            for record in db.session.scalars(select(model)):
                assert (record.id in seen) == records.may_view(user, record), (model.__name__, role)
            if model in records.CHANGEABLE:
                may = set(db.session.scalars(select(model.id).where(records.changeable(model, user))))
                for record in db.session.scalars(select(model)):
                    assert (record.id in may) == records.may_change(user, record), (model.__name__, role)
