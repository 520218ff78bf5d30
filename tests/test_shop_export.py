"""The whole-shop export: every kind of record as CSV (in the columns the imports read) plus the photos, from the
settings page and the command line; other code adds kinds through the registry."""
import csv
import io
import zipfile
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Attachment, Customer, Lead, Product, Ticket, User
from sales.backup import shop_export
from sales.backup.shop_export import INTERNAL_TABLES, export_kind, write_shop_export
from sales.backup.tables import shop_table_names


def read_export(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    files = {}
    for name in archive.namelist():
        if name.endswith(".csv"):
            text = archive.read(name).decode("utf-8-sig")
            files[name] = list(csv.reader(io.StringIO(text)))
    return archive, files


@pytest.fixture
def small_shop(app, make_customer, make_user, make_lead, tmp_path):
    seller = make_user("seller", name="Lucía Vendedora")
    customer = make_customer(name="Ana García", email="ana@example.com", city="Getafe", tags=("vip", "club"))
    make_lead(customer, seller, title="E-bike", value=2400)
    from sales.support.rules import open_ticket

    with app.test_request_context():
        db.session.add(Product(code="GTX-PRO", name="GTX Pro", category="E-bikes", unit_price=Decimal("2399.90"),
                               tax_rate=Decimal("21")))
        ticket = open_ticket(db.session.get(Customer, customer.id), title="Brakes squeak")
        db.session.flush()
        db.session.add(Attachment(ticket_id=ticket.id, stored_name="abc.jpg", content_type="image/jpeg", size=4))
        db.session.commit()
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "abc.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    return tmp_path


def test_the_export_holds_every_kind_every_table_and_the_photos(app, small_shop):
    out = io.BytesIO()
    with app.app_context():
        counts = write_shop_export(out, small_shop)
        in_database = {name: db.session.scalar(select(func.count()).select_from(db.metadata.tables[name]))
                       for name in shop_table_names()}
    archive, files = read_export(out.getvalue())
    assert archive.read("attachments/abc.jpg") == b"\xff\xd8\xff\xe0"
    for kind, table in (("customers", "customers"), ("users", "users"), ("products", "products"),
                        ("leads", "leads")):
        assert len(files[f"{kind}.csv"]) - 1 == in_database[table] == counts[f"{kind}.csv"]
    covered = {"customers", "customer_tags", "tags", "users", "products", "leads"} | INTERNAL_TABLES
    for table in set(shop_table_names()) - covered:
        assert len(files[f"tables/{table}.csv"]) - 1 == in_database[table], table
    customer = dict(zip(files["customers.csv"][0], files["customers.csv"][1]))
    assert customer["name"] == "Ana García" and customer["tags"] == "club; vip" and customer["city"] == "Getafe"
    for name, rows in files.items():
        assert not [c for c in rows[0] if "password" in c or "token" in c], f"{name} leaks a secret column"
    assert "customers.csv: 1 rows" in archive.read("README.txt").decode()


def test_the_product_and_lead_files_go_back_into_their_imports(app, small_shop):
    from sales.leads.imports import TARGETS, guess_mapping
    from sales.quotes.catalog import import_products

    out = io.BytesIO()
    with app.app_context():
        write_shop_export(out, small_shop)
    _, files = read_export(out.getvalue())
    header = files["leads.csv"][0]
    mapping = guess_mapping(header)
    assert set(mapping) == {target for target, _words in TARGETS}
    lead = files["leads.csv"][1]
    with app.app_context():     # the stage as the shop names it (its language's name), as the import reads it
        stage = db.session.scalar(select(Lead)).stage.name
    assert [lead[mapping[t]] for t in ("title", "customer", "value", "stage")] == ["E-bike", "Ana García",
                                                                                   "2400.00", stage]
    with app.test_request_context():
        before = [(p.code, p.name, p.category, p.unit_price) for p in db.session.scalars(select(Product))]
        db.session.execute(db.delete(Product))
        created, updated, problems = import_products(files["products.csv"][0], files["products.csv"][1:])
        db.session.commit()
        after = [(p.code, p.name, p.category, p.unit_price) for p in db.session.scalars(select(Product))]
    assert problems == [] and created == 1 and after == before


def test_other_code_adds_or_replaces_kinds_through_the_registry(app, small_shop, monkeypatch):
    monkeypatch.setattr(shop_export, "_KINDS", dict(shop_export._KINDS))

    @export_kind("tickets", covers=("tickets", "ticket_messages"))
    def tickets_table():
        return ["number", "title"], [(t.number, t.title) for t in db.session.scalars(select(Ticket))]

    @export_kind("customers")
    def customers_with_custom_fields():
        return ["name", "shoe size"], [(c.name, "42") for c in db.session.scalars(select(Customer))]

    @export_kind("customers", default=True)     # a fallback registered later does not undo the real one
    def fallback():
        return ["name"], []

    out = io.BytesIO()
    with app.app_context():
        write_shop_export(out, small_shop)
    _, files = read_export(out.getvalue())
    assert files["tickets.csv"][1][1] == "Brakes squeak"
    assert "tables/tickets.csv" not in files and "tables/ticket_messages.csv" not in files
    assert files["customers.csv"] == [["name", "shoe size"], ["Ana García", "42"]]


def test_the_owner_downloads_the_export(as_owner, small_shop, app, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(small_shop))
    response = as_owner.post("/settings/data/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive, files = read_export(response.get_data())
    assert "attachments/abc.jpg" in archive.namelist() and files["products.csv"][1][0] == "GTX-PRO"


def test_only_the_owner_exports(client, seller):
    from tests.conftest import login

    login(client, seller)
    assert client.post("/settings/data/export").status_code == 403


def test_the_export_command(runner, small_shop, app, tmp_path):
    result = runner.invoke(args=["export", str(tmp_path / "shop.zip")])
    assert result.exit_code == 0, result.output
    assert "customers.csv: 1 rows" in result.output
    _, files = read_export((tmp_path / "shop.zip").read_bytes())
    with app.app_context():
        assert len(files["users.csv"]) - 1 == db.session.scalar(select(func.count()).select_from(User))
        assert len(files["leads.csv"]) - 1 == db.session.scalar(select(func.count()).select_from(Lead))
