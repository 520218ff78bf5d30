"""The migrations round-trip on an empty database, whatever the head is: upgrade to head, no drift from the
models (what `flask db check` checks), downgrade to base leaving nothing behind, and upgrade again."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from config import _normalise_database_url
from extensions import db
from sales.search_index import TABLES as SEARCH_INDEX_TABLES, include_in_schema_check

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


@pytest.fixture
def empty_database(tmp_path):
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield "sqlite:///" + str(tmp_path / "empty.db")
        return
    url = make_url(_normalise_database_url(server))
    name = f"mostrador_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _on_columns(index):
    return all(isinstance(e, Column) for e in index.expressions)


def _drift(connection):
    """What `flask db check` reports: differences between the migrated schema and the models, leaving out what
    migrations/env.py leaves out (the search index, which no model describes)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                           "include_object": include_in_schema_check})
    differences = compare_metadata(context, db.metadata)
    if connection.dialect.name == "sqlite":
        # SQLite cannot reflect expression indexes (lower(email)): Alembic reports them as missing every time.
        # They are checked by name below instead.
        differences = [d for d in differences
                       if not (d[0] == "add_index" and not _on_columns(d[1]))]
    return differences


def _expression_indexes_missing(connection):
    wanted = {ix.name for table in db.metadata.tables.values() for ix in table.indexes
              if not _on_columns(ix)}
    if connection.dialect.name == "sqlite":
        present = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
    else:
        present = {ix["name"] for table in inspect(connection).get_table_names()
                   for ix in inspect(connection).get_indexes(table)}
    return sorted(wanted - present)


def _check_leaves_out_only_the_search_index(connection):
    """The check above skips the search index: it is there, and it is all that has no model."""
    tables = set(inspect(connection).get_table_names())
    assert "search_index" in tables
    assert tables - set(db.metadata.tables) - {"alembic_version"} <= SEARCH_INDEX_TABLES


def test_upgrade_check_downgrade_to_base_and_upgrade_again(empty_database):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "migrations"})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            assert _drift(connection) == []
            _check_leaves_out_only_the_search_index(connection)
            assert _expression_indexes_missing(connection) == []

        downgrade(directory=MIGRATIONS, revision="base")
        with db.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
            if connection.dialect.name == "sqlite":
                assert connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' "
                                               "AND name NOT LIKE 'sqlite_%'")).scalars().all() == []

        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            assert _drift(connection) == []
            _check_leaves_out_only_the_search_index(connection)
            assert _expression_indexes_missing(connection) == []
        db.engine.dispose()
