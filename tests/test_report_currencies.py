"""Reports of a shop that changed its currency (EUR → USD in the shop settings) in the middle of a month: every
amount is summed per currency, never converted; each report page says so above its table and its CSV gives one
column per currency; goals and commissions count only the shop's currency and say what they leave out. The
expected sums are worked out here from the records the test made, never typed in."""
import csv
import io
from decimal import Decimal

import pytest

from extensions import db
from models import (CommissionRule, Customer, Lead, LeadProduct, Order, OrderLine, PipelineStage, Product,
                    ShopSetting, User)
from tests.conftest import login, text_of
from tests.test_reports import Tables

NOTES = {
    "en": "These figures mix two currencies: EUR and USD; amounts are shown per currency, never converted.",
    "es": "Estas cifras mezclan dos monedas: EUR y USD; los importes se muestran por moneda, nunca convertidos.",
}
# The money columns each report splits per currency in its CSV, in the reader's language.
REVENUE = {"en": "Revenue", "es": "Facturación"}


def _sale(customer, seller, title, amount, currency, product, stages, with_order=True):
    """A deal won today; with an order made in `currency` (its lines before tax at 5/6 of the total)."""
    from sales.leads.stages import move_to_stage, start_in_stage

    lead = Lead(customer_id=customer.id, title=title, seller_id=seller.id, estimated_value=amount,
                source="walk_in")
    db.session.add(lead)
    start_in_stage(lead, stages[0])
    db.session.flush()
    db.session.add(LeadProduct(lead_id=lead.id, product_id=product.id, quantity=Decimal("1")))
    move_to_stage(lead, next(s for s in stages if s.kind == "won"))
    lead.won_amount = amount
    if with_order:
        from sales.clock import shop_today

        net = (amount * 5 / 6).quantize(Decimal("0.01"))
        order = Order(number=f"O-{title}", customer_id=customer.id, lead_id=lead.id, seller_id=seller.id,
                      ordered_on=shop_today(), currency=currency, subtotal=net, tax_total=amount - net,
                      total=amount)
        order.lines = [OrderLine(product_id=product.id, description=product.name, quantity=Decimal("1"),
                                 unit_price=net, line_total=net)]
        db.session.add(order)
    db.session.flush()
    return lead


@pytest.fixture
def two_currencies(app, owner, seller):
    """This month: a sale in euros, then the shop switches to dollars, a sale in dollars, a won deal with no
    order (in the shop's currency now: dollars) and a lost one; a revenue goal and a 10 % commission rule."""
    with app.test_request_context():
        from sales.clock import shop_today
        from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage
        from sales.management.metrics import set_goal
        from sales.management.periods import period_of

        stages = ensure_default_stages()
        seller_row = db.session.get(User, seller.id)
        ana = Customer(name="Ana Mixta", city="Toledo")
        bike = Product(code="B1", name="Bici", category="Bicicletas", unit_price=Decimal("1000"))
        db.session.add_all([ana, bike])
        db.session.flush()
        _sale(ana, seller_row, "euros", Decimal("1200.00"), "EUR", bike, stages)
        ShopSetting.put("currency", "USD", default="EUR")
        _sale(ana, seller_row, "dollars", Decimal("300.00"), "USD", bike, stages)
        _sale(ana, seller_row, "no-order", Decimal("50.00"), None, bike, stages, with_order=False)
        lost = Lead(customer_id=ana.id, title="lost", seller_id=seller_row.id, estimated_value=Decimal("80.00"))
        db.session.add(lost)
        start_in_stage(lost, stages[0])
        db.session.flush()
        move_to_stage(lost, next(s for s in stages if s.kind == "lost"))
        set_goal(seller_row.id, period_of("month", shop_today()), "revenue", Decimal("1000"))
        db.session.add(CommissionRule(seller_id=None, category=None, percent=Decimal("10")))
        db.session.commit()


def expected(app):
    """Per currency, from the records: what the won deals brought in (the currency of the order each became, or
    the shop's), the orders' lines before tax, the orders' totals, and the lost deals' estimates."""
    with app.app_context():
        shop = ShopSetting.get("currency")
        won, sold, spent = {}, {}, {}
        for lead in db.session.scalars(db.select(Lead).join(PipelineStage).where(PipelineStage.kind == "won")):
            order = db.session.scalars(db.select(Order).where(Order.lead_id == lead.id)).first()
            currency = order.currency if order else shop
            won[currency] = won.get(currency, 0) + (lead.won_amount or lead.estimated_value)
        for order in db.session.scalars(db.select(Order)):
            sold[order.currency] = sold.get(order.currency, 0) + sum(line.line_total for line in order.lines)
            spent[order.currency] = spent.get(order.currency, 0) + order.total
        return {"shop": shop, "won": won, "sold": sold, "spent": spent}


def sign_in(client, app, owner, language):
    with app.app_context():
        db.session.get(User, owner.id).language = language
        db.session.commit()
    login(client, owner)


def read_csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def page_and_csv(client, url, table):
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    parser = Tables()
    parser.feed(html)
    assert table in parser.tables, (url, sorted(parser.tables))
    return html, parser, read_csv(client.get(parser.csv_links[table]))


def column_of(rows, label):
    """{first cell: value} of one CSV column."""
    index = rows[0].index(label)
    return {row[0]: row[index] for row in rows[1:]}


def note_of(html, table):
    start = html.find(f'data-currency-note="{table}"')
    assert start != -1, table
    return " ".join(html[html.find(">", start) + 1:html.find("</p>", start)].split())


def cell_text(parser, table, first, column):
    for row in parser.tables[table]["rows"]:
        if row[0][1] == first:
            return row[column][1]
    raise AssertionError((table, first))


def money(amount, currency, language):
    from babel.numbers import format_currency

    return " ".join(format_currency(amount, currency, locale=language).split())   # as the page's text reads


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_report_sums_per_currency_says_so_and_splits_its_csv(client, app, owner, seller, two_currencies,
                                                                  language):
    want = expected(app)
    assert set(want["won"]) == {"EUR", "USD"} and want["shop"] == "USD"
    sign_in(client, app, owner, language)
    note = NOTES[language]
    whole_shop = {"en": "Whole shop", "es": "Toda la tienda"}[language]

    # Performance: the whole shop's revenue, one CSV column per currency, and the note above the table.
    html, parser, rows = page_and_csv(client, "/manage/performance", "performance")
    assert note_of(html, "performance") == note
    for currency in ("EUR", "USD"):
        assert Decimal(column_of(rows, f"{REVENUE[language]} ({currency})")[whole_shop]) == want["won"][currency]
    shown = cell_text(parser, "performance", whole_shop, 6)
    assert shown == f'{money(want["won"]["EUR"], "EUR", language)} · {money(want["won"]["USD"], "USD", language)}'
    # Counts are not split: one column of deals won (the fourth), all three of them.
    assert rows[0][3] == parser.tables["performance"]["head"][3][1] and rows[-1][3] == "3"

    # The sales force: every level's total holds the same sums.
    html, parser, rows = page_and_csv(client, "/manage/structure", "per-seller")
    assert note_of(html, "per-seller") == note
    total = rows[-1]
    for currency in ("EUR", "USD"):
        assert Decimal(total[rows[0].index(f"{REVENUE[language]} ({currency})")]) == want["won"][currency]

    # Wins per product: the won value per currency.
    html, parser, rows = page_and_csv(client, "/manage/products", "per-product")
    assert note_of(html, "per-product") == note
    header = rows[0]
    assert header[4].endswith("(EUR)") and header[5].endswith("(USD)")   # Won value, per currency
    assert [Decimal(rows[-1][4]), Decimal(rows[-1][5])] == [want["won"]["EUR"], want["won"]["USD"]]

    # Commissions: sold per currency; only the shop's currency (USD) earns, and the page says what is left out.
    html, parser, rows = page_and_csv(client, "/manage/commissions", "commissions")
    assert note_of(html, "commissions") == note
    header = rows[0]
    seller_total = next(row for row in rows[1:] if row[0].startswith("Sam Seller") and row[1] == "")
    assert header[3].endswith("(EUR)") and header[4].endswith("(USD)")   # Sold, per currency
    assert [Decimal(seller_total[3]), Decimal(seller_total[4])] == [want["sold"]["EUR"], want["sold"]["USD"]]
    assert header[-1].endswith("(USD)")                                  # the commission, in the shop's
    assert Decimal(seller_total[-1]) == (want["sold"]["USD"] / 10).quantize(Decimal("0.01"))
    assert money(want["sold"]["EUR"], "EUR", language) in text_of(client.get("/manage/commissions"))

    # Loyalty: what the customer spent, per currency in one cell, one CSV column each.
    html, parser, rows = page_and_csv(client, "/manage/loyalty?list=best", "best")
    assert note_of(html, "best") == note
    assert cell_text(parser, "best", "Ana Mixta", 4) == (
        f'{money(want["spent"]["EUR"], "EUR", language)} · {money(want["spent"]["USD"], "USD", language)}')
    for currency in ("EUR", "USD"):
        label = next(h for h in rows[0] if h.endswith(f"({currency})"))
        assert Decimal(column_of(rows, label)["Ana Mixta"]) == want["spent"][currency]

    # The dashboard: the pipeline's won stage per currency, under the same note.
    html, parser, rows = page_and_csv(client, "/", "pipeline")
    assert note_of(html, "pipeline") == note
    with app.app_context():
        won_stage = db.session.scalar(db.select(PipelineStage).where(PipelineStage.kind == "won")).names[language]
    assert rows[0][2].endswith("(EUR)") and rows[0][3].endswith("(USD)")
    won_row = next(row for row in rows[1:] if row[0] == won_stage)
    assert [Decimal(won_row[2]), Decimal(won_row[3])] == [want["won"]["EUR"], want["won"]["USD"]]

    # The funnel counts deals: no amounts, no note.
    html, parser, rows = page_and_csv(client, "/manage/funnel", "funnel")
    assert "data-currency-note" not in html


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_revenue_goal_counts_the_shops_currency_and_says_what_it_leaves_out(client, app, owner, seller,
                                                                              two_currencies, language):
    want = expected(app)
    sign_in(client, app, owner, language)
    left_out = money(want["won"]["EUR"], "EUR", language)
    for url in ("/manage/goals", "/"):
        page = text_of(client.get(url))
        assert left_out in page, url
        assert money(want["won"]["USD"], "USD", language) in page, url
    _html, _parser, rows = page_and_csv(client, "/manage/goals", "goals")
    actual = rows[0][3]
    revenue_row = next(row for row in rows[1:] if row[0] == "Sam Seller")
    assert Decimal(revenue_row[rows[0].index(actual)]) == want["won"]["USD"]
    page = text_of(client.get("/manage/goals"))
    assert {"en": "Revenue goals are in USD: only deals won in USD count towards them; "
                  f"{left_out} won in other currencies are left out, never converted.",
            "es": "Los objetivos de ingresos están en USD: solo cuentan los acuerdos ganados en USD; "
                  f"{left_out} ganados en otras monedas quedan fuera, nunca convertidos."}[language] in page


def test_a_segment_csv_gives_one_spent_column_per_currency(client, app, owner, two_currencies):
    want = expected(app)
    sign_in(client, app, owner, "en")
    rows = read_csv(client.get("/manage/segments.csv", query_string={"city": "Toledo"}))
    assert rows[0] == ["Customer", "Email", "Phone", "City", "Orders", "Spent (EUR)", "Spent (USD)",
                       "Last purchase"]
    assert [Decimal(rows[1][5]), Decimal(rows[1][6])] == [want["spent"]["EUR"], want["spent"]["USD"]]


def test_a_shop_in_one_currency_reads_as_before(client, app, owner, seller):
    """No note, one money column per figure, and the amounts in the shop's currency."""
    with app.test_request_context():
        from sales.leads.stages import ensure_default_stages

        stages = ensure_default_stages()
        ana = Customer(name="Ana Una", city="Toledo")
        bike = Product(code="B1", name="Bici", category="Bicicletas", unit_price=Decimal("1000"))
        db.session.add_all([ana, bike])
        db.session.flush()
        _sale(ana, db.session.get(User, seller.id), "euros", Decimal("1200.00"), "EUR", bike, stages)
        db.session.commit()
    sign_in(client, app, owner, "en")
    for url, table in (("/manage/performance", "performance"), ("/manage/products", "per-product"),
                       ("/manage/commissions", "commissions"), ("/manage/loyalty?list=best", "best"),
                       ("/", "pipeline"), ("/manage/structure", "per-seller")):
        html, _parser, rows = page_and_csv(client, url, table)
        assert "data-currency-note" not in html and "mix" not in html, url
        assert not any(h.endswith(("(EUR)", "(USD)")) for h in rows[0]), (url, rows[0])
    html, parser, rows = page_and_csv(client, "/manage/performance", "performance")
    assert cell_text(parser, "performance", "Whole shop", 6) == "€1,200.00"
    assert column_of(rows, "Revenue")["Whole shop"] == "1200.00"
