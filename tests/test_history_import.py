"""A shop's history brought in whole: the public CRM sample (tests/data/crm-sales-opportunities) imported through
the screens — catalog, then 8 800 deals with their sellers, products, stages and dates — and the reports checked
against figures computed here from the raw CSV with the csv module."""
import csv
import io
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Customer, Lead, LeadProduct, Order, OrderLine, PipelineStage, Product, StageChange, User
from sales.management import commissions, loyalty, metrics
from sales.management.periods import Period, period_of
from sales.management.product_wins import wins_per_product
from tests.conftest import text_of
from sales.clock import shop_today

SAMPLE = Path(__file__).resolve().parent / "data" / "crm-sales-opportunities"
# What the file calls its stages, and the stage of a new shop's pipeline each should land in.
STAGE_OF = {"Prospecting": "New", "Engaging": "Contacted", "Won": "Won", "Lost": "Lost"}
ALL_TIME = Period("year", date(1900, 1, 1), date(2101, 1, 1))
YEAR_2017 = period_of("year", date(2017, 1, 1))


def raw_deals():
    with open(SAMPLE / "sales_pipeline.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def us_date(text):
    return datetime.strptime(text, "%m/%d/%Y").date() if text else None


def product_name(raw):
    return "GTX Pro" if raw == "GTXPro" else raw


def expected(rows, year=None):
    """Per seller and per product, from the raw rows that have an account (the others are left out)."""
    sellers = defaultdict(lambda: {"won": 0, "lost": 0, "value": Decimal("0")})
    products = defaultdict(lambda: {"won": 0, "lost": 0, "value": Decimal("0")})
    stages = Counter()
    for row in rows:
        if not row["account"]:
            continue
        closed = us_date(row["close_date"])
        if row["deal_stage"] in ("Won", "Lost"):
            if year is not None and closed.year != year:
                continue
            kind = "won" if row["deal_stage"] == "Won" else "lost"
            for bucket in (sellers[row["sales_agent"]], products[product_name(row["product"])]):
                bucket[kind] += 1
                if kind == "won":
                    bucket["value"] += Decimal(row["close_value"])
        stages[STAGE_OF[row["deal_stage"]]] += 1
    return sellers, products, stages


def post_file(client, url, path_or_bytes, name=None, **fields):
    content = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return client.post(url, data={"file": (io.BytesIO(content), name or path_or_bytes.name), **fields},
                       content_type="multipart/form-data")


def selected(html, name):
    options = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', html, re.S).group(1)
    chosen = re.search(r'<option value="([^"]*)" selected', options)
    return chosen.group(1) if chosen else ""


def value_fields(html):
    """{file value: (field name, chosen key)} of the value mapping page."""
    found = {}
    for field, label in re.findall(r'<label for="(value-[a-z_]+-\d+)">(.*?)</label>', html):
        found[label] = (field, selected(html, field))
    return found


def run_steps(client, job_id, until):
    for _ in range(50):
        page = client.get(f"/leads/import/{job_id}/progress")
        if until in text_of(page):
            return page
        client.post(f"/leads/import/{job_id}/step")
    raise AssertionError(f"never reached “{until}”")


def import_pipeline(client, app):
    """The deals file through upload → columns → values → check → import, accepting the guesses except GTXPro."""
    response = post_file(client, "/leads/import", SAMPLE / "sales_pipeline.csv")
    assert response.status_code == 303
    job_id = int(re.search(r"/import/(\d+)", response.location).group(1))
    html = client.get(response.location).get_data(as_text=True)
    header = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value".split(",")
    guessed = {target: selected(html, f"map-{target}") for target in
               ("external_id", "seller", "product", "customer", "stage", "created_on", "close_date", "won_amount")}
    assert {t: header[int(i)] for t, i in guessed.items()} == {
        "external_id": "opportunity_id", "seller": "sales_agent", "product": "product", "customer": "account",
        "stage": "deal_stage", "created_on": "engage_date", "close_date": "close_date", "won_amount": "close_value"}
    assert selected(html, "date_format") == "mdy" and "reads both ways" not in html   # 3/14/2017 proves it
    form = {f"map-{t}": i for t, i in guessed.items()}
    response = client.post(f"/leads/import/{job_id}", data={**form, "date_format": "mdy", "duplicates": "merge",
                                                             "without_customer": "skip", "action": "values"})
    assert response.status_code == 303, text_of(response)
    page = client.get(f"/leads/import/{job_id}/values")
    values = value_fields(page.get_data(as_text=True))
    with app.app_context():
        catalog = {p.name: str(p.id) for p in db.session.scalars(select(Product))}
        stage_ids = {(s.names or {}).get("en", s.name): str(s.id) for s in db.session.scalars(select(PipelineStage))}
    for name in ("GTX Basic", "MG Special", "MG Advanced", "GTX Plus Basic", "GTX Plus Pro", "GTK 500"):
        assert values[name][1] == catalog[name]            # the same spelling: matched already
    assert values["GTXPro"][1] == ""                        # not the same spelling: the person decides
    for file_stage, stage in STAGE_OF.items():
        assert values[file_stage][1] == stage_ids[stage]
    assert values["Moses Frase"][1] == "new"                # no such user yet: a seller account is proposed
    assert "30 new seller accounts will be created" in text_of(page)
    refused = client.post(f"/leads/import/{job_id}/values", data={"action": "start"})
    assert refused.status_code == 422 and "Choose what these values are: GTXPro" in text_of(refused)
    response = client.post(f"/leads/import/{job_id}/values",
                           data={values["GTXPro"][0]: catalog["GTX Pro"], "action": "start"})
    assert response.status_code == 303
    checked = run_steps(client, job_id, "Import the good rows")
    assert "1425 rows have problems and will be left out" in text_of(checked)
    client.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    return text_of(run_steps(client, job_id, "Import finished"))


@pytest.fixture
def current_month_before(app, make_customer, make_lead, owner):
    """A shop already at work this month: its figures must not move when its history comes in."""
    customer = make_customer("Tienda de hoy")
    make_lead(customer, owner, stage="Won", value=Decimal("700"))
    make_lead(customer, owner, stage="Lost", value=Decimal("90"))
    make_lead(customer, owner, stage="Contacted")
    with app.app_context():
        month = period_of("month", shop_today())
        return month, metrics.shop_total(month, metrics.performance(month))


@pytest.fixture
def imported(as_owner, app, current_month_before):
    catalog = post_file(as_owner, "/catalog/import", SAMPLE / "products.csv")
    assert "7 new products, 0 updated." in text_of(catalog)
    return import_pipeline(as_owner, app)


def check_the_import_reports_what_it_did(imported):
    rows = raw_deals()
    with_account = [r for r in rows if r["account"]]
    assert f"{len(with_account)} leads imported" in imported
    assert f"{len({r['account'] for r in with_account})} new customers" in imported
    assert f"{len(rows) - len(with_account)} rows left out because of problems" in imported


def check_sellers_come_from_the_seller_mapping_without_an_email(app):
    names = {r["sales_agent"] for r in raw_deals() if r["account"]}
    with app.app_context():
        created = db.session.scalars(select(User).where(User.name.in_(names))).all()
        assert {u.name for u in created} == names
        assert all(u.email is None and not u.has_password and u.role == "seller" for u in created)


def check_deals_keep_their_own_dates_and_products(app):
    rows = {r["opportunity_id"]: r for r in raw_deals() if r["account"]}
    with app.app_context():
        leads = {lead.external_id: lead for lead in db.session.scalars(select(Lead).where(Lead.external_id.isnot(None)))}
        assert set(leads) == set(rows)
        for external_id in ("1C1I7A6R", "Z063OYW0", "EC4QE1BX"):
            lead, row = leads[external_id], rows[external_id]
            assert lead.closed_at.date() == us_date(row["close_date"])
            assert lead.created_at.date() == us_date(row["engage_date"])
            assert lead.won_amount == Decimal(row["close_value"])
            assert [p.product.name for p in lead.products] == [product_name(row["product"])]
            moves = db.session.scalars(select(StageChange).where(StageChange.lead_id == lead.id)
                                       .order_by(StageChange.changed_at)).all()
            assert [(m.to_stage.names["en"], m.changed_at.date(), m.imported) for m in moves] == [
                ("New", us_date(row["engage_date"]), True), ("Won", us_date(row["close_date"]), True)]
        # Nothing closed "now": every closed deal's date is one of the file's.
        closed_now = db.session.scalar(select(func.count()).select_from(Lead).where(
            Lead.external_id.isnot(None), Lead.closed_at >= datetime(2018, 1, 1)))
        assert closed_now == 0


def check_won_lost_win_rate_and_value_per_seller(app, owner, period, year):
    sellers, _products, _stages = expected(raw_deals(), year)
    with app.app_context():
        names = {u.id: u.name for u in db.session.scalars(select(User))}
        figures = {names[seller_id]: p for seller_id, p in metrics.performance(period).items() if seller_id}
        # The shop's own deals of this month (the fixture) belong to its owner.
        figures = {name: p for name, p in figures.items() if name != owner.name}
        assert set(figures) == {name for name, e in sellers.items() if e["won"] or e["lost"]}
        for name, p in figures.items():
            want = sellers[name]
            assert (p.won, p.lost, p.revenue) == (want["won"], want["lost"], want["value"]), name
            assert p.win_rate == pytest.approx(want["won"] / (want["won"] + want["lost"]))


def check_wins_per_product(app, period, year):
    _sellers, products, _stages = expected(raw_deals(), year)
    with app.app_context():
        rows, categories = wins_per_product(period)
        got = {row.name: (row.won, row.lost, row.value) for row in rows}
        assert got == {name: (e["won"], e["lost"], e["value"]) for name, e in products.items()}
        series = {r["product"]: r["series"] for r in csv.DictReader(open(SAMPLE / "products.csv", encoding="utf-8"))}
        per_series = defaultdict(lambda: [0, Decimal("0")])
        for name, e in products.items():
            per_series[series[name]][0] += e["won"]
            per_series[series[name]][1] += e["value"]
        assert {c.name: (c.won, c.value) for c in categories} == {k: tuple(v) for k, v in per_series.items()}


def check_deals_per_stage(app):
    _sellers, _products, stages = expected(raw_deals())
    with app.app_context():
        counts = {(stage.names or {}).get("en", stage.name): count for stage, count in db.session.execute(
            select(PipelineStage, func.count(Lead.id)).join(Lead, Lead.stage_id == PipelineStage.id)
            .where(Lead.external_id.isnot(None)).group_by(PipelineStage.id)).all()}
    assert counts == dict(stages)


def check_the_reports_pages_show_2017(as_owner):
    sellers, products, _stages = expected(raw_deals(), 2017)
    performance = as_owner.get("/manage/performance.csv?period=2017").get_data(as_text=True)
    # Read by column name: the report's columns are the manager's to rearrange, the figures are not.
    lines = {row["Seller"]: row for row in csv.DictReader(io.StringIO(performance.lstrip("\ufeff")))}
    for name, want in sellers.items():
        assert (int(lines[name]["Deals won"]), int(lines[name]["Deals lost"]), Decimal(lines[name]["Revenue"])) == (
            want["won"], want["lost"], want["value"])
    by_product = as_owner.get("/manage/products?period=2017&csv=per-product").get_data(as_text=True)
    lines = {row["Product"]: row for row in csv.DictReader(io.StringIO(by_product.lstrip("\ufeff")))}
    for name, want in products.items():
        assert (int(lines[name]["Deals won"]), Decimal(lines[name]["Won value"])) == (want["won"], want["value"])
    # The total counts each deal once, whatever number of products it names.
    deals = [r for r in raw_deals() if r["account"] and r["product"] and r["deal_stage"] in ("Won", "Lost")
             and us_date(r["close_date"]).year == 2017]
    total = lines["Every deal with a product"]
    assert (int(total["Deals won"]), int(total["Deals lost"])) == (
        sum(r["deal_stage"] == "Won" for r in deals), sum(r["deal_stage"] == "Lost" for r in deals))
    assert Decimal(total["Won value"]) == sum((Decimal(r["close_value"] or 0) for r in deals
                                               if r["deal_stage"] == "Won"), Decimal(0))
    page = as_owner.get("/manage/products?period=2017")
    assert page.status_code == 200 and "GTX Pro" in text_of(page)


def check_the_current_month_is_unchanged(app, current_month_before):
    month, before = current_month_before
    with app.app_context():
        after = metrics.shop_total(month, metrics.performance(month))
    assert (after.won, after.lost, after.revenue) == (before.won, before.lost, before.revenue)
    # Only the open deals the file gives no date for are new this month: nobody knows when they started.
    undated = sum(1 for r in raw_deals() if r["account"] and not r["engage_date"])
    assert after.new_leads == before.new_leads + undated


def expected_sales(rows, year):
    """{seller: {month "2017-03": won value}} and {account: (won deals, won value)} of all time, from the raw rows."""
    per_month = defaultdict(lambda: defaultdict(Decimal))
    per_account = defaultdict(lambda: [0, Decimal("0")])
    for row in rows:
        if not row["account"] or row["deal_stage"] != "Won":
            continue
        closed = us_date(row["close_date"])
        per_account[row["account"]][0] += 1
        per_account[row["account"]][1] += Decimal(row["close_value"])
        if closed.year == year:
            per_month[row["sales_agent"]][closed.strftime("%Y-%m")] += Decimal(row["close_value"])
    return per_month, {name: tuple(v) for name, v in per_account.items()}


def order_figures(app, owner):
    """Commissions of 2017 per seller (a shop-wide 10 % rule) and every customer's orders and spending."""
    with app.app_context():
        if not commissions.all_rules():
            commissions.save_rule(None, None, Decimal("10"), None)
            db.session.commit()
        people = db.session.scalars(select(User).where(User.id != owner.id)).all()
        earned = {person.name: (c.sold, c.total) for person, c in commissions.commissions(YEAR_2017, people)
                  if c.sold}
        # Spending is per currency (sales.money.Amounts); the sample is all in the shop's currency.
        customers = {row["name"]: (row["orders"], row["spent"].get().quantize(Decimal("0.01")))
                     for row in loyalty.best_customers(date(2100, 1, 1), limit=None)}
        orders = db.session.scalar(select(func.count()).select_from(Order))
        return earned, customers, orders


def check_won_deals_are_orders_that_commissions_and_loyalty_count(app, owner):
    per_month, per_account = expected_sales(raw_deals(), 2017)
    earned, customers, orders = order_figures(app, owner)
    assert earned == {seller: (sum(months.values(), Decimal("0")),
                               sum(((v * 10 / 100).quantize(Decimal("0.01")) for v in months.values()), Decimal("0")))
                      for seller, months in per_month.items()}
    assert customers == per_account
    assert orders == sum(n for n, _value in per_account.values())
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.external_id == "1C1I7A6R"))
        order = db.session.scalar(select(Order).where(Order.lead_id == lead.id))
        row = next(r for r in raw_deals() if r["opportunity_id"] == "1C1I7A6R")
        assert (order.ordered_on, order.customer_id, order.seller_id, order.total, order.imported) == (
            us_date(row["close_date"]), lead.customer_id, lead.seller_id, Decimal(row["close_value"]), True)
        assert [(line.product.name, line.line_total) for line in order.lines] == [
            (product_name(row["product"]), Decimal(row["close_value"]))]
        # Numbered in the shop's series of the year the sale happened, first sale first.
        first = db.session.scalar(select(Order).order_by(Order.ordered_on, Order.id).limit(1))
        assert first.number == f"O-{first.ordered_on.year}-0001"
        numbers = db.session.scalars(select(Order.number)).all()
        assert len(numbers) == len(set(numbers))


def test_importing_the_same_file_again_updates_instead_of_copying(imported, as_owner, app, owner):
    figures_before = order_figures(app, owner)
    with app.app_context():
        counts = {model: db.session.scalar(select(func.count()).select_from(model))
                  for model in (Lead, Customer, User, Product, StageChange, LeadProduct, Order, OrderLine)}
    again = import_again(as_owner)
    with_account = sum(1 for r in raw_deals() if r["account"])
    assert "0 leads imported" in again
    assert f"{with_account} leads imported before are unchanged" in again
    assert "order" not in again.lower().replace("import finished", "")   # no order made, changed or removed
    with app.app_context():
        assert counts == {model: db.session.scalar(select(func.count()).select_from(model)) for model in counts}
    assert order_figures(app, owner) == figures_before


def test_a_deal_no_longer_won_loses_its_order_and_a_changed_amount_follows(imported, as_owner, app, owner):
    rows = raw_deals()
    won = next(r for r in rows if r["account"] and r["deal_stage"] == "Won")
    other = next(r for r in rows if r["account"] and r["deal_stage"] == "Won" and r is not won)
    header = list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header)
    writer.writeheader()
    writer.writerow({**won, "deal_stage": "Lost", "close_value": "0"})
    writer.writerow({**other, "close_value": str(Decimal(other["close_value"]) + 100)})
    response = post_file(as_owner, "/leads/import", buffer.getvalue().encode(), "changes.csv")
    job_id = int(re.search(r"/import/(\d+)", response.location).group(1))
    html = as_owner.get(response.location).get_data(as_text=True)
    form = {name: selected(html, name) for name in re.findall(r'<select id="(map-[a-z_]+)"', html)}
    as_owner.post(f"/leads/import/{job_id}", data={**form, "date_format": "mdy", "action": "values"})
    values = value_fields(as_owner.get(f"/leads/import/{job_id}/values").get_data(as_text=True))
    with app.app_context():
        gtx = str(db.session.scalar(select(Product.id).where(Product.name == "GTX Pro")))
    extra = {values["GTXPro"][0]: gtx} if "GTXPro" in values else {}
    assert as_owner.post(f"/leads/import/{job_id}/values", data={**extra, "action": "start"}).status_code == 303
    run_steps(as_owner, job_id, "Import the good rows")
    as_owner.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    done = text_of(run_steps(as_owner, job_id, "Import finished"))
    assert "1 order removed: its deal is no longer won" in done
    assert "1 order brought up to date with its deal" in done
    with app.app_context():
        lost = db.session.scalar(select(Lead).where(Lead.external_id == won["opportunity_id"]))
        changed = db.session.scalar(select(Lead).where(Lead.external_id == other["opportunity_id"]))
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.lead_id == lost.id)) == 0
        order = db.session.scalar(select(Order).where(Order.lead_id == changed.id))
        assert order.total == Decimal(other["close_value"]) + 100 == sum(l.line_total for l in order.lines)


def test_the_public_sample_comes_in_whole_and_the_reports_count_its_own_dates(imported, app, as_owner, owner,
                                                                            current_month_before):
    """Imported once (8 800 deals take a while): every figure checked on the same import."""
    check_the_import_reports_what_it_did(imported)
    check_sellers_come_from_the_seller_mapping_without_an_email(app)
    check_deals_keep_their_own_dates_and_products(app)
    for period, year in ((YEAR_2017, 2017), (ALL_TIME, None)):
        check_won_lost_win_rate_and_value_per_seller(app, owner, period, year)
        check_wins_per_product(app, period, year)
    check_deals_per_stage(app)
    check_won_deals_are_orders_that_commissions_and_loyalty_count(app, owner)
    check_the_reports_pages_show_2017(as_owner)
    check_the_current_month_is_unchanged(app, current_month_before)


def import_again(client):
    """The same file once more: this time the sellers and GTX Pro exist, so every value matches by itself."""
    response = post_file(client, "/leads/import", SAMPLE / "sales_pipeline.csv")
    job_id = int(re.search(r"/import/(\d+)", response.location).group(1))
    html = client.get(response.location).get_data(as_text=True)
    assert "A file with exactly this content was imported before" in html
    assert "deals imported then are updated, not copied" in html
    form = {name: selected(html, name) for name in re.findall(r'<select id="(map-[a-z_]+)"', html)}
    client.post(f"/leads/import/{job_id}", data={**form, "date_format": "mdy", "action": "values"})
    values = value_fields(client.get(f"/leads/import/{job_id}/values").get_data(as_text=True))
    gtx_field, _chosen = values["GTXPro"]
    response = client.post(f"/leads/import/{job_id}/values", data={"action": "start"})
    if response.status_code == 422:  # GTXPro is still another spelling: map it as the first time
        product_id = re.search(r'<option value="(\d+)">GTX Pro</option>',
                               client.get(f"/leads/import/{job_id}/values").get_data(as_text=True)).group(1)
        response = client.post(f"/leads/import/{job_id}/values", data={gtx_field: product_id, "action": "start"})
    assert response.status_code == 303
    run_steps(client, job_id, "Import the good rows")
    client.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    return text_of(run_steps(client, job_id, "Import finished"))
