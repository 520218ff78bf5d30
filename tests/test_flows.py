"""Flows that finish: a product customers bought together is added to a draft with one tap (plain POST, and
htmx); losing or disqualifying a lead asks why, wherever it is done; reopening is recorded."""
import re
from datetime import date
from decimal import Decimal

import pytest

from extensions import db
from models import Order, OrderLine, Product, QuoteRevision
from sales.texts import shown
from tests.conftest import login, text_of
from tests.test_api import api, token_for  # noqa: F401 (fixtures)
from tests.test_quotes import catalog, quote_form  # noqa: F401 (fixture)


@pytest.fixture
def draft(app, as_seller, make_customer, catalog):  # noqa: F811
    """Ana's draft with the e-bike; another customer bought the e-bike with a U-lock."""
    buyer, customer = make_customer("Buyer"), make_customer("Ana")
    with app.app_context():
        order = Order(number="O-2020-0001", customer_id=buyer.id, ordered_on=date(2020, 1, 1))
        order.lines = [OrderLine(position=1, product_id=catalog["bike"], description="E-bike", quantity=1,
                                 unit_price=1, line_total=1),
                       OrderLine(position=2, product_id=catalog["lock"], description="U-lock", quantity=1,
                                 unit_price=1, line_total=1)]
        db.session.add(order)
        db.session.commit()
    response = as_seller.post(f"/quotes/new?customer_id={customer.id}", data=quote_form(
        customer.id, **{"lines-0-product_id": str(catalog["bike"]), "lines-0-quantity": "1"}))
    return {"quote": int(response.location.rsplit("/", 1)[1]), "customer": customer, **catalog}


def _lines(app, quote_id):
    with app.app_context():
        revision = db.session.query(QuoteRevision).filter_by(quote_id=quote_id).one()
        return [(line.description, line.quantity, line.unit_price) for line in revision.lines], revision.total


def test_a_suggested_product_is_added_to_the_draft_with_one_tap(as_seller, app, draft):
    page = as_seller.get(f"/quotes/{draft['quote']}").get_data(as_text=True)
    assert "Customers who bought these also bought:" in page
    assert f'action="/quotes/{draft["quote"]}/lines"' in page and f'name="product_id" value="{draft["lock"]}"' in page
    response = as_seller.post(f"/quotes/{draft['quote']}/lines", data={"product_id": str(draft["lock"])})
    assert response.status_code == 303 and response.location == f"/quotes/{draft['quote']}"
    lines, total = _lines(app, draft["quote"])
    with app.app_context():
        lock = db.session.get(Product, draft["lock"])
        bike = db.session.get(Product, draft["bike"])
        expected_total = ((bike.unit_price + lock.unit_price) * Decimal("1.21")).quantize(Decimal("0.01"))
    assert lines[-1] == ("U-lock", 1, lock.unit_price) and total == expected_total
    shown = text_of(as_seller.get(response.location))
    assert "U-lock added to the draft." in shown and f"€{expected_total:,.2f}" in shown


def test_the_tap_with_htmx_swaps_the_quote_page(as_seller, app, draft):
    response = as_seller.post(f"/quotes/{draft['quote']}/lines", data={"product_id": str(draft["lock"])},
                              headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "U-lock added to the draft." in html
    assert "U-lock added to the draft." not in text_of(as_seller.get(f"/quotes/{draft['quote']}"))  # said once
    assert len(_lines(app, draft["quote"])[0]) == 2


def test_inside_the_draft_form_the_tap_adds_a_line_and_keeps_what_was_typed(as_seller, draft):
    response = as_seller.post(f"/quotes/{draft['quote']}/edit", data=quote_form(
        draft["customer"].id, **{"lines-0-product_id": str(draft["bike"]), "lines-0-quantity": "3",
                                 "notes": "Entrega el sábado", "add_product": str(draft["lock"])}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Entrega el sábado" in html
    assert re.search(r'name="lines-0-quantity"[^>]*value="3"', html)
    assert re.search(rf'<option selected value="{draft["lock"]}">U-lock', html.replace(
        f'value="{draft["lock"]}" selected', f'selected value="{draft["lock"]}"'))


def test_a_sent_quote_takes_no_suggested_line(as_seller, app, draft):
    as_seller.post(f"/quotes/{draft['quote']}/send")
    response = as_seller.post(f"/quotes/{draft['quote']}/lines", data={"product_id": str(draft["lock"])},
                              follow_redirects=True)
    assert "cannot change" in text_of(response) and len(_lines(app, draft["quote"])[0]) == 1
    assert as_seller.post(f"/quotes/{draft['quote']}/lines", data={"product_id": "x"}).status_code == 400


# --- Lead outcomes: every way to lose asks why, reopening is recorded ------------------------------------------

from models import Lead, NegotiationNote  # noqa: E402
from tests.conftest import stage_id  # noqa: E402


def _lead(app, lead_id):
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        notes = [n.body for n in db.session.query(NegotiationNote).filter_by(lead_id=lead_id)]
        return lead.stage.kind, lead.lost_reason, lead.close_reason, notes


def test_moving_a_lost_deal_back_on_the_board_asks_why_and_records_it(client, app, owner, make_customer, make_lead):
    lead = make_lead(make_customer("Clienta"), owner, title="Tándem", stage="Lost")
    contacted = stage_id(app, "Contacted")
    login(client, owner)
    response = client.post(f"/leads/{lead.id}/move", data={"stage_id": contacted, "back": "board"})
    assert response.status_code == 303
    assert response.location.startswith(f"/negotiation/lead/{lead.id}?reopen_to={contacted}")
    assert _lead(app, lead.id)[0] == "lost"                      # not reopened until a reason is given
    page = client.get(response.location).get_data(as_text=True)
    assert "is reopened" in page and re.search(rf'<option selected value="{contacted}">Contacted', page)
    htmx = client.post(f"/leads/{lead.id}/move", data={"stage_id": contacted, "back": "board"},
                       headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith(f"/negotiation/lead/{lead.id}?reopen_to=")
    refused = client.post(f"/negotiation/lead/{lead.id}/reopen", data={"stage_id": contacted, "reason": ""})
    assert refused.status_code == 422 and "Say why the deal is reopened." in text_of(refused)
    assert client.post(f"/negotiation/lead/{lead.id}/reopen",
                       data={"stage_id": contacted, "reason": "Ha vuelto con presupuesto"}).status_code == 303
    kind, _reason, _note, notes = _lead(app, lead.id)
    assert kind == "open" and [shown(n) for n in notes] == ["Reopened: Ha vuelto con presupuesto"]
    changes = text_of(client.get(f"/leads/{lead.id}"))
    assert "Stage Lost → Contacted" in changes


def test_the_api_asks_why_a_deal_is_lost_or_reopened(api, app, owner, make_customer, make_lead):
    lead = make_lead(make_customer("Clienta"), owner, title="Cargo", value=3000)
    as_owner = api(owner)
    lost, new = stage_id(app, "Lost"), stage_id(app, "New")
    refused = as_owner.post(f"/api/v1/leads/{lead.id}/moves", json={"stage_id": lost})
    assert refused.status_code == 422 and refused.json["errors"][0]["pointer"] == "/body/lost_reason"
    assert _lead(app, lead.id)[0] == "open"
    moved = as_owner.post(f"/api/v1/leads/{lead.id}/moves",
                          json={"stage_id": lost, "lost_reason": "no_budget", "reason": "Lo deja para 2027"})
    assert moved.status_code == 201
    assert _lead(app, lead.id)[:3] == ("lost", "no_budget", "Lo deja para 2027")
    refused = as_owner.post(f"/api/v1/leads/{lead.id}/moves", json={"stage_id": new})
    assert refused.status_code == 422 and refused.json["errors"][0]["pointer"] == "/body/reason"
    assert as_owner.post(f"/api/v1/leads/{lead.id}/moves",
                         json={"stage_id": new, "reason": "Pide otra oferta"}).status_code == 201
    kind, reason, _note, notes = _lead(app, lead.id)
    assert kind == "open" and reason is None and [shown(n) for n in notes] == ["Reopened: Pide otra oferta"]


def test_disqualifying_asks_why_and_undoing_it_shows_in_the_changes(client, app, owner, make_customer, make_lead):
    lead = make_lead(make_customer("Clienta"), owner, title="Alquiler")
    login(client, owner)
    refused = client.post(f"/leads/{lead.id}/qualify", data={"qualification": "disqualified", "version": "1"})
    assert refused.status_code == 422 and "Say why the lead is disqualified." in text_of(refused)
    with app.app_context():
        version = db.session.get(Lead, lead.id).version
    assert client.post(f"/leads/{lead.id}/qualify", data={
        "qualification": "disqualified", "qualification_reason": "Solo alquila", "version": str(version)}
    ).status_code == 303
    with app.app_context():
        version = db.session.get(Lead, lead.id).version
    assert client.post(f"/leads/{lead.id}/qualify", data={
        "qualification": "qualified", "qualification_reason": "Ahora quiere comprar", "version": str(version)}
    ).status_code == 303
    changes = text_of(client.get(f"/leads/{lead.id}"))
    assert "Decision Not decided yet → Disqualified Reason — → Solo alquila" in changes
    assert "Decision Disqualified → Qualified Reason Solo alquila → Ahora quiere comprar" in changes
