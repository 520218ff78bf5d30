"""The API's report figures are the pages' figures: worked out by the same functions, so the numbers a script
reads are the ones the owner sees in Reports → Seller performance, Funnel and Wins per product (their CSV
downloads), and on the home page's pipeline."""
import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

from extensions import db
from models import ContactLog, Customer, Lead, LeadProduct, Product, User
from sales.clock import shop_today, utcnow
from sales.management.periods import period_of
from tests.api_client import api, token_for  # noqa: F401 (fixtures)
from tests.conftest import login


def _shop_with_a_month_of_work(app, owner, seller, other, make_customer, make_lead):
    ana, bea = make_customer("Ana García"), make_customer("Bea Ruiz")
    for who, customer, values in ((seller, ana, (1200, 800, None)), (other, bea, (2500, None, 300))):
        won, lost, open_ = values
        make_lead(customer, who, title="Won one", value=won, stage="Won")
        if lost:
            make_lead(customer, who, title="Lost one", value=lost, stage="Lost")
        make_lead(customer, who, title="Still open", value=open_ or 450, stage="Proposal")
    with app.app_context():
        # One won deal closed at an amount other than its estimate; contacts, one of them a closing note.
        lead = db.session.query(Lead).filter_by(seller_id=seller.id, title="Won one").one()
        lead.won_amount = Decimal("1150.50")
        for who, channel in ((seller, "visit"), (seller, "call"), (other, "note"), (other, "chat")):
            db.session.add(ContactLog(customer_id=ana.id, user_id=who.id, channel=channel, goal="Talk",
                                      happened_at=utcnow()))
        db.session.commit()


def _csv_rows(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _number(text):
    """A figure as the CSV writes it (plain digits and a point, for spreadsheets), or None when empty."""
    return Decimal(text) if text.strip() else None


def test_the_api_figures_are_the_performance_reports(api, app, client, owner, seller, make_user, make_customer,
                                                     make_lead):
    other = make_user("seller", name="Omar Other")
    _shop_with_a_month_of_work(app, owner, seller, other, make_customer, make_lead)
    key = period_of("month", shop_today()).key
    figures = api(owner).get(f"/api/v1/figures?period={key}")
    assert figures.status_code == 200, figures.json
    shop = figures.json
    assert shop["period"]["key"] == key and shop["seller_id"] is None
    # Not just equal, but the month's work: two deals won (one at its closing amount), one lost, three contacts.
    assert (shop["won"], shop["lost"], shop["contacts"]) == (2, 1, 3)
    assert Decimal(shop["revenue"]) == Decimal("1150.50") + 2500
    login(client, owner)
    rows = _csv_rows(client, f"/manage/performance.csv?period={key}")
    header, total = rows[0], rows[-1]
    page = dict(zip(header, total))
    columns = {"new_leads": "New leads", "contacts": "Contacts made", "won": "Deals won", "lost": "Deals lost",
               "revenue": "Revenue", "average_deal": "Average deal"}
    for field, title in columns.items():
        api_value = None if shop[field] is None else Decimal(str(shop[field]))
        assert api_value == _number(page[title]), (field, shop[field], page[title])
    assert isinstance(shop["revenue"], str) and isinstance(shop["open_value"], str)
    # One seller, as the report shows them (?seller=).
    mine = api(owner).get(f"/api/v1/figures?period={key}&seller_id={seller.id}").json
    row = dict(zip(header, _csv_rows(client, f"/manage/performance.csv?period={key}&seller={seller.id}")[1]))
    for field, title in columns.items():
        api_value = None if mine[field] is None else Decimal(str(mine[field]))
        assert api_value == _number(row[title]), (field, mine[field], row[title])
    # The deals open now: the open stages of the home page's pipeline, worked out by its own function.
    with app.test_request_context():
        from sales.management.dashboard import pipeline

        stages = pipeline(db.session.get(User, owner.id), period_of("month", shop_today()))
        open_rows = [row for row in stages if row["stage"].kind == "open"]
        assert shop["open_deals"] == sum(row["count"] for row in open_rows)
        assert Decimal(shop["open_value"]) == sum(row["value"] for row in open_rows)


def test_a_seller_reads_only_their_own_figures(api, app, owner, seller, make_user, make_customer, make_lead):
    other = make_user("seller")
    _shop_with_a_month_of_work(app, owner, seller, other, make_customer, make_lead)
    as_seller = api(seller)
    own = as_seller.get("/api/v1/figures").json
    assert own["seller_id"] == seller.id
    assert own == as_seller.get(f"/api/v1/figures?seller_id={seller.id}").json
    assert as_seller.get(f"/api/v1/figures?seller_id={other.id}").status_code == 403
    assert as_seller.get("/api/v1/figures?seller_id=999999").status_code == 404
    bad = as_seller.get("/api/v1/figures?period=2026-13")
    assert bad.status_code == 422 and bad.json["errors"][0]["pointer"] == "/query/period"
    support = make_user("support")
    assert api(support).get("/api/v1/figures").status_code == 403
    # A seller's open deals are their own (the other seller's open lead is not counted).
    with app.app_context():
        from sqlalchemy import func, select

        from models import PipelineStage

        expected = db.session.execute(
            select(func.count(), func.sum(Lead.estimated_value)).join(PipelineStage, PipelineStage.id == Lead.stage_id)
            .where(Lead.seller_id == seller.id, PipelineStage.kind == "open")).one()
    assert (own["open_deals"], Decimal(own["open_value"])) == (expected[0], expected[1])


def _last_month():
    return period_of("month", period_of("month", shop_today()).start - timedelta(days=1))


def _shop_with_a_month_of_deals(app, seller, other):
    """Last month: deals walked through the stages on their own days, some with products (one with two), won,
    lost or still deciding."""
    month = _last_month()
    with app.test_request_context():
        from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage

        stages = {s.shown_name: s for s in ensure_default_stages()}
        bike = Product(code="EB1", name="E-bike", unit_price=Decimal("1500"), category="Bikes")
        helmet = Product(code="HL1", name="Helmet", unit_price=Decimal("60"), category="Gear")
        lock = Product(code="LK1", name="Lock", unit_price=Decimal("40"))
        customer = Customer(name="Clienta Uno")
        db.session.add_all([bike, helmet, lock, customer])
        db.session.flush()

        def deal(who, moves, products=(), value=None, won_amount=None):
            day = lambda n: datetime.combine(month.start + timedelta(days=n), datetime.min.time()) \
                + timedelta(hours=10)  # noqa: E731
            lead = Lead(customer_id=customer.id, title="Bici", seller_id=who.id, created_at=day(0),
                        estimated_value=Decimal(value) if value else None)
            db.session.add(lead)
            start_in_stage(lead, stages["New"], when=day(0))
            for name, n in moves:
                move_to_stage(lead, stages[name], when=day(n))
            lead.won_amount = Decimal(won_amount) if won_amount else None
            for product, quantity in products:
                db.session.add(LeadProduct(lead=lead, product=product, quantity=Decimal(quantity)))
            db.session.flush()

        deal(seller, [("Contacted", 2), ("Qualified", 5), ("Won", 11)], [(bike, 1), (helmet, 2)], won_amount="1700")
        deal(seller, [("Contacted", 3), ("Lost", 9)], [(bike, 1)], value="1500")
        deal(seller, [("Contacted", 1), ("New", 4), ("Contacted", 6)])
        deal(other, [("Contacted", 2), ("Won", 20)], [(lock, 3)], value="120")
        deal(other, [("Contacted", 4), ("Qualified", 8), ("Lost", 12)], [(helmet, 1), (lock, 1)], value="100")
        deal(other, [("Won", 3)], [(bike, 2)], value="3000", won_amount="2900")
        db.session.commit()
    return month


def _by_first_column(rows):
    header, body = rows[0], rows[1:]
    return {row[0]: dict(zip(header, row)) for row in body}


def _share(value):
    """A share 0–1 as the CSV writes it: a percentage (its header says so)."""
    return None if value is None else Decimal(str(value)) * 100


def test_the_api_funnel_is_the_funnel_reports(api, app, client, owner, seller, make_user):
    other = make_user("seller", name="Omar Other")
    month = _shop_with_a_month_of_deals(app, seller, other)
    login(client, owner)
    for query, page_query in (("", ""), (f"&seller_id={seller.id}", f"&seller={seller.id}")):
        answer = api(owner).get(f"/api/v1/figures/funnel?period={month.key}{query}")
        assert answer.status_code == 200, answer.json
        funnel = answer.json
        assert funnel["period"]["key"] == month.key
        rows = _by_first_column(_csv_rows(client, f"/manage/funnel?period={month.key}{page_query}&csv=funnel"))
        # The page reads in its reader's language (English here), the API gives the names in every language.
        assert [stage["stage_names"]["en"] for stage in funnel["stages"]] == list(rows)
        for stage in funnel["stages"]:
            row = rows[stage["stage_names"]["en"]]
            for field, title in (("reached", "Reached it"), ("left", "Left it"), ("moved_on", "Moved on"),
                                 ("lost", "Lost here"), ("went_back", "Went back")):
                assert stage[field] == int(row[title]), (stage["stage"], field)
            conversion, shown = _share(stage["conversion"]), _number(row["Conversion (%)"])
            assert (conversion is None) == (shown is None) and (shown is None or abs(conversion - shown) <= 1)
            assert _number(row["Median days in stage"]) == (
                None if stage["median_days"] is None else Decimal(str(stage["median_days"])))
            assert ("drops most" in row["Note"]) == stage["is_fracture"]
            assert ("slowest" in row["Note"]) == stage["is_stall"]
    # Not just equal, but last month's deals: six started in New and one went back to it.
    shop = api(owner).get(f"/api/v1/figures/funnel?period={month.key}").json["stages"]
    assert (shop[0]["stage_names"]["en"], shop[0]["reached"]) == ("New", 7)
    assert api(seller).get(f"/api/v1/figures/funnel?period={month.key}&seller_id={other.id}").status_code == 403


def test_the_api_wins_per_product_are_the_reports(api, app, client, owner, seller, make_user):
    other = make_user("seller", name="Omar Other")
    month = _shop_with_a_month_of_deals(app, seller, other)
    login(client, owner)
    for query, page_query in (("", ""), (f"&seller_id={other.id}", f"&seller={other.id}")):
        answer = api(owner).get(f"/api/v1/figures/products?period={month.key}{query}")
        assert answer.status_code == 200, answer.json
        wins = answer.json
        for table, items, name_of in (("per-product", wins["products"], lambda item: item["name"]),
                                      ("per-category", wins["categories"], lambda item: item["category"])):
            rows = _by_first_column(_csv_rows(client, f"/manage/products?period={month.key}{page_query}"
                                                      f"&csv={table}"))
            total = rows.pop("Every deal with a product")
            assert [name_of(item) or "No category" for item in items] == list(rows)   # most won value first
            assert items
            pairs = [(rows[name_of(item) or "No category"], item) for item in items] + [(total, wins["total"])]
            for row, item in pairs:
                assert (item["won"], item["lost"]) == (int(row["Deals won"]), int(row["Deals lost"]))
                assert Decimal(item["value"]) == _number(row["Won value"]) and isinstance(item["value"], str)
                rate, shown = _share(item["win_rate"]), _number(row["Win rate (%)"])
                assert (rate is None) == (shown is None) and (shown is None or abs(rate - shown) <= 1)
    # The whole shop's deals with products: three won, two lost; the e-bike's value is its shares of them.
    shop = api(owner).get(f"/api/v1/figures/products?period={month.key}").json
    assert (shop["total"]["won"], shop["total"]["lost"]) == (3, 2)
    assert Decimal(shop["total"]["value"]) == Decimal("1700") + Decimal("120") + Decimal("2900")
    bike = next(item for item in shop["products"] if item["name"] == "E-bike")
    assert (bike["won"], bike["lost"], bike["category"]) == (2, 1, "Bikes")
    assert Decimal(bike["value"]) == (Decimal("1700") * 1500 / 1620).quantize(Decimal("0.01")) + 2900
