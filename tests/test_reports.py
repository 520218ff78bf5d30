"""Every report page, walked as a manager checks it: each table has its CSV, the CSV has the same headers (in the
reader's language), the same rows and the same totals as the table; totals add up; shares make 100 %; every
number is in the reader's notation; and the periods every report takes (all time, free ranges, every year with
data) work everywhere."""
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from babel.dates import format_date
from babel.numbers import parse_decimal

from extensions import db
from models import Customer, Lead, Order, OrderLine, User
from sales.clock import shop_today
from tests.conftest import login

TODAY = shop_today()
THIS_MONTH = f"{TODAY.year}-{TODAY.month:02d}"
REPORT_PAGES = [
    "/",
    "/manage/goals", "/manage/performance", "/manage/funnel?compare=1", "/manage/commissions", "/manage/products",
    "/manage/structure",
    "/manage/loyalty?list=due", "/manage/loyalty?list=lapsed", "/manage/loyalty?list=best",
    "/manage/loyalty?list=cross_sell&bought=Bicicletas&never=Servicios",
    "/negotiation/reports", "/support/reports", "/support/reports?by=seller", "/support/reports?by=kind",
    "/support/reports?by=team", "/support/reports?by=branch",
]
PERIODS = ["", "period=all", f"period={TODAY.year}", f"period={TODAY.year}-01-01..{TODAY.isoformat()}"]


class Tables(HTMLParser):
    """The report tables of a page (data-report-table), each cell's text and kind, and the CSV links."""

    def __init__(self):
        super().__init__()
        self.tables, self.csv_links, self._table, self._cell, self._row, self._link = {}, {}, None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-report-table" in attrs:
            self._table = self.tables.setdefault(attrs["data-report-table"], {"head": [], "rows": []})
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._table is not None and tag in ("th", "td"):
            self._cell = [attrs.get("data-kind", "text"), "", attrs.get("scope")]
        elif tag == "a" and "data-csv-for" in attrs:
            self._link = attrs["data-csv-for"]
            self.csv_links[self._link] = attrs["href"]
        elif tag == "span" and attrs.get("class") == "visually-hidden" and self._link:
            self._link = None

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif self._table is not None and tag in ("th", "td") and self._cell is not None:
            self._row.append((self._cell[0], " ".join(self._cell[1].split()), self._cell[2]))
            self._cell = None
        elif self._table is not None and tag == "tr" and self._row is not None:
            if self._row and self._row[0][2] == "col":
                self._table["head"] = self._row
            else:
                self._table["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def read_csv(response):
    import csv
    import io

    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def page_number(text, locale):
    """A figure as the page shows it (1.234,50 €, 54 %, −0,50, 12) back to a number, read in `locale`."""
    cleaned = text.replace("\u2212", "-").replace("\xa0", " ").replace("\u202f", " ")
    cleaned = re.sub(r"[^\d,.\-]", "", cleaned)
    return parse_decimal(cleaned, locale=locale)


def same_figure(kind, shown, stored, locale):
    if shown == "—":
        return stored == ""
    if kind in ("count", "money", "percent", "number", "signed"):
        return page_number(shown, locale) == Decimal(stored)
    if kind == "date":
        return shown == format_date(date.fromisoformat(stored), "medium", locale=locale)
    return shown == stored


@pytest.fixture
def demo(app, runner):
    """The demo shop, with goals for this month and a deal closed by nobody in particular (no seller)."""
    result = runner.invoke(args=["demo", "--customers", "30"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password: ")[1].split()[0]
    with app.test_request_context():
        from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage
        from sales.management.metrics import set_goal, sellers
        from sales.management.periods import parse

        for person in sellers():
            set_goal(person.id, parse(THIS_MONTH), "contacts", Decimal("5"))
            set_goal(person.id, parse(THIS_MONTH), "revenue", Decimal("2500.50"))
        stages = ensure_default_stages()
        won = next(s for s in stages if s.kind == "won")
        customer = db.session.scalars(db.select(Customer)).first()
        orphan = Lead(customer_id=customer.id, title="Bici sin vendedor", seller_id=None,
                      estimated_value=Decimal("1234.56"))
        db.session.add(orphan)
        start_in_stage(orphan, stages[0])
        db.session.flush()
        move_to_stage(orphan, won)
        db.session.commit()
        owner = db.session.scalar(db.select(User).where(User.role == "owner"))
    return {"owner_email": owner.email, "password": password}


def sign_in(client, app, demo, language):
    with app.app_context():
        owner = db.session.scalar(db.select(User).where(User.email == demo["owner_email"]))
        owner.language = language
        db.session.commit()
        owner = db.session.get(User, owner.id)
        db.session.expunge(owner)
    login(client, owner, demo["password"])


def walk(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parser = Tables()
    parser.feed(response.get_data(as_text=True))
    return response.get_data(as_text=True), parser


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_report_table_has_a_csv_with_the_same_headers_rows_and_totals(client, app, demo, language):
    sign_in(client, app, demo, language)
    seen = 0
    for page in REPORT_PAGES:
        for period in PERIODS:
            url = page + ("&" if "?" in page else "?") + period if period else page
            _html, parser = walk(client, url)
            assert set(parser.csv_links) == set(parser.tables), url
            for name, table in parser.tables.items():
                rows = read_csv(client.get(parser.csv_links[name]))
                header, body = rows[0], rows[1:]
                assert [h + (" (%)" if kind == "percent" else "") for kind, h, _s in table["head"]] == header, url
                assert len(body) == len(table["rows"]), (url, name)
                for shown_row, stored_row in zip(table["rows"], body):
                    assert len(shown_row) == len(stored_row), (url, name)
                    for (kind, shown, _scope), stored in zip(shown_row, stored_row):
                        assert same_figure(kind, shown, stored, language), (url, name, shown, stored)
                seen += 1
    assert seen > 40   # every page drew its tables (the demo shop has something in each)


# A decimal point inside a number: 5.4, 0.75 (a Spanish page writes 5,4 and 0,75; its thousands point groups
# exactly three digits, 1.234,50).
DECIMAL_POINT = re.compile(r"\d\.(\d{1,2}|\d{4,})(?!\d)")


def visible_text(html):
    """The text of the report itself (the page's <main>: the footer's version number 1.0.0 is not a figure)."""
    html = html[html.find('<main id="content"'):html.find("</main>")]
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)   # attributes (ids, dates in inputs, URLs) are not text
    return re.sub(r"\s+", " ", html)


def test_every_report_in_spanish_writes_numbers_the_spanish_way(client, app, demo):
    sign_in(client, app, demo, "es")
    for page in REPORT_PAGES:
        for period in PERIODS:
            url = page + ("&" if "?" in page else "?") + period if period else page
            html, _parser = walk(client, url)
            text = visible_text(html)
            found = DECIMAL_POINT.search(text)
            assert found is None, (url, text[max(0, found.start() - 60):found.end() + 60])


def test_the_whole_shop_row_is_the_sum_of_the_rows_above(client, app, demo):
    """Performance: the deal with no seller has a row of its own, so the whole shop adds up."""
    sign_in(client, app, demo, "en")
    _html, parser = walk(client, "/manage/performance?period=all")
    table = parser.tables["performance"]
    *rows, total = table["rows"]
    assert total[0][1] == "Whole shop" and any(row[0][1] == "No seller" for row in rows)
    for column in range(1, 5):   # new leads, contacts, won, lost
        assert sum(page_number(row[column][1], "en") for row in rows) == page_number(total[column][1], "en")
    revenue = sum(page_number(row[6][1], "en") for row in rows)
    assert revenue == page_number(total[6][1], "en")


def test_lost_reason_shares_add_up_to_100(app):
    from sales.report_tables import shares_by_largest_remainder

    assert shares_by_largest_remainder([1, 1, 1]) == [Decimal(34), Decimal(33), Decimal(33)]
    assert sum(shares_by_largest_remainder([7, 5, 3, 2, 1, 1])) == 100
    assert shares_by_largest_remainder([2, 1], places=1) == [Decimal("66.7"), Decimal("33.3")]
    assert shares_by_largest_remainder([0, 0]) == [0, 0]


def test_negotiation_shares_on_the_page_add_up_to_100(client, app, demo):
    sign_in(client, app, demo, "en")
    _html, parser = walk(client, "/negotiation/reports?period=all")
    *rows, total = parser.tables["lost"]["rows"]
    assert sum(page_number(row[2][1], "en") for row in rows) == 100 == page_number(total[2][1], "en")


def test_the_dashboard_counts_every_follow_up_and_says_what_each_stage_value_is(client, app, demo):
    from models import ContactLog, MaintenancePlan, Promise, Ticket
    from sales.clock import shop_today
    from sales.support.rules import is_overdue

    with app.test_request_context():
        from sales.agenda import end_of_day

        today = shop_today()
        owner = db.session.scalar(db.select(User).where(User.email == demo["owner_email"]))
        customer = db.session.scalars(db.select(Customer)).first()
        for n in range(130):
            db.session.add(ContactLog(customer_id=customer.id, user_id=owner.id, channel="call",
                                      happened_at=datetime.utcnow() - timedelta(days=3), next_step=f"Llamar {n}",
                                      next_step_due=today - timedelta(days=1)))
        db.session.commit()
        # By hand from the tables: open next steps and promises due by today, tickets assigned to the owner that
        # pass their response time before the day ends, maintenance visits due.
        steps = sum(1 for c in db.session.scalars(db.select(ContactLog).where(ContactLog.user_id == owner.id))
                    if c.next_step_due and not c.next_step_done_at and c.next_step_due <= today)
        promises = sum(1 for p in db.session.scalars(db.select(Promise).where(Promise.seller_id == owner.id))
                       if not p.done_at and p.due_on <= today)
        tickets = sum(1 for t in db.session.scalars(db.select(Ticket).where(Ticket.assignee_id == owner.id))
                      if is_overdue(t, end_of_day(today)))
        plans = sum(1 for m in db.session.scalars(db.select(MaintenancePlan)) if m.active and m.next_due_on <= today)
        due = steps + promises + tickets + plans
    sign_in(client, app, demo, "en")
    html, parser = walk(client, "/")
    assert steps > 100 and f"<strong>{due}</strong><span>things due today or late" in html
    counted = [row[3][1] for row in parser.tables["pipeline"]["rows"]]
    assert counted[0] == "estimate, open now" and "amount won" in counted and "estimate, lost" in counted
    assert "Won and lost: the deals closed in " in html


def test_periods_reach_every_year_with_data_all_time_and_free_ranges(app, client, demo):
    from sales.management.periods import ALL_TIME, choices, date_range, parse, years

    with app.test_request_context():
        customer = db.session.scalars(db.select(Customer)).first()
        order = Order(number="O-2016-1", customer_id=customer.id, ordered_on=date(2016, 5, 3))
        order.lines.append(OrderLine(position=0, description="Bici de 2016", quantity=1, unit_price=Decimal("300"),
                                     line_total=Decimal("300")))
        db.session.add(order)
        db.session.commit()
        assert years(TODAY)[-1] == 2016 and years(TODAY)[0] == TODAY.year
        assert parse("all") == ALL_TIME and not ALL_TIME.steps
        spring = parse("2026-03-15..2026-04-14")
        assert spring == date_range(date(2026, 4, 14), date(2026, 3, 15)) and spring.days == 31
        assert spring.previous.key == "2026-02-12..2026-03-14"
        year_options = dict(choices(parse("2016"), TODAY))
        assert any("2016" in key for key, _label in next(v for k, v in year_options.items() if k == "Years"))
    sign_in(client, app, demo, "en")
    for page in REPORT_PAGES[1:]:
        html = client.get(page).get_data(as_text=True)
        assert re.search(r'<option value="2016"[^>]*>2016</option>', html), page
        assert re.search(r'<option value="all"[^>]*>All time</option>', html), page
        assert 'name="from"' in html and 'name="to"' in html, page
    ranged = client.get("/support/reports?from=2016-01-01&to=2016-12-31").get_data(as_text=True)
    assert "Jan 1, 2016 – Dec 31, 2016" in ranged
