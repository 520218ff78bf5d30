"""Leads: creating, seeing only what you may, filtering, the board, moving, qualifying."""
import re

import pytest

from models import Customer, Lead, ShopSetting, StageChange
from tests.conftest import login, stage_id, text_of


def test_create_lead_for_an_existing_customer(as_seller, seller, make_customer, fetch, app):
    customer = make_customer("Ana García", email="ana@x.example")
    response = as_seller.post("/leads/new", data={
        "customer_id": str(customer.id), "title": "E-bike for commuting", "source": "walk_in",
        "estimated_value": "2,400.50", "seller_id": str(seller.id)})
    assert response.status_code == 303
    lead = fetch(Lead, int(response.location.rsplit("/", 1)[1]))
    assert lead.customer_id == customer.id and lead.seller_id == seller.id
    assert str(lead.estimated_value) == "2400.50"
    page = text_of(as_seller.get(response.location))
    assert "E-bike for commuting" in page and "Ana García" in page and "New" in page
    with app.app_context():
        from extensions import db
        changes = db.session.query(StageChange).filter_by(lead_id=lead.id).all()
        assert [(c.from_stage_id, c.changed_by_id) for c in changes] == [(None, seller.id)]


def test_create_lead_with_a_new_prospect(as_seller, seller, fetch, app):
    response = as_seller.post("/leads/new", data={
        "prospect_name": "Pablo Ruiz", "prospect_email": "pablo@x.example", "prospect_phone": "611 222 333",
        "title": "Gravel bike", "source": "phone", "seller_id": str(seller.id)})
    assert response.status_code == 303
    with app.app_context():
        from extensions import db
        customer = db.session.query(Customer).filter_by(name="Pablo Ruiz").one()
        assert customer.email == "pablo@x.example" and customer.owner_id == seller.id


def test_new_prospect_with_a_known_email_joins_the_existing_customer(as_seller, seller, make_customer, app):
    existing = make_customer("Ana García", email="ana@x.example")
    response = as_seller.post("/leads/new", data={
        "prospect_name": "Ana G.", "prospect_email": "ANA@x.example", "title": "Helmet",
        "source": "walk_in", "seller_id": str(seller.id)})
    assert response.status_code == 303
    assert "Ana García was already a customer" in text_of(as_seller.get(response.location))
    with app.app_context():
        from extensions import db
        assert db.session.query(Customer).count() == 1
        assert db.session.query(Lead).one().customer_id == existing.id


def test_lead_form_errors_keep_what_was_typed(as_seller, seller):
    response = as_seller.post("/leads/new", data={
        "prospect_name": "", "title": "", "estimated_value": "-5", "source": "walk_in",
        "description": "Quiere verla el sábado", "seller_id": str(seller.id)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Quiere verla el sábado" in html and 'value="-5"' in html
    assert 'id="title-error"' in html and 'id="estimated_value-error"' in html


def test_lead_form_finds_customers_without_javascript(as_seller, seller, make_customer):
    make_customer("Ana García", email="ana@x.example")
    response = as_seller.post("/leads/new", data={"customer_q": "garc", "find": "1", "title": "Half typed"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ana García" in html and 'value="Half typed"' in html
    assert 'type="radio" name="customer_id"' in html


def test_customer_options_fragment_for_htmx(as_seller, make_customer):
    make_customer("Ana García")
    response = as_seller.get("/leads/customer-options?customer_q=ana", headers={"HX-Request": "true"})
    assert "<html" not in response.get_data(as_text=True) and "Ana García" in text_of(response)


def test_sellers_see_only_their_own_leads(app, client, make_user, make_customer, make_lead):
    mine, theirs = make_user("seller"), make_user("seller")
    customer = make_customer()
    own = make_lead(customer, mine, title="Mine")
    other = make_lead(customer, theirs, title="Theirs")
    login(client, mine)
    listing = text_of(client.get("/leads/"))
    assert "Mine" in listing and "Theirs" not in listing
    assert client.get(f"/leads/{other.id}").status_code == 404
    assert client.post(f"/leads/{other.id}/move", data={"stage_id": "1"}).status_code == 404
    assert "Theirs" not in text_of(client.get("/leads/board"))
    assert "Theirs" not in client.get("/leads/export.csv").get_data(as_text=True)
    assert client.get(f"/leads/{own.id}").status_code == 200


def test_shop_setting_lets_sellers_see_but_not_change_others_leads(app, client, make_user, make_customer,
                                                                   make_lead):
    mine, theirs = make_user("seller"), make_user("seller")
    other = make_lead(make_customer(), theirs, title="Theirs")
    with app.app_context():
        from extensions import db
        ShopSetting.put("sellers_see_all_leads", "1")
        db.session.commit()
    login(client, mine)
    assert "Theirs" in text_of(client.get("/leads/"))
    assert client.get(f"/leads/{other.id}").status_code == 200
    assert client.get(f"/leads/{other.id}/edit").status_code == 403
    assert client.post(f"/leads/{other.id}/move", data={"stage_id": "2"}).status_code == 403


def test_owner_sees_all_and_reassigns(as_owner, make_user, make_customer, make_lead, fetch):
    a, b = make_user("seller", name="Seller A"), make_user("seller", name="Seller B")
    lead = make_lead(make_customer(), a, title="Fleet")
    assert "Fleet" in text_of(as_owner.get("/leads/"))
    response = as_owner.post(f"/leads/{lead.id}/edit", data={
        "customer_id": str(lead.customer_id), "title": "Fleet", "source": "walk_in", "seller_id": str(b.id),
        "version": str(lead.version)})
    assert response.status_code == 303
    assert fetch(Lead, lead.id).seller_id == b.id


def test_support_has_no_leads(client, make_user):
    login(client, make_user("support"))
    assert client.get("/leads/").status_code == 403
    assert client.get("/leads/board").status_code == 403


def test_list_filters_and_sorts_by_priority(as_owner, owner, make_customer, make_lead, app):
    small = make_lead(make_customer("A"), owner, title="Small", value=100)
    big = make_lead(make_customer("B", email="b@x.example"), owner, title="Big", value=9000, competitor_involved=True)
    web = make_lead(make_customer("C"), owner, title="Web", source="web_form", stage="Qualified")
    html = as_owner.get("/leads/").get_data(as_text=True)
    assert html.index("Big") < html.index("Small")
    assert "Web" in text_of(as_owner.get("/leads/?source=web_form"))
    assert "Small" not in text_of(as_owner.get("/leads/?source=web_form"))
    qualified = stage_id(app, "Qualified")
    assert "Web" in text_of(as_owner.get(f"/leads/?stage={qualified}"))
    assert "Big" not in text_of(as_owner.get(f"/leads/?stage={qualified}"))
    assert "Big" in text_of(as_owner.get("/leads/?priority=medium")) or "Big" in text_of(as_owner.get("/leads/?priority=high"))
    assert "Small" in text_of(as_owner.get("/leads/?q=small"))


def test_board_counts_and_totals_per_stage(as_owner, owner, make_customer, make_lead):
    make_lead(make_customer("A"), owner, title="One", value=100)
    make_lead(make_customer("B"), owner, title="Two", value=250.5)
    make_lead(make_customer("C"), owner, title="Three", value=1000, stage="Proposal")
    html = as_owner.get("/leads/board").get_data(as_text=True)
    new_column = re.search(r'id="stage-\d+">New</h2>(.*?)</header>', html, re.S).group(1)
    assert "2 leads" in new_column and "350.50" in new_column
    proposal = re.search(r'id="stage-\d+">Proposal</h2>(.*?)</header>', html, re.S).group(1)
    assert "1 lead" in proposal and "1,000.00" in proposal


def test_board_queries_do_not_grow_with_leads(as_owner, owner, make_customer, make_lead, count_queries):
    make_lead(make_customer("A"), owner, title="L0")
    as_owner.get("/leads/board")
    with count_queries() as few:
        as_owner.get("/leads/board")
    for i in range(15):
        make_lead(make_customer(f"C{i}"), owner, title=f"L{i + 1}", stage=["New", "Contacted", "Proposal"][i % 3])
    with count_queries() as many:
        as_owner.get("/leads/board")
    assert len(many) == len(few)


def test_list_queries_do_not_grow_with_leads(as_owner, owner, make_customer, make_lead, count_queries):
    make_lead(make_customer("A"), owner, title="L0")
    with count_queries() as few:
        as_owner.get("/leads/")
    for i in range(15):
        make_lead(make_customer(f"C{i}"), owner, title=f"L{i + 1}")
    with count_queries() as many:
        as_owner.get("/leads/")
    assert len(many) == len(few)


def test_move_on_the_board_with_htmx_returns_the_board(as_seller, seller, make_customer, make_lead, app, fetch):
    lead = make_lead(make_customer(), seller, title="Fleet")
    contacted = stage_id(app, "Contacted")
    response = as_seller.post(f"/leads/{lead.id}/move", data={"stage_id": str(contacted), "back": "board"},
                              headers={"HX-Request": "true", "HX-Target": "content"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'class="board"' in html
    assert fetch(Lead, lead.id).stage_id == contacted
    with app.app_context():
        from extensions import db
        change = db.session.query(StageChange).filter_by(lead_id=lead.id, to_stage_id=contacted).one()
        assert change.changed_by_id == seller.id


def test_move_without_javascript_redirects(as_seller, seller, make_customer, make_lead, app, fetch):
    lead = make_lead(make_customer(), seller)
    won = stage_id(app, "Won")
    response = as_seller.post(f"/leads/{lead.id}/move", data={"stage_id": str(won)})
    assert response.status_code == 303 and response.location == f"/leads/{lead.id}"
    saved = fetch(Lead, lead.id)
    assert saved.stage_id == won and saved.closed_at is not None and saved.priority == 0


def test_qualification(as_seller, seller, make_customer, make_lead, fetch):
    lead = make_lead(make_customer(), seller, value=3000)
    data = {"need_rating": "3", "need_note": "Commutes daily", "buying_power_rating": "2",
            "receptivity_rating": "3", "access_rating": "3", "qualification": "qualified",
            "version": str(lead.version)}
    response = as_seller.post(f"/leads/{lead.id}/qualify", data=data)
    assert response.status_code == 303
    saved = fetch(Lead, lead.id)
    assert saved.qualification == "qualified" and saved.need_note == "Commutes daily"
    assert saved.priority > lead.priority  # ease of access now counts
    page = text_of(as_seller.get(f"/leads/{lead.id}"))
    assert "Ease of access rated high" in page


def test_disqualifying_needs_a_reason(as_seller, seller, make_customer, make_lead, fetch):
    lead = make_lead(make_customer(), seller)
    response = as_seller.post(f"/leads/{lead.id}/qualify", data={
        "qualification": "disqualified", "need_note": "Only browsing", "version": str(lead.version)})
    assert response.status_code == 422
    assert "Say why the lead is disqualified." in text_of(response)
    assert 'value="Only browsing"' in response.get_data(as_text=True)
    response = as_seller.post(f"/leads/{lead.id}/qualify", data={
        "qualification": "disqualified", "qualification_reason": "No budget", "version": str(lead.version)})
    assert response.status_code == 303
    saved = fetch(Lead, lead.id)
    assert saved.qualification == "disqualified" and saved.priority == 0


def test_lead_edit_conflict_keeps_both(app, make_user, make_customer, make_lead, fetch):
    owner = make_user("owner")
    lead = make_lead(make_customer(), owner, title="Original")
    first, second = app.test_client(), app.test_client()
    login(first, owner)
    login(second, owner)
    base = {"customer_id": str(lead.customer_id), "source": "walk_in", "seller_id": str(owner.id),
            "version": str(lead.version)}
    assert first.post(f"/leads/{lead.id}/edit", data={**base, "title": "First"}).status_code == 303
    refused = second.post(f"/leads/{lead.id}/edit", data={**base, "title": "Second"})
    assert refused.status_code == 409
    assert "Someone else saved this lead" in text_of(refused) and "First" in text_of(refused)
    assert 'value="Second"' in refused.get_data(as_text=True)
    assert fetch(Lead, lead.id).title == "First"


def test_unknown_lead_is_404(as_owner):
    assert as_owner.get("/leads/999").status_code == 404


def test_csv_export_follows_the_filters(as_owner, owner, make_customer, make_lead):
    make_lead(make_customer("Ana", email="ana@x.example"), owner, title="=HYPERLINK(evil)", value=100)
    make_lead(make_customer("Bruno"), owner, title="Other", source="web_form")
    response = as_owner.get("/leads/export.csv?source=walk_in")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert body.startswith("\ufeffTitle,Customer,Email")
    assert "'=HYPERLINK(evil)" in body          # never a live formula in a spreadsheet
    assert "Other" not in body and "ana@x.example" in body


def test_moves_made_before_the_lead_is_saved_record_where_it_came_from(app, owner, make_customer):
    from extensions import db
    from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage

    customer = make_customer()
    with app.test_request_context():
        stages = ensure_default_stages()
        lead = Lead(customer_id=customer.id, title="Walk along")
        db.session.add(lead)
        start_in_stage(lead, stages[0])
        move_to_stage(lead, stages[1])
        move_to_stage(lead, stages[2])
        db.session.commit()
        path = [(c.from_stage_id, c.to_stage_id) for c in
                db.session.query(StageChange).filter_by(lead_id=lead.id).order_by(StageChange.id)]
        assert path == [(None, stages[0].id), (stages[0].id, stages[1].id), (stages[1].id, stages[2].id)]
