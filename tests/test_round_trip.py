"""Export → import round trip: a shop with the public sample's history is exported in the columns the imports read
(catalog, users, customers, deals), as CSV and as .xlsx, the files are imported into an empty shop, and every report
figure comes out the same — the orders the won deals made and the leads' custom fields included.
Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
import csv
import io
import re
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from extensions import db
from models import Customer, Lead, Order, PipelineStage, User
from sales import custom_fields
from sales.import_files import read_table, read_upload
from sales.management import commissions, funnel, metrics
from sales.management.product_wins import wins_per_product
from tests.conftest import login, text_of
from tests.test_history_import import ALL_TIME, SAMPLE, YEAR_2017, import_pipeline, post_file, run_steps, selected


def figures(app):
    """Every report figure the history feeds, keyed by names (ids differ between the two shops)."""
    with app.app_context():
        names = {u.id: u.name for u in db.session.scalars(select(User))}
        stages = {s.id: s.name for s in db.session.scalars(select(PipelineStage))}
        result = {}
        for label, period in (("2017", YEAR_2017), ("all time", ALL_TIME)):
            performance = metrics.performance(period)
            result[label, "sellers"] = {names.get(k): (p.won, p.lost, p.revenue, p.new_leads, p.cycle_days)
                                        for k, p in performance.items()}
            products, categories = wins_per_product(period)
            result[label, "products"] = {r.name: (r.won, r.lost, r.value) for r in products}
            result[label, "categories"] = {r.name: (r.won, r.lost, r.value) for r in categories}
            result[label, "funnel"] = {f.stage.name: (f.reached, f.moved_on, f.lost, f.went_back, f.median_days)
                                       for f in funnel.funnel(period)}
        result["stages"] = {stages[k]: n for k, n in db.session.execute(
            select(Lead.stage_id, func.count()).group_by(Lead.stage_id))}
        result["customers"] = {c.name: (c.kind, c.custom) for c in db.session.scalars(select(Customer))}
        labels = {f.key: f.label for f in custom_fields.all_fields("lead")}
        result["lead fields"] = {lead.external_id: {labels[k]: v for k, v in lead.custom.items()}
                                 for lead in db.session.scalars(select(Lead).where(Lead.custom.is_not(None)))
                                 if lead.custom}
        people = db.session.scalars(select(User)).all()
        result["commissions 2017"] = {person.name: c.sold for person, c in commissions.commissions(YEAR_2017, people)
                                      if c.sold}
        # Numbers are each shop's own series: the new shop numbers the orders anew, in the order it imports them.
        result["orders"] = sorted((names.get(o.seller_id), o.ordered_on, o.total, o.imported)
                                  for o in db.session.scalars(select(Order)))
        return result


def table_of(content, name):
    text_, _sheets = read_upload(name, content)
    header, rows, _delimiter = read_table(text_)
    return header, rows


def same_values(table):
    """A table's cells as values: 1054.50 and 1054.5 are one amount; the CSV's ' before a + or = is the CSV's."""
    def value(cell):
        cell = cell[1:] if cell[:2] in ("'=", "'+", "'-", "'@") else cell
        try:
            return Decimal(cell).normalize() if cell and cell[0].isdigit() and "-" not in cell else cell
        except ArithmeticError:
            return cell
    header, rows = table
    return header, [[value(cell) for cell in row] for row in rows]


def give_some_deals_a_custom_field(app):
    with app.app_context():
        field = custom_fields.define("lead", "Partner", "text")
        for number, lead in enumerate(db.session.scalars(select(Lead).order_by(Lead.id).limit(3))):
            lead.custom = {field.key: f"Partner {number}"}
        db.session.commit()


def empty_the_shop(app):
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(text(f'DELETE FROM "{table.name}"'))


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_export_then_import_into_an_empty_shop_reproduces_every_figure(as_owner, client, app, make_user, extension):
    from tests.test_custom_fields import import_accounts

    assert "85 new customers" in import_accounts(as_owner)[0]
    assert "7 new products" in text_of(post_file(as_owner, "/catalog/import", SAMPLE / "products.csv"))
    assert "Import finished" in import_pipeline(as_owner, app)
    give_some_deals_a_custom_field(app)
    before = figures(app)
    assert before["2017", "sellers"] and before["2017", "products"] and before["orders"]
    assert len(before["lead fields"]) == 3
    exported = {f"{name}.{extension}": as_owner.get(f"{url}.{extension}").data for name, url in
                (("catalog", "/catalog/export"), ("users", "/users/export"),
                 ("customers", "/customers/export"), ("leads", "/leads/export"))}
    if extension == "xlsx":
        with app.test_request_context():
            for kind in ("leads", "customers", "catalog", "users"):     # the same columns and values as the CSV
                assert same_values(table_of(exported[f"{kind}.xlsx"], "x.xlsx")) == same_values(
                    table_of(as_owner.get(f"/{kind}/export.csv").data, "x.csv")), kind
        sheet = load_workbook(io.BytesIO(exported["leads.xlsx"])).active
        header = [cell.value for cell in sheet[1]]
        won = next(row for row in sheet.iter_rows(min_row=2, values_only=True)
                   if row[header.index("Won amount")] is not None)
        assert isinstance(won[header.index("Closed on")], datetime)               # a real date
        assert isinstance(won[header.index("Won amount")], (int, float, Decimal))  # a real number

    empty_the_shop(app)
    login(client, make_user("owner", name="New Owner", email="new-owner@shop.example"))
    catalog = post_file(client, "/catalog/import", exported[f"catalog.{extension}"], f"catalog.{extension}")
    assert "7 new products" in text_of(catalog)
    assert "85 new customers" in import_accounts(client, exported[f"customers.{extension}"],
                                                 f"customers.{extension}")[0]
    users = text_of(post_file(client, "/users/import", exported[f"users.{extension}"], f"users.{extension}"))
    with app.test_request_context():
        staff = table_of(exported[f"users.{extension}"], f"users.{extension}")[1]
    assert f"{len(staff)} new users" in users      # the 30 sellers of the pipeline and the first shop's owner
    response = post_file(client, "/leads/import", exported[f"leads.{extension}"], f"leads.{extension}")
    job_id = int(re.search(r"/import/(\d+)", response.location).group(1))
    html = client.get(response.location).get_data(as_text=True)
    form = {name: selected(html, name) for name in re.findall(r'<select id="(map-[a-z_]+)"', html)}
    columns = {name: selected(html, name) for name in re.findall(r'<select id="(column-\d+)"', html)}
    with app.test_request_context():
        header = table_of(exported[f"leads.{extension}"], f"leads.{extension}")[0]
    # Every exported column is read back: the deal's own fields, and the leads' custom field as a new field.
    assert {header[int(i)] for i in form.values() if i} | {
        header[int(name[len("column-"):])] for name, chosen in columns.items() if chosen} == set(header)
    assert columns and set(columns.values()) == {"new"}
    form.update(columns)
    assert selected(html, "date_format") == "ymd"
    client.post(f"/leads/import/{job_id}", data={**form, "date_format": "ymd", "action": "values"})
    started = client.post(f"/leads/import/{job_id}/values", data={"action": "start"})
    assert started.status_code == 303, text_of(started)                 # every value matched by itself
    run_steps(client, job_id, "Import the good rows")
    client.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    done = text_of(run_steps(client, job_id, "Import finished"))
    assert "left out" not in done
    assert figures(app) == before
