"""The search index: one accent- and case-blind search for customers, leads, quotes, orders, tickets and products.

Every record that can be searched has one entry: its key (the kind's code × 2⁴⁰ + the record's id, so one kind
is a key range) and its text. `matching(kind, text)` is THE search: a select of the ids of one kind whose words
start with every word typed ("garc lop" finds "García López"); the global search and the customer, lead and
ticket lists all use it.

- SQLite: an FTS5 table with the unicode61 tokenizer and `remove_diacritics 2` ("dominguez" = "Domínguez").
- PostgreSQL: a table whose text is stored folded by `unaccent` and lower(), word separators made spaces, and its
  words as a full-text vector generated from that text, each word tagged with its kind ('1:garcia'), with a GIN
  index; a word prefix in a kind is the tsquery '1:garc':* (migration 0046; before it, `LIKE '% garc%'` over
  pg_trgm).

Kept current by the write path: after every flush, new and changed records get their entry rewritten and
deleted ones lose it (`register`). Migration 0024 builds the index for the records already there; the command
`flask search-reindex` rebuilds it.
"""
import re
import unicodedata

from sqlalchemy import BigInteger, String, and_, bindparam, cast, column, event, func, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import TSQUERY

from extensions import db

SHIFT = 2 ** 40
KIND_CODES = {"customer": 1, "lead": 2, "quote": 3, "order": 4, "ticket": 5, "product": 6}
_WORD = re.compile(r"\w+", re.UNICODE)
_PHONE_LIKE = re.compile(r"^[\d\s+()./-]+$")


# --- What each record is found by ---------------------------------------------------------------------------

def _join(*parts):
    return " ".join(str(part) for part in parts if part)


def _custom_text(custom):
    # The owner's own fields (a sector, a fleet size) find the record like its own fields; yes/no values would
    # only make "yes" find everything.
    return _join(*(value for value in (custom or {}).values() if value not in ("yes", "no")))


def customer_text(c):
    return _join(c.name, c.contact_person, c.email, c.phone_digits, c.city, c.tax_id, _custom_text(c.custom))


def lead_text(lead):
    return _join(lead.title, _custom_text(lead.custom))


def quote_text(quote):
    return _join(quote.number)


def order_text(order):
    return _join(order.number)


def ticket_text(ticket):
    # "T-00042" (Ticket.number) is found as typed and as 42.
    return _join(f"T-{ticket.id:05d}", ticket.id, ticket.title, ticket.serial_number)


def product_text(product):
    return _join(product.code, product.name, product.category)


def _indexed_models():
    from models import Customer, Lead, Order, Product, Quote, Ticket

    return {Customer: ("customer", customer_text), Lead: ("lead", lead_text), Quote: ("quote", quote_text),
            Order: ("order", order_text), Ticket: ("ticket", ticket_text), Product: ("product", product_text)}


# The columns each text is made of: what a rebuild reads (only these, so it works at any later schema too).
COLUMNS = {"customer": ("name", "contact_person", "email", "phone_digits", "city", "tax_id", "custom"),
           "lead": ("title", "custom"), "quote": ("number",), "order": ("number",),
           "ticket": ("title", "serial_number"), "product": ("code", "name", "category")}


def key_of(kind, record_id):
    return KIND_CODES[kind] * SHIFT + record_id


def _bounds(kind):
    return KIND_CODES[kind] * SHIFT, (KIND_CODES[kind] + 1) * SHIFT


# --- Its tables, which no model describes ------------------------------------------------------------------

# The index's table, and the shadow tables SQLite's FTS5 keeps beside it (PostgreSQL has only the first).
TABLES = {"search_index"} | {f"search_index_{part}" for part in ("data", "idx", "content", "docsize", "config")}


def include_in_schema_check(obj, name, type_, reflected, compare_to):
    """Alembic's include_object: leave the search index out of autogenerate and `flask db check` (migration 0024
    makes it by hand, in each database's own way), and nothing else."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in TABLES


# --- Writing entries ----------------------------------------------------------------------------------------

def _is_postgresql(connection):
    return connection.dialect.name == "postgresql"


def write_entries(connection, entries):
    """Set the text of [(key, text)] entries, replacing what they had."""
    if not entries:
        return
    rows = [{"key": key, "body": body} for key, body in entries]
    if _is_postgresql(connection):
        connection.execute(text(
            "INSERT INTO search_index (key, body) VALUES (:key, ' ' || search_fold(:body)) "
            "ON CONFLICT (key) DO UPDATE SET body = excluded.body"), rows)
    else:
        connection.execute(text("DELETE FROM search_index WHERE rowid = :key"), rows)
        connection.execute(text("INSERT INTO search_index (rowid, body) VALUES (:key, :body)"), rows)


def delete_entries(connection, keys):
    if keys:
        column = "key" if _is_postgresql(connection) else "rowid"
        connection.execute(text(f"DELETE FROM search_index WHERE {column} = :key"), [{"key": k} for k in keys])


def _after_flush(session, _context):
    models = _indexed_models()
    changed, removed = {}, set()
    for obj in list(session.new) + list(session.dirty):
        found = models.get(type(obj))
        if found and obj.id is not None and obj not in session.deleted:
            kind, text_of = found
            changed[key_of(kind, obj.id)] = text_of(obj)
    for obj in session.deleted:
        found = models.get(type(obj))
        if found and obj.id is not None:
            removed.add(key_of(found[0], obj.id))
    if changed or removed:
        connection = session.connection()
        delete_entries(connection, sorted(removed))
        write_entries(connection, sorted(changed.items()))


def register(app):
    """Keep the index current from the write path, and add `flask search-reindex`."""
    if not event.contains(db.session, "after_flush", _after_flush):   # several apps in one process (tests)
        event.listen(db.session, "after_flush", _after_flush)

    @app.cli.command("search-reindex")
    def reindex_command():
        """Rebuild the search index from the records (after restoring a backup made by hand, say)."""
        with db.engine.begin() as connection:
            count = rebuild(connection)
        print(f"{count} records indexed.")


def rebuild(connection, batch=5000):
    """Empty the index and index every record again, in batches (used by migration 0014 and the command)."""
    connection.execute(text("DELETE FROM search_index"))
    count = 0
    for model, (kind, text_of) in _indexed_models().items():
        columns = [model.__table__.c.id] + [model.__table__.c[name] for name in COLUMNS[kind]]
        last_id = 0
        while True:
            rows = connection.execute(select(*columns).where(model.__table__.c.id > last_id)
                                      .order_by(model.__table__.c.id).limit(batch)).all()
            if not rows:
                break
            write_entries(connection, [(key_of(kind, row.id), text_of(row)) for row in rows])
            count += len(rows)
            last_id = rows[-1].id
    return count


# --- Searching ----------------------------------------------------------------------------------------------

# No word anyone searches for is longer, and nobody types more words into a search box: PostgreSQL refuses a
# tsquery word over 2 047 bytes, and a query of thousands of words is a statement nested thousands deep. Past
# these, the words are cut (the search finds at least what the whole text would have).
_LONGEST_WORD = 100
_MOST_WORDS = 16


def words_of(typed):
    return [word[:_LONGEST_WORD] for word in _WORD.findall((typed or "").strip())[:_MOST_WORDS]]


def _digits_term(typed):
    """A phone or a number typed with spaces or dashes ("+34 91 149", "2026-0001") is also one run of digits."""
    from sales.phones import digits_to_search

    if typed and _PHONE_LIKE.match(typed.strip()) and len(words_of(typed)) > 1:
        return digits_to_search(typed)[:_LONGEST_WORD]
    return None


def _fts_query(typed):
    def all_words(words):
        return " AND ".join('"' + word.replace('"', '') + '"*' for word in words)

    words = words_of(typed)
    query = f"({all_words(words)})"
    digits = _digits_term(typed)
    return f"{query} OR ({all_words([digits])})" if digits else query


def matching(kind, typed, limit=None, with_key=False):
    """A select of the ids of `kind` ("customer", "lead"…) whose words start with every word typed, accents
    and case aside ("garc lop" finds "García López"); a phone or number typed in pieces ("+34 91 149") is also
    looked for as one run of digits. None when nothing searchable was typed. `with_key` adds the entry's key
    (see newest_first)."""
    words = words_of(typed)
    if not words:
        return None
    low, high = _bounds(kind)
    # The kind's key range is a constant of the statement (see _postgresql_condition: no generic plan).
    low, high = literal_column(str(int(low))), literal_column(str(int(high)))
    if db.engine.dialect.name == "postgresql":
        # Newest first by the key itself: PostgreSQL knows how common each word is (ANALYZE counts the vectors'
        # words), so for a word in half the leads it walks the primary key backwards and stops after eight, and
        # for a rare one it takes the GIN index's few matches and sorts them.
        key, condition = literal_column("search_index.key"), _postgresql_condition(kind, typed, words)
    else:
        # FTS5 hands entries over in rowid order: ORDER BY rowid DESC LIMIT n stops after n.
        key, condition = (literal_column("search_index.rowid"),
                          literal_column("search_index").op("MATCH")(_fts_query(typed)))
    statement = select((key - low).label("record_id")).select_from(text("search_index")).where(condition)
    if with_key or db.engine.dialect.name != "postgresql":
        # On PostgreSQL the tagged words already keep to the kind, and the range is only the walk's bounds: given
        # it without an order, the planner may walk the kind's range testing every entry (80 ms for "garcia")
        # rather than take the GIN index's matches (under 20).
        statement = statement.where(key >= low, key < high)
    if with_key:
        statement = statement.add_columns(key.label("key"))
    return statement.limit(limit) if limit else statement


def newest_first(kind, typed):
    """matching() as a subquery to join the records to (`record_id`), ordered newest first by `key` descending
    (the same order as record_id, the index's own).

    Joined rather than `id IN (…)`: the index hands its entries over in key order (SQLite's FTS5 always,
    PostgreSQL's primary key walked backwards for a common word), so `ORDER BY key DESC LIMIT 8` reads eight and
    stops, where an IN list first collects every match (50 000 leads for "bici").
    None when nothing searchable was typed."""
    statement = matching(kind, typed, with_key=True)
    return statement.subquery(f"matched_{kind}s") if statement is not None else None


# The index's table as a FROM that can be correlated with the records' (PostgreSQL's columns).
_ENTRIES = table("search_index", column("key", BigInteger))


def record_matches(kind, typed, id_column):
    """SQL condition: the record of `kind` whose id is `id_column` matches what was typed (as matching()). None
    when nothing searchable was typed.

    On PostgreSQL, a correlated EXISTS on the entry's key: the planner may then walk the records in the order
    the page wants, checking each one's entry by its key (a common word: "garcia" is found among the newest
    quotes after reading 66), or take the GIN index's few matches for a rare one — where `IN (matching())`
    always reads every match first (8 700 customers for "garcia": 20 ms). On SQLite, `IN (matching())`: FTS5
    hands its matches over as one list, and a lookup per record would run the full-text query per record."""
    words = words_of(typed)
    if not words:
        return None
    if db.engine.dialect.name != "postgresql":
        return id_column.in_(matching(kind, typed))
    low = literal_column(str(int(_bounds(kind)[0])))
    return (select(literal_column("1")).select_from(_ENTRIES)
            .where(_ENTRIES.c.key == id_column + low, _postgresql_condition(kind, typed, words)).exists())


_PLAIN_WORD = re.compile(r"[a-z0-9]+")


def folded_here(word):
    """The word as PostgreSQL's search_fold() folds it (unaccent, lower), when that is certain without asking
    it: a word of ASCII letters and digits, or of Latin letters whose accents come off as combining marks (é, ñ,
    ü: what unaccent's rules do too). None for anything else (ß, ø, other scripts, several words), which the
    database folds itself."""
    plain = "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch)).lower()
    return plain if _PLAIN_WORD.fullmatch(plain) else None


# Typed words shorter than this are looked up in the GIN index only when nothing longer was typed: "3" or "34" is
# the start of tens of thousands of phone numbers, and merging their entries cost 40 ms ("+34 612 3"). Outside a
# phone a two-character word is looked up like a long one: in "cliente 12" it is "12" that narrows the search
# (499 of 50 000 customers; checking it on every "cliente" instead cost 17 ms).
_SHORTEST_LOOKED_UP = 3
_SHORTEST_LOOKED_UP_BESIDE_LETTERS = 2


def _postgresql_condition(kind, typed, words):
    """The entry's words hold a word starting with every word typed (or the digits typed in pieces): a tsquery
    over the kind's words, '1:garc':* & '1:lop':* (see search_prefix_query, migration 0046)."""
    code = literal_column(str(KIND_CODES[kind]))
    words_column = literal_column("search_index.words")

    def word_prefix(word):
        # The word is written into the statement, not bound: psycopg prepares a statement run five times and
        # PostgreSQL then plans it once for any value, and a plan that cannot see the query cannot tell a word
        # in half the leads (walk the newest, stop after eight) from a rare one (take the index's matches).
        folded = folded_here(word)
        if folded is not None:
            # The query itself, as search_prefix_query() would make it: planning that function call costs
            # ~0.2 ms each (unaccent and a regular expression run at plan time), and a search has up to 16.
            return cast(bindparam(None, f"'{KIND_CODES[kind]}:{folded}':*", type_=String(), literal_execute=True),
                        TSQUERY)
        return func.search_prefix_query(code, bindparam(None, word, type_=String(), literal_execute=True))

    def query_of(some_words):
        query = word_prefix(some_words[0])
        for word in some_words[1:]:
            query = query.op("&&")(word_prefix(word))
        digits = _digits_term(typed)
        return query.op("||")(word_prefix(digits)) if digits else query

    full = query_of(words)
    shortest = _SHORTEST_LOOKED_UP if _PHONE_LIKE.match(typed.strip()) else _SHORTEST_LOOKED_UP_BESIDE_LETTERS
    long_words = [word for word in words if len(word) >= shortest]
    if not long_words or len(long_words) == len(words):
        return words_column.op("@@")(full)
    # The index finds the entries with the long words; the short ones are checked on those few (ts_match_vq is
    # @@ spelled as a function, which the planner does not take to the index).
    return and_(words_column.op("@@")(query_of(long_words)), func.ts_match_vq(words_column, full))
