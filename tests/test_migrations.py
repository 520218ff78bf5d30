"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from extensions import db


def test_migrated_schema_matches_the_models(app):
    # The session's database was built by running the migrations (see conftest.app).
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = [d for d in compare_metadata(context, db.metadata)
                           # Expression indexes (lower(email)) cannot be reflected on SQLite.
                           if not (d[0] in ("add_index", "remove_index") and d[1].name.endswith("_lower"))
                           # The search index is no model: an FTS5 table (and its shadow tables) or its own.
                           and not getattr(getattr(d[1], "table", d[1]), "name", "").startswith("search_index")]
    assert differences == []


def test_case_insensitive_email_index_exists(app):
    with app.app_context():
        names = {ix["name"] for ix in inspect(db.engine).get_indexes("users")}
        if db.engine.dialect.name == "postgresql":
            assert "uq_users_email_lower" in names
        else:
            from sqlalchemy import text
            with db.engine.connect() as c:
                sql = c.execute(text("SELECT sql FROM sqlite_master WHERE name='uq_users_email_lower'")).scalar()
            assert "lower(email)" in sql and "UNIQUE" in sql


def test_email_uniqueness_ignores_case_in_the_database(app, make_user):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from models import User

    make_user(email="ana@shop.example")
    with app.app_context():
        # The model lower-cases emails; bypass it to prove the database itself refuses the twin.
        with pytest.raises(IntegrityError):
            db.session.execute(User.__table__.insert().values(
                name="Raw", email="Ana@Shop.Example", role="seller", active=True, session_token="t",
                created_at=db.func.now(), updated_at=db.func.now(), version=1))
        db.session.rollback()
