"""search: one accent- and case-blind index of customers, leads, quotes, orders, tickets and products
(SQLite FTS5 with remove_diacritics; PostgreSQL unaccent + pg_trgm), built here for the records already there

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 01:05:00

"""
from alembic import op

from sales.search_index import rebuild

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # unaccent() is only STABLE (its dictionary could change); pinned to one dictionary it can be indexed.
        op.execute("""
            CREATE FUNCTION search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
            $$ SELECT regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, $1)),
                                     '[^[:alnum:]]+', ' ', 'g') $$""")
        op.execute("CREATE TABLE search_index (key bigint PRIMARY KEY, body text NOT NULL)")
        op.execute("CREATE INDEX ix_search_index_body ON search_index USING gin (body gin_trgm_ops)")
    else:
        op.execute("CREATE VIRTUAL TABLE search_index USING fts5(body, "
                   "tokenize = 'unicode61 remove_diacritics 2')")
    rebuild(connection)


def downgrade():
    op.execute("DROP TABLE search_index")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION search_fold(text)")
