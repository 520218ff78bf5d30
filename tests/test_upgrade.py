"""README's upgrade steps, from the previous release with a shop's data in it: back up, take the new code, start
(`make run` / wsgi.py migrates on start). The data must come through and every main page must work on it.

`tests/data/mostrador-0.9.0-demo.zip` is a backup of the demo shop made by release 0.9.0 (schema 0010), the
release before this one: it is loaded into a database built by 0.9.0's migrations, as an install of that
release would hold it.
"""
import json
import zipfile
from pathlib import Path

from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from app import upgrade_schema
from extensions import db
from sales.backup.archive import make_backup, verify_archive
from sales.backup.restore import MIGRATIONS, restore_backup
from sales.version import VERSION
from tests.test_backup import fresh_instance, migrated_template  # noqa: F401  (fixtures)

PREVIOUS_RELEASE = Path(__file__).parent / "data" / "mostrador-0.9.0-demo.zip"
PREVIOUS_SCHEMA = "0010"
# Records a later migration may reshape but never lose.
RECORDS = ("users", "customers", "leads", "contact_logs", "products", "quotes", "quote_revisions", "quote_lines",
           "orders", "order_lines", "tickets", "ticket_messages", "campaigns", "goals", "segments")


def rows_in_file(name):
    with zipfile.ZipFile(PREVIOUS_RELEASE) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        entry = manifest["tables"][name]
        columns = [c[0] for c in entry["columns"]]
        return [dict(zip(columns, json.loads(line))) for line in archive.read(entry["file"]).decode().splitlines()]


def test_the_previous_release_data_file_is_what_it_says():
    manifest = verify_archive(PREVIOUS_RELEASE)
    assert manifest["mostrador_version"] == "0.9.0"
    assert manifest["database"]["schema_revision"] == PREVIOUS_SCHEMA


def test_upgrading_from_the_previous_release_keeps_the_data_and_the_pages_work(fresh_instance, tmp_path):  # noqa: F811
    shop = fresh_instance(migrated=False)
    with shop.app_context():
        upgrade(directory=MIGRATIONS, revision=PREVIOUS_SCHEMA)          # the previous release's schema…
        restore_backup(PREVIOUS_RELEASE, shop.instance_path, upgrade_to_head=False)      # …with its data
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == PREVIOUS_SCHEMA
        before = {name: db.session.scalar(select(func.count()).select_from(db.metadata.tables[name]))
                  for name in RECORDS}

        # 1. Back up (README: "Upgrading").
        make_backup(tmp_path / "before-upgrade.zip", shop.instance_path)
        verify_archive(tmp_path / "before-upgrade.zip")
    # 2. The new code is what runs here. 3. Starting it migrates the schema, as wsgi.py does.
    upgrade_schema(shop)

    with shop.app_context():
        head = ScriptDirectory(MIGRATIONS).get_current_head()
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        after = {name: db.session.scalar(select(func.count()).select_from(db.metadata.tables[name]))
                 for name in RECORDS}
    assert after == before
    assert after["customers"] == len(rows_in_file("customers"))

    client = shop.test_client()
    owner = next(u for u in rows_in_file("users") if u["role"] == "owner")
    signed_in = client.post("/login", data={"email": owner["email"], "password": "release demo 0.9"})
    assert signed_in.status_code == 303
    customers = client.get("/customers/?page=1")
    assert customers.status_code == 200
    first = sorted(rows_in_file("customers"), key=lambda c: c["name"])[0]
    assert first["name"] in customers.get_data(as_text=True)
    a_lead, a_ticket = rows_in_file("leads")[0], rows_in_file("tickets")[0]
    for url in ("/", "/leads/", "/leads/board", f"/leads/{a_lead['id']}", f"/customers/{first['id']}",
                "/quotes/", "/support/", f"/support/tickets/{a_ticket['id']}", "/manage/funnel", "/settings/data/"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert f"Mostrador {VERSION}" in client.get("/").get_data(as_text=True)
    assert client.get("/healthz").json["version"] == VERSION
