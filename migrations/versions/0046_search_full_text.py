"""search: on PostgreSQL, each entry's words as a full-text vector with a GIN index, searched with prefix queries
('1:garcia':*) instead of `LIKE '% garcia%'` over trigrams; the trigram index goes. SQLite's FTS5 index is
unchanged.

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

# The words of a body, which is already folded (unaccent, lower, every separator a space: what the 'simple'
# configuration would make of it), each tagged with its kind's code ('1:garcia' for a customer), so a kind's
# search reads only that kind's words in the GIN index, and ANALYZE counts each word per kind: the planner then
# knows "garcia" is in 9 % of the customers and in no lead (untagged, it walked all 100 000 leads looking for
# one). Words too long for a vector (2 047 bytes) are left out rather than failing the write.
SEARCH_WORDS = r"""
CREATE FUNCTION search_words(bigint, text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
$$ SELECT array_to_tsvector(ARRAY(SELECT ($1 >> 40) || ':' || word
                                  FROM regexp_split_to_table(btrim($2), ' +') AS word
                                  WHERE word <> '' AND octet_length(word) < 2000)) $$"""

# What a typed word finds in a kind: every word it folds to, as a prefix ('García' → '1:garcia':*); NULL (nothing)
# when it folds to none. Folded words are letters and digits only: nothing in them to escape.
SEARCH_PREFIX_QUERY = r"""
CREATE FUNCTION search_prefix_query(bigint, text) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
$$ SELECT string_agg('''' || $1 || ':' || word || ''':*', ' & ')::tsquery
   FROM regexp_split_to_table(btrim(search_fold($2)), ' +') AS word WHERE word <> '' $$"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(SEARCH_WORDS)
    op.execute(SEARCH_PREFIX_QUERY)
    # Generated, so every write of the body (the app's write path, `flask search-reindex`, a restore) keeps it
    # current, and adding it fills it for the entries already there.
    op.execute("ALTER TABLE search_index ADD COLUMN words tsvector "
               "GENERATED ALWAYS AS (search_words(key, body)) STORED")
    # fastupdate off: a search never reads through a pending list of recent entries (with it on, a list of
    # 19 000 after a rebuild made a name search 25 → 140 ms until the next vacuum); writes are one record at a time.
    op.execute("CREATE INDEX ix_search_index_words ON search_index USING gin (words) WITH (fastupdate = off)")
    op.execute("DROP INDEX ix_search_index_body")
    op.execute("ANALYZE search_index")   # the words' counts per kind, which the plans depend on


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_search_index_body ON search_index USING gin (body gin_trgm_ops)")
    op.execute("ALTER TABLE search_index DROP COLUMN words")   # and its index
    op.execute("DROP FUNCTION search_prefix_query(bigint, text)")
    op.execute("DROP FUNCTION search_words(bigint, text)")
