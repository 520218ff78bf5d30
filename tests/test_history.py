"""Every record has its history: one Changes panel over the audit log, in the reader's words and language
("Price €39.00 → €35.00"), showing only what the reader may open (sales/records.py)."""
import re
from decimal import Decimal

from extensions import db
from models import Lead, Product, Quote, Ticket
from tests.conftest import login, text_of
from sales.clock import shop_today
from sales.languages import shop_language


def _changes(response):
    """The visible text of the page's Changes panel."""
    html = response.get_data(as_text=True)
    found = re.search(r'<section class="card changes-panel.*?</section>', html, re.S)
    assert found, "no Changes panel on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def test_a_lead_s_changes_name_fields_and_people_and_format_money(client, owner, make_user, make_customer,
                                                                  make_lead, fetch):
    ana, ben = make_user("seller", name="Ana Alba"), make_user("seller", name="Ben Brea")
    lead = make_lead(make_customer("Clienta"), ana, title="Fleet", value=1000)
    login(client, owner)
    response = client.post(f"/leads/{lead.id}/edit", data={
        "customer_id": str(lead.customer_id), "title": "Fleet of six", "source": "walk_in", "seller_id": str(ben.id),
        "estimated_value": "1,250.50", "version": str(lead.version)})
    assert response.status_code == 303
    panel = _changes(client.get(f"/leads/{lead.id}"))
    assert "Title Fleet → Fleet of six" in panel
    assert "Seller Ana Alba → Ben Brea" in panel
    assert "Estimated value €1,000.00 → €1,250.50" in panel
    assert owner.name in panel
    assert "estimated_value" not in panel and "seller_id" not in panel


def test_a_product_s_price_change_reads_in_the_reader_s_language(client, make_user, app):
    owner = make_user("owner", name="Dueña", language="es")
    with app.app_context():
        product = Product(code="L1", name="Candado", unit_price=Decimal("39.00"), tax_rate=Decimal("21"))
        db.session.add(product)
        db.session.commit()
        product_id, version = product.id, product.version
    login(client, owner)
    response = client.post(f"/catalog/{product_id}", data={
        "code": "L1", "name": "Candado", "kind": "product", "unit": "unit", "unit_price": "35,00", "tax_rate": "21",
        "active": "1", "version": str(version)})
    assert response.status_code == 303
    panel = _changes(client.get(f"/catalog/{product_id}"))
    assert "Precio 39,00 € → 35,00 €" in panel



def test_a_quote_s_revision_diff_and_changes_read_in_words_and_money(client, seller, make_customer, app):
    from tests.test_quotes import quote_form

    with app.app_context():
        lock = Product(code="L1", name="U-lock", unit_price=Decimal("39.00"), tax_rate=Decimal("21"))
        db.session.add(lock)
        db.session.commit()
        lock_id = lock.id
    customer = make_customer()
    login(client, seller)
    one_lock = {"lines-0-product_id": str(lock_id), "lines-0-description": "U-lock", "lines-0-quantity": "1",
                "lines-0-tax_rate": "21"}
    response = client.post(f"/quotes/new?customer_id={customer.id}", data=quote_form(
        customer.id, **one_lock, **{"lines-0-unit_price": "39"}))
    quote_id = int(response.location.rsplit("/", 1)[1])
    client.post(f"/quotes/{quote_id}/send")
    client.post(f"/quotes/{quote_id}/revise")
    edit_page = client.get(f"/quotes/{quote_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit_page).group(1)
    assert client.post(f"/quotes/{quote_id}/edit", data=quote_form(
        customer.id, version=version, **one_lock, **{"lines-0-unit_price": "35"})).status_code == 303
    client.post(f"/quotes/{quote_id}/send")
    page = client.get(f"/quotes/{quote_id}/r/2")
    diff = re.sub(r" ([;:])", r"\1", text_of(page))   # the tags text_of drops leave a space before them
    assert "U-lock: Price €39.00 → €35.00; Amount before tax €39.00 → €35.00" in diff
    assert "Total before tax: €39.00 → €35.00" in diff
    assert "unit_price" not in diff and "net" not in diff.split()
    panel = _changes(page)
    assert f"{seller.name} · Revision 1 Status Sent → Superseded" in panel
    assert "Revision 2 Total before tax €39.00 → €35.00 Tax €8.19 → €7.35 Total €47.19 → €42.35" in panel
    assert "Revision 2 · created" in panel


def test_a_ticket_s_status_and_assignee_changes(client, owner, make_user, make_customer, app):
    from sales.support import rules

    helper = make_user("support", name="Sofía Soporte")
    customer = make_customer("Clienta")
    with app.test_request_context():
        ticket = rules.open_ticket(db.session.get(type(customer), customer.id), title="Frena mal")
        db.session.commit()
        ticket_id, version = ticket.id, ticket.version
    login(client, owner)
    response = client.post(f"/support/tickets/{ticket_id}", data={
        "status": "in_progress", "priority": "high", "assignee_id": str(helper.id), "version": str(version)})
    assert response.status_code == 303
    panel = _changes(client.get(f"/support/tickets/{ticket_id}"))
    assert "Status New → In progress" in panel
    assert "Priority Normal → High" in panel
    assert "Assigned to — → Sofía Soporte" in panel


def test_another_seller_s_lead_is_not_named_in_a_quote_s_changes(client, make_user, make_customer, make_lead, app):
    """The quote is Ana's; the owner moves it onto Ben's lead. Ana still reads her quote's history, but not the
    title of a lead she may not open."""
    ana, ben = make_user("seller", name="Ana Alba"), make_user("seller", name="Ben Brea")
    owner = make_user("owner", name="Olga Owner")
    customer = make_customer("Clienta")
    hers = make_lead(customer, ana, title="Bici de Ana")
    his = make_lead(customer, ben, title="Secreto de Ben")
    with app.test_request_context():
        from sales.quotes import rules

        quote, _revision = rules.new_quote(db.session.get(type(customer), customer.id), ana.id,
                                           lead=db.session.get(Lead, hers.id))
        db.session.commit()
        db.session.refresh(quote)   # what the owner's form would have loaded
        db.session.info["acting_user_id"] = owner.id
        quote.lead_id = his.id
        quote.seller_id = ana.id
        db.session.commit()
        del db.session.info["acting_user_id"]
        quote_id = quote.id
    login(client, ana)
    panel = _changes(client.get(f"/quotes/{quote_id}"))
    assert "Lead Bici de Ana → (not yours to open)" in panel and "Secreto de Ben" not in panel
    other = app.test_client()
    login(other, owner)
    assert "Lead Bici de Ana → Secreto de Ben" in _changes(other.get(f"/quotes/{quote_id}"))


def test_settings_pages_show_what_changed_and_only_to_the_owner(client, app, owner, seller):
    login(client, owner)
    page = client.get("/quotes/settings").get_data(as_text=True)
    fields = dict(re.findall(r'name="(shop_name|tax_id|quote_validity_days)"[^>]*value="([^"]*)"', page))
    response = client.post("/quotes/settings", data={**fields, "shop_name": "Bicis Sol", "currency": "USD",
                                                     "quote_validity_days": "30"})
    assert response.status_code == 303
    panel = _changes(client.get("/quotes/settings"))
    assert "Shop name" in panel and "→ Bicis Sol" in panel and "Currency — → USD" in panel
    other = app.test_client()
    login(other, seller)
    assert other.get("/quotes/settings").status_code == 403


def test_a_user_s_changes_leave_the_password_out(client, owner, make_user):
    worker = make_user("seller", name="Nuevo")
    login(client, owner)
    response = client.post(f"/users/{worker.id}", data={
        "name": "Nuevo Nombre", "email": worker.email, "role": "support", "language": "es", "active": "y",
        "version": str(worker.version)})
    assert response.status_code == 303
    panel = _changes(client.get(f"/users/{worker.id}"))
    assert "Name Nuevo → Nuevo Nombre" in panel and "Role Seller → Support" in panel
    assert "Language — → Español" in panel and "password" not in panel.lower()


def test_support_settings_say_who_changed_the_hours(client, owner):
    from sales.support.rules import DEFAULT_SLA_HOURS

    login(client, owner)
    hours = {priority: str(value) for priority, value in DEFAULT_SLA_HOURS.items()}
    assert client.post("/support/settings", data={**hours, "urgent": "2"}).status_code == 303
    panel = _changes(client.get("/support/settings"))
    assert f"{owner.name} Hours to resolve, Urgent {DEFAULT_SLA_HOURS['urgent']} → 2" in panel


def test_every_record_page_has_its_changes_panel(client, owner, make_customer, make_lead, app):
    """Leads, quotes, orders, tickets, products, users, campaigns and the settings pages: one shared panel."""
    from datetime import date

    from models import Campaign, Order, PipelineStage
    from sales.quotes import rules as quote_rules
    from sales.support import rules as support_rules

    customer = make_customer("Clienta")
    lead = make_lead(customer, owner, title="Bici")
    with app.test_request_context():
        db.session.info["acting_user_id"] = owner.id
        shopper = db.session.get(type(customer), customer.id)
        quote, _revision = quote_rules.new_quote(shopper, owner.id)
        order = Order(number="O-1", customer_id=customer.id, seller_id=owner.id, ordered_on=shop_today())
        ticket = support_rules.open_ticket(shopper, title="Pinchazo")
        product = Product(code="P1", name="Cámara", unit_price=Decimal("5"))
        campaign = Campaign(name="Primavera", subject="Hola", body="Texto")
        db.session.add_all([order, product, campaign])
        db.session.flush()
        stage = db.session.scalars(db.select(PipelineStage).order_by(PipelineStage.position)).first()
        old_name, stage.name = stage.name, "Recién llegado"
        # Renamed for the shop and for its English readers (the owner below reads in English).
        stage.names = {**stage.names, shop_language(): "Recién llegado", "en": "Recién llegado"}
        db.session.commit()
        del db.session.info["acting_user_id"]
        pages = [f"/leads/{lead.id}", f"/quotes/{quote.id}", f"/quotes/orders/{order.id}",
                 f"/support/tickets/{ticket.id}", f"/catalog/{product.id}", f"/users/{owner.id}",
                 f"/mail/campaigns/{campaign.id}"]
    login(client, owner)
    for url in pages:
        panel = _changes(client.get(url))
        assert "· created" in panel, url
    assert f"{owner.name} · Stage “Recién llegado” Stage name {old_name} → Recién llegado" in _changes(client.get("/leads/settings"))
    assert "Changes" in _changes(client.get("/quotes/settings"))
