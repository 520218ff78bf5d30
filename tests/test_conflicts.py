"""Saves that lose a race answer 409 with everything typed kept: versioned edits show what changed, and any
other write that finds its row changed (or a unique key taken) meanwhile gets the conflict page."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, text

from extensions import db
from models import Customer, Lead, Quote, QuoteRevision, Tag
from tests.conftest import login, stage_id, text_of
from tests.test_quotes import catalog, create_quote, quote_form  # noqa: F401  (fixture)


@pytest.fixture
def meanwhile(app):
    """meanwhile(sql, **params): run `sql` just before the request's next flush, as a second person saving at
    that very instant would (the request has read the row already; its write comes after theirs)."""
    listeners = []

    def arrange(sql, **params):
        def interfere(session, flush_context, instances):
            session.connection().execute(text(sql), params)

        event.listen(db.session, "before_flush", interfere, once=True)
        listeners.append(interfere)

    yield arrange
    for listener in listeners:
        if event.contains(db.session, "before_flush", listener):
            event.remove(db.session, "before_flush", listener)


def test_lead_saved_by_someone_between_check_and_write_is_a_409_with_the_form(
        app, owner, client, make_customer, make_lead, meanwhile, fetch):
    login(client, owner)
    lead = make_lead(make_customer(), owner, title="Original")
    meanwhile("UPDATE leads SET version = version + 1, title = 'Theirs' WHERE id = :id", id=lead.id)
    response = client.post(f"/leads/{lead.id}/edit", data={
        "customer_id": str(lead.customer_id), "source": "walk_in", "seller_id": str(owner.id),
        "version": str(lead.version), "title": "Mine, typed with care"})
    assert response.status_code == 409
    assert "Someone else saved this lead" in text_of(response)
    assert 'value="Mine, typed with care"' in response.get_data(as_text=True)
    # The rollback undid the interfering write too; what matters is that nothing of ours half-landed.
    assert fetch(Lead, lead.id).title != "Mine, typed with care"


def test_a_write_without_its_own_conflict_check_gets_the_conflict_page_not_a_500(
        app, owner, client, make_customer, make_lead, meanwhile):
    login(client, owner)
    lead = make_lead(make_customer(), owner, title="Moving")
    contacted = stage_id(app, "Contacted")
    meanwhile("UPDATE leads SET version = version + 1 WHERE id = :id", id=lead.id)
    response = client.post(f"/leads/{lead.id}/move", data={"stage_id": str(contacted)},
                           headers={"Referer": f"http://localhost/leads/{lead.id}"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this at the same moment" in text_of(response)
    # What was sent comes back in a form that sends it again, to the same address, with a fresh token.
    assert f'action="/leads/{lead.id}/move"' in page
    assert re.search(rf'<textarea name="stage_id"[^>]*>{contacted}</textarea>', page)
    assert f'href="http://localhost/leads/{lead.id}"' in page
    again = client.post(f"/leads/{lead.id}/move", data={"stage_id": str(contacted)})
    assert again.status_code == 303


def test_conflict_as_an_htmx_fragment(app, owner, client, make_customer, make_lead, meanwhile):
    login(client, owner)
    lead = make_lead(make_customer(), owner)
    meanwhile("UPDATE leads SET version = version + 1 WHERE id = :id", id=lead.id)
    response = client.post(f"/leads/{lead.id}/move", data={"stage_id": str(stage_id(app, "Contacted"))},
                           headers={"HX-Request": "true"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "<html" not in page and 'id="conflict"' in page


def test_a_unique_key_taken_meanwhile_is_a_409_that_keeps_the_form(app, owner, client, meanwhile):
    login(client, owner)
    meanwhile("INSERT INTO tags (name) VALUES ('vip')")
    response = client.post("/customers/new", data={"kind": "person", "name": "Nuria Fuentes", "tags": "vip",
                                                   "owner_id": str(owner.id),
                                                   "notes": "Long note about what she wants"})
    assert response.status_code == 409
    assert "Long note about what she wants" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Customer).count() == 0
        assert db.session.query(Tag).count() == 0


def test_quote_draft_saved_meanwhile_shows_what_differs_and_keeps_the_lines(
        app, as_seller, make_customer, catalog):  # noqa: F811
    customer = make_customer()
    quote_id = create_quote(as_seller, customer, catalog)
    page = as_seller.get(f"/quotes/{quote_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    theirs = as_seller.post(f"/quotes/{quote_id}/edit", data=quote_form(
        customer.id, version=version, need="Theirs", **{"lines-0-product_id": str(catalog["bike"]),
                                                        "lines-0-quantity": "1"}))
    assert theirs.status_code == 303
    mine = as_seller.post(f"/quotes/{quote_id}/edit", data=quote_form(
        customer.id, version=version, need="Mine", **{"lines-0-product_id": str(catalog["bike"]),
                                                      "lines-0-quantity": "2",
                                                      "lines-1-description": "Fitting", "lines-1-quantity": "1",
                                                      "lines-1-unit_price": "40"}))
    assert mine.status_code == 409
    shown = text_of(mine)
    assert "Someone else saved this draft" in shown
    assert "+ Fitting (1 × €40.00)" in shown and "Quantity 1 → 2" in shown      # in words, as the revision diff
    assert "Theirs" in shown and "Mine" in shown
    html = mine.get_data(as_text=True)
    assert 'value="Fitting"' in html
    fresh = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    assert fresh != version
    # Saving again now deliberately replaces theirs.
    again = as_seller.post(f"/quotes/{quote_id}/edit", data=quote_form(
        customer.id, version=fresh, need="Mine", **{"lines-0-product_id": str(catalog["bike"]),
                                                    "lines-0-quantity": "2"}))
    assert again.status_code == 303
    with app.app_context():
        assert db.session.get(Quote, quote_id).latest.need == "Mine"


def test_quote_draft_written_between_check_and_save_is_a_409(app, as_seller, make_customer, catalog,  # noqa: F811
                                                             meanwhile):
    customer = make_customer()
    quote_id = create_quote(as_seller, customer, catalog)
    with app.app_context():
        revision = db.session.query(QuoteRevision).filter_by(quote_id=quote_id).one()
        revision_id, version = revision.id, revision.version
    meanwhile("UPDATE quote_revisions SET version = version + 1 WHERE id = :id", id=revision_id)
    response = as_seller.post(f"/quotes/{quote_id}/edit", data=quote_form(
        customer.id, version=version, need="Typed", **{"lines-0-product_id": str(catalog["bike"]),
                                                       "lines-0-quantity": "3"}))
    assert response.status_code == 409
    assert "Someone else saved this draft" in text_of(response)
    assert 'value="3"' in response.get_data(as_text=True)


def test_a_draft_sent_while_typing_keeps_what_was_typed(app, as_seller, make_customer, catalog):  # noqa: F811
    customer = make_customer()
    quote_id = create_quote(as_seller, customer, catalog)
    page = as_seller.get(f"/quotes/{quote_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert as_seller.post(f"/quotes/{quote_id}/send").status_code == 303
    response = as_seller.post(f"/quotes/{quote_id}/edit", data=quote_form(
        customer.id, version=version, notes="A careful note", **{"lines-0-product_id": str(catalog["bike"]),
                                                                 "lines-0-quantity": "1"}))
    assert response.status_code == 409
    assert "It was sent meanwhile" in text_of(response)
    assert "A careful note" in response.get_data(as_text=True)
