"""search: on PostgreSQL, each entry's words as a full-text vector (the 'simple' configuration over the folded
text, so accents and case still do not matter) with a GIN index, searched with prefix queries ('garcia:*')
instead of `LIKE '% garcia%'` over trigrams; the trigram index goes. SQLite's FTS5 index is unchanged.

Revision ID: 0046
Revises: 0043
Create Date: 2026-12-03 10:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0046'
down_revision = '0043'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # The body is already folded (unaccent, lower, every separator a space): 'simple' only splits it into words.
    # A generated column, so every write of the body (the app's write path, `flask search-reindex`, a restore)
    # keeps it current, and adding it fills it for the entries already there.
    op.execute("ALTER TABLE search_index ADD COLUMN words tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body)) STORED")
    op.execute("CREATE INDEX ix_search_index_words ON search_index USING gin (words)")
    op.execute("DROP INDEX ix_search_index_body")
    # One typed word as a prefix query, folded like the body: 'García' → 'garcia':*. A word the folding splits
    # ("foo_bar") must match as the phrase it was ('foo' <-> 'bar':*); one it empties matches nothing (NULL).
    op.execute("""
        CREATE FUNCTION search_prefix_query(text) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
        $$ SELECT to_tsquery('simple'::regconfig,
                             nullif(regexp_replace(btrim(search_fold($1)), ' +', ' <-> ', 'g'), '') || ':*') $$""")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION search_prefix_query(text)")
    op.execute("CREATE INDEX ix_search_index_body ON search_index USING gin (body gin_trgm_ops)")
    op.execute("DROP INDEX ix_search_index_words")
    op.execute("ALTER TABLE search_index DROP COLUMN words")
