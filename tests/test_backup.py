"""Backups and restores: a backup of the demo shop taken while people keep working restores into a fresh instance
with every table as it was, on SQLite and PostgreSQL and from one to the other; a damaged or foreign file is
refused before anything is touched."""
import json
import os
import shutil
import threading
import time
import uuid
import zipfile
from collections import Counter

import pytest

from sales.backup.tables import is_derived
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from app import create_app, upgrade_schema
from config import _normalise_database_url
from extensions import db
from models import Attachment, Customer, Ticket, User
from sales.backup.archive import BackupError, make_backup, verify_archive
from sales.backup.restore import restore_backup
from sales.backup.tables import shop_table_names

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(2000)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory):
    """An empty database at this version's schema, migrated once and copied for each fresh instance that needs
    one (running every migration per test would take most of the suite's time)."""
    server = os.environ.get("TEST_DATABASE_URL")
    folder = tmp_path_factory.mktemp("template")
    urls = {"sqlite": f"sqlite:///{folder / 'template.db'}"}
    admin = make_url(_normalise_database_url(server)) if server else None
    if admin:
        name = f"mostrador_template_{uuid.uuid4().hex[:12]}"
        _admin_sql(admin, f'CREATE DATABASE "{name}"')
        urls["postgresql"] = admin.set(database=name).render_as_string(hide_password=False)
    for url in urls.values():
        template = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "template"})
        upgrade_schema(template)
    yield {"sqlite": folder / "template.db", "postgresql": urls.get("postgresql") and name}
    if admin:
        _admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_sql(admin_url, statement):
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


@pytest.fixture
def fresh_instance(tmp_path, migrated_template):
    """make(kind) -> a second Mostrador as on a new computer: its own instance folder and an empty database
    (SQLite, or PostgreSQL on the suite's server). migrated=False: not even a schema yet (a new database);
    migrated=True: the schema `make run` creates on first start."""
    made, databases = [], []
    server = os.environ.get("TEST_DATABASE_URL")

    def make(kind=None, migrated=False):
        kind = kind or ("postgresql" if server else "sqlite")
        folder = tmp_path / f"instance-{len(made)}"
        folder.mkdir()
        if kind == "sqlite":
            if migrated:
                shutil.copyfile(migrated_template["sqlite"], folder / "mostrador.db")
            url = f"sqlite:///{folder / 'mostrador.db'}"
        else:
            if not server:
                pytest.skip("needs TEST_DATABASE_URL (a PostgreSQL server)")
            name = f"mostrador_restore_{uuid.uuid4().hex[:12]}"
            admin = make_url(_normalise_database_url(server))
            template = f' TEMPLATE "{migrated_template["postgresql"]}"' if migrated else ""
            _admin_sql(admin, f'CREATE DATABASE "{name}"{template}')
            databases.append((admin, name))
            url = admin.set(database=name).render_as_string(hide_password=False)
        instance = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "fresh-instance",
                               "WTF_CSRF_ENABLED": False})
        instance.instance_path = str(folder)
        made.append(instance)
        return instance

    yield make
    for instance in made:
        with instance.app_context():
            db.engine.dispose()
    for admin, name in databases:
        _admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill_shop(app, instance_path, customers=12):
    """The demo shop plus one ticket photo on disk, as a shop would have after a few weeks."""
    from sales.demo import create_demo_staff, fill_demo_shop

    with app.test_request_context():
        staff = create_demo_staff("demo password 123")
        fill_demo_shop(staff[0], customers=customers)
        ticket = db.session.scalars(select(Ticket).order_by(Ticket.id)).first()
        folder = instance_path / "attachments"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "0123abcd.jpg").write_bytes(PHOTO)
        db.session.add(Attachment(ticket_id=ticket.id, stored_name="0123abcd.jpg", original_name="bike.jpg",
                                  content_type="image/jpeg", size=len(PHOTO)))
        db.session.commit()


def every_table(app):
    """{table: Counter of rows}, read through the models' own column types: what the shop's data *is*."""
    with app.app_context():
        with db.engine.connect() as connection:
            return {name: Counter(tuple(map(hashable, row)) for row in
                                  connection.execute(select(db.metadata.tables[name])))
                    for name in shop_table_names()}


def hashable(value):
    """A JSON column's dict or list as its canonical text, so rows can be counted."""
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


class CustomersArriving(threading.Thread):
    """A seller typing in new customers, one after another, while the backup runs."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stop, self.saved = app, threading.Event(), 0

    def run(self):
        with self.app.app_context():
            while not self.stop.is_set():
                db.session.add(Customer(name=f"Walk-in {self.saved}", email=f"walkin{self.saved}@example.com"))
                db.session.commit()
                self.saved += 1
                time.sleep(0.002)
            db.session.remove()


def test_a_backup_under_write_load_restores_every_table(app, fresh_instance, tmp_path):
    source_folder = tmp_path / "source"
    fill_shop(app, source_folder)
    before = every_table(app)
    writer = CustomersArriving(app)
    writer.start()
    while writer.saved < 3:
        time.sleep(0.01)
    with app.app_context():
        manifest = make_backup(tmp_path / "shop.zip", source_folder)
    saved_during = writer.saved
    writer.stop.set()
    writer.join()
    after = every_table(app)
    assert saved_during > 3, "the backup should have run while customers were being saved"

    target = fresh_instance(migrated=True)
    with target.app_context():
        report = restore_backup(tmp_path / "shop.zip", target.instance_path)
    restored = every_table(target)

    assert report.tables == len(shop_table_names())
    for name in shop_table_names():
        assert sum(restored[name].values()) == manifest["tables"][name]["rows"], name
        if before[name] == after[name]:
            assert restored[name] == before[name], f"{name} differs after the restore"
        else:
            # Written to while the backup ran: the restore holds a moment between the two readings.
            assert before[name] <= restored[name] <= after[name], name
    assert sum(restored["customers"].values()) > sum(before["customers"].values()), "load inside the snapshot"
    assert (tmp_path / target.instance_path / "attachments" / "0123abcd.jpg").read_bytes() == PHOTO


def test_a_sqlite_backup_restores_into_postgresql(fresh_instance, tmp_path):
    source = fresh_instance("sqlite", migrated=True)
    target = fresh_instance("postgresql")          # a brand-new database: the restore builds the schema
    fill_shop(source, tmp_path / "source")
    with source.app_context():
        make_backup(tmp_path / "shop.zip", tmp_path / "source")
    with target.app_context():
        restore_backup(tmp_path / "shop.zip", target.instance_path)
    assert every_table(target) == every_table(source)
    with target.app_context():
        # New records carry on after the restored ids instead of colliding with them.
        highest = db.session.scalar(select(db.func.max(Customer.id)))
        customer = Customer(name="First customer after the move")
        db.session.add(customer)
        db.session.commit()
        assert customer.id == highest + 1


def test_the_backup_holds_every_table_of_the_schema(app, tmp_path):
    with app.app_context():
        manifest = make_backup(tmp_path / "shop.zip", tmp_path)
        # The search index is rebuilt from the records after a restore, never copied.
        in_database = {n for n in inspect(db.engine).get_table_names() if not is_derived(n)} - {"alembic_version"}
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert set(manifest["tables"]) == in_database
    assert set(shop_table_names()) <= set(manifest["tables"]), "every table the models define is backed up"
    assert manifest["database"]["schema_revision"] == revision
    with zipfile.ZipFile(tmp_path / "shop.zip") as archive:
        names = set(archive.namelist())
    assert {entry["file"] for entry in manifest["tables"].values()} <= names
    assert "secret_key" not in names and manifest["secret_key"] is False


def test_the_secret_key_only_when_asked(app, runner, tmp_path, fresh_instance):
    plain, secret = tmp_path / "plain.zip", tmp_path / "secret.zip"
    assert runner.invoke(args=["backup", str(plain)]).exit_code == 0
    result = runner.invoke(args=["backup", "--with-secret", str(secret)])
    assert result.exit_code == 0, result.output
    assert "with the secret key" in result.output
    with zipfile.ZipFile(secret) as archive:
        assert archive.read("secret_key").decode() == app.config["SECRET_KEY"]
    with zipfile.ZipFile(plain) as archive:
        assert "secret_key" not in archive.namelist()
    target = fresh_instance(migrated=True)
    result = target.test_cli_runner().invoke(args=["restore", str(secret)])
    assert result.exit_code == 0, result.output
    key_file = tmp_path / target.instance_path / "secret_key"
    assert key_file.read_text() == app.config["SECRET_KEY"]
    assert key_file.stat().st_mode & 0o077 == 0


def test_restore_refuses_an_instance_with_data_unless_forced(app, runner, make_customer, tmp_path, fresh_instance):
    make_customer(name="In the backup")
    assert runner.invoke(args=["backup", str(tmp_path / "shop.zip")]).exit_code == 0
    target = fresh_instance(migrated=True)
    with target.app_context():
        db.session.add(Customer(name="Typed on the new computer"))
        db.session.commit()
    cli = target.test_cli_runner()
    result = cli.invoke(args=["restore", str(tmp_path / "shop.zip")])
    assert result.exit_code != 0
    assert "already holds" in result.output and "customers 1" in result.output and "--force" in result.output
    result = cli.invoke(args=["restore", "--force", str(tmp_path / "shop.zip")])
    assert result.exit_code == 0, result.output
    with target.app_context():
        assert db.session.scalars(select(Customer.name)).all() == ["In the backup"]


def _rewrite(source, target, change):
    """Copy a backup, letting `change(name, data)` alter each member's bytes."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info.filename)))


def test_a_damaged_backup_is_refused_before_anything_is_loaded(app, make_customer, tmp_path, fresh_instance):
    make_customer(name="Ana")
    with app.app_context():
        make_backup(tmp_path / "shop.zip", tmp_path)
    _rewrite(tmp_path / "shop.zip", tmp_path / "damaged.zip",
             lambda name, data: data.replace(b"Ana", b"Ane") if name == "data/customers.jsonl" else data)
    with pytest.raises(BackupError, match="data/customers.jsonl does not match its checksum"):
        verify_archive(tmp_path / "damaged.zip")
    (tmp_path / "truncated.zip").write_bytes((tmp_path / "shop.zip").read_bytes()[:-200])
    with pytest.raises(BackupError, match="not a readable backup"):
        verify_archive(tmp_path / "truncated.zip")
    (tmp_path / "other.zip").write_bytes((tmp_path / "shop.zip").read_bytes())
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("hello.txt", "not a backup")
    target = fresh_instance()
    result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "other.zip")])
    assert result.exit_code != 0 and "not a Mostrador backup" in result.output


def test_a_load_that_does_not_match_the_manifest_is_rolled_back(app, make_customer, tmp_path, fresh_instance):
    make_customer(name="Ana")
    make_customer(name="Bea")
    with app.app_context():
        make_backup(tmp_path / "shop.zip", tmp_path)

    def claim_three_customers(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["tables"]["customers"]["rows"] = 3
        return json.dumps(manifest)

    _rewrite(tmp_path / "shop.zip", tmp_path / "lying.zip", claim_three_customers)
    target = fresh_instance(migrated=True)
    with target.app_context():
        with pytest.raises(BackupError, match="gave 2 rows instead of the backup's 3"):
            restore_backup(tmp_path / "lying.zip", target.instance_path)
        assert db.session.scalars(select(Customer)).all() == []


def test_a_backup_from_an_older_schema_restores_and_upgrades(app, fresh_instance, tmp_path):
    """A backup made by the previous release (schema 0009 here) goes into an instance already at this version:
    the empty database is taken back to 0009, loaded, checked, and upgraded with the data in it."""
    from flask_migrate import upgrade

    from sales.backup.restore import MIGRATIONS

    old = fresh_instance()
    with old.app_context():
        upgrade(directory=MIGRATIONS, revision="0009")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, name, email, role, active, session_token, created_at, updated_at, version) "
                "VALUES (1, 'Olga', 'olga@shop.example', 'owner', true, 't', '2026-01-02 10:00:00', "
                "'2026-01-02 10:00:00', 1)"))
            connection.execute(text(
                "INSERT INTO customers (id, name, kind, created_at, updated_at, version, owner_id) "
                "VALUES (1, 'Ana García', 'person', '2026-01-02 10:00:00', '2026-01-02 10:00:00', 1, 1)"))
        make_backup(tmp_path / "old.zip", tmp_path)
    target = fresh_instance(migrated=True)
    with target.app_context():
        report = restore_backup(tmp_path / "old.zip", target.instance_path)
        assert report.manifest["database"]["schema_revision"] == "0009"
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert current == report.schema_to
        assert db.session.get(Customer, 1).name == "Ana García"
        assert db.session.get(User, 1).email == "olga@shop.example"


# --- Settings → Shop data -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["seller", "support"])
def test_only_the_owner_reaches_the_shop_data_page(client, make_user, role):
    from tests.conftest import login

    login(client, make_user(role))
    assert client.get("/settings/data/").status_code == 403
    assert client.post("/settings/data/backup").status_code == 403


def test_the_owner_downloads_a_backup_that_verifies(as_owner, make_customer, tmp_path):
    make_customer(name="Ana García")
    page = as_owner.get("/settings/data/")
    assert page.status_code == 200 and "Download a backup" in page.get_data(as_text=True)
    fragment = as_owner.get("/settings/data/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Download a backup" in fragment
    response = as_owner.post("/settings/data/backup")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment;" in response.headers["Content-Disposition"]
    (tmp_path / "download.zip").write_bytes(response.get_data())
    manifest = verify_archive(tmp_path / "download.zip")
    assert manifest["tables"]["customers"]["rows"] == 1 and manifest["secret_key"] is False


def test_the_backup_button_needs_the_csrf_token(as_owner, csrf_on):
    assert as_owner.post("/settings/data/backup").status_code == 400


def test_the_page_lists_scheduled_backups_and_warns_when_they_stop(app, as_owner, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    text_of_page = as_owner.get("/settings/data/").get_data(as_text=True)
    assert "No scheduled backup in the last two days" in text_of_page
    with app.app_context():
        make_backup(tmp_path / "backups" / "mostrador-2026-12-01-070000.zip", tmp_path)
    text_of_page = as_owner.get("/settings/data/").get_data(as_text=True)
    assert "No scheduled backup" not in text_of_page and "mostrador-2026-12-01-070000.zip" in text_of_page
    download = as_owner.get("/settings/data/backups/mostrador-2026-12-01-070000.zip")
    assert download.status_code == 200
    assert download.get_data() == (tmp_path / "backups" / "mostrador-2026-12-01-070000.zip").read_bytes()
    assert as_owner.get("/settings/data/backups/..%2Fsecret_key").status_code == 404
    assert as_owner.get("/settings/data/backups/nothing.zip").status_code == 404
