"""The API's report figures are the pages' figures: worked out by the same functions, so the numbers a script
reads are the ones the owner sees in Reports → Seller performance and on the home page's pipeline."""
import csv
import io
from decimal import Decimal

from extensions import db
from models import ContactLog, Lead, User
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
