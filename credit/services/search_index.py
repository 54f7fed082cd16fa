"""The public search's full-text index: fill the ``search_terms`` column and rebuild the index.

Every write of a name or district stores ``search_terms`` (the model's events, the importer);
SQLite's FTS5 table ``enterprise_search`` follows the column by triggers and PostgreSQL's GIN
index follows it by itself. :func:`reindex` recomputes the column for every enterprise (the
search migration runs it on an existing archive; ``flask credit search reindex`` repeats it
after a change of the rules): set-based, in batches of ids, so it holds at 1,000,000 rows.
``docs/search.md`` describes the design.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from credit.names import search_document

#: SQLite's FTS5 table (external content: the documents are enterprises.search_terms).
FTS_TABLE = "enterprise_search"
#: Its prefix indexes: the pinyin mark (3 letters) and 1 to 6 letters of a syllable, so that a
#: partial last syllable is one doclist read in id order, not a merge of every syllable that
#: starts with it (credit.names.PINYIN).
FTS_PREFIXES = "4 5 6 7 8 9"
#: PostgreSQL's GIN index of the documents.
GIN_INDEX = "ix_enterprises_search_terms"
#: Its pending list, in kB (PostgreSQL's default is 4 MB). GIN adds new entries to an unsorted
#: list that every search reads whole, and merges the list into the index when it outgrows this
#: or a vacuum comes: at 4 MB (about 1,700 documents) a search through GIN read 400 pages of it,
#: 1.9 ms of the server's time (docs/search.md, The GIN pending list).
GIN_PENDING_LIST_KB = 64
GIN_INDEX_DDL = (f"CREATE INDEX {GIN_INDEX} ON enterprises USING gin (search_terms) "
                 f"WITH (gin_pending_list_limit = {GIN_PENDING_LIST_KB})")

_BATCH = 20_000

_enterprises = sa.table(
    "enterprises", sa.column("id", sa.Integer), sa.column("name", sa.Text),
    sa.column("name_pinyin", sa.Text), sa.column("name_initials", sa.Text),
    sa.column("district", sa.Text), sa.column("search_terms", sa.Text),
)


def _batches(connection: Connection, batch: int):
    e = _enterprises
    last = 0
    while True:
        rows = connection.execute(
            sa.select(e.c.id, e.c.name, e.c.name_pinyin, e.c.name_initials, e.c.district)
            .where(e.c.id > last).order_by(e.c.id).limit(batch)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _documents(rows, dialect: str) -> list[tuple[int, str]]:
    return [(r.id, search_document(r.name, r.name_pinyin, r.name_initials, r.district, dialect))
            for r in rows]


def fill(connection: Connection, *, batch: int = _BATCH,
         progress: Callable[[int], None] | None = None) -> int:
    """Write ``search_terms`` of every enterprise whose stored value is not the current one;
    returns how many rows were read.

    PostgreSQL: the documents are streamed (COPY) into a temporary table, then one UPDATE
    joins it (a hash join, one pass over enterprises). SQLite: one executemany a batch.
    """
    dialect = connection.dialect.name
    done = 0
    if dialect == "postgresql":
        connection.execute(sa.text("DROP TABLE IF EXISTS search_fill"))
        connection.execute(sa.text(
            "CREATE TEMP TABLE search_fill (id integer NOT NULL, terms tsvector)"))
    for rows in _batches(connection, batch):
        documents = _documents(rows, dialect)
        if dialect == "postgresql":
            cursor = connection.connection.dbapi_connection.cursor()
            try:
                with cursor.copy("COPY search_fill (id, terms) FROM STDIN") as copy:
                    for row in documents:
                        copy.write_row(row)
            finally:
                cursor.close()
        else:
            connection.execute(
                sa.text("UPDATE enterprises SET search_terms = :terms "
                        "WHERE id = :id AND search_terms IS NOT :terms"),
                [{"id": i, "terms": d} for i, d in documents])
        done += len(rows)
        if progress is not None:
            progress(done)
    if dialect == "postgresql":
        connection.execute(sa.text("ANALYZE search_fill"))
        connection.execute(sa.text(
            "UPDATE enterprises AS e SET search_terms = f.terms FROM search_fill AS f "
            "WHERE e.id = f.id AND e.search_terms IS DISTINCT FROM f.terms"))
        connection.execute(sa.text("DROP TABLE search_fill"))
    return done


def rewrite_postgresql_documents(connection: Connection) -> None:
    """PostgreSQL: every document written again by the current code, for a migration that adds
    terms to it (nothing elsewhere). The GIN index is dropped and built again in one go
    afterwards, and the rows are not updated as HOT updates (a passing index on the column), so
    that the new index is usable at once (no ``indcheckxmin``); then ``ANALYZE``. The old row
    versions stay as free space until ``VACUUM FULL`` (docs/search.md, Migrations)."""
    if connection.dialect.name != "postgresql":
        return
    for statement in (
        f"DROP INDEX IF EXISTS {GIN_INDEX}",
        "CREATE INDEX ix_enterprises_search_fill ON enterprises ((search_terms IS NULL))",
    ):
        connection.execute(sa.text(statement))
    fill(connection)
    for statement in (
        "DROP INDEX ix_enterprises_search_fill",
        "SET LOCAL maintenance_work_mem = '256MB'",
        GIN_INDEX_DDL,
        "ANALYZE enterprises",
    ):
        connection.execute(sa.text(statement))


def rebuild_fts(connection: Connection) -> None:
    """SQLite: rebuild the FTS5 table from ``enterprises.search_terms`` (no-op elsewhere)."""
    if connection.dialect.name == "sqlite":
        connection.execute(sa.text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))


#: Enterprises an import writes from which it merges the index afterwards (merge_index).
MERGE_AFTER = 10_000


def merge_index(connection: Connection) -> None:
    """Merge what bulk writes left aside in the full-text index, so that searches read the
    index alone: the demo archive, a large import, a reindex.

    SQLite: FTS5 writes each transaction's terms as a new segment and merges segments a few at
    a time, so an index written row by row holds several (8 for a 20,000-enterprise demo
    archive), and every term of a query is looked up in each of them: merged (FTS5's
    ``optimize``, which rewrites the whole index), a 2-character search's statement took a
    tenth fewer instructions.

    PostgreSQL: GIN's pending list (up to :data:`GIN_PENDING_LIST_KB`) moved into the index
    (``gin_clean_pending_list``). Only the index's owner may: for another role (a deployment
    that migrates as one role and serves as another) this does nothing, and the next vacuum
    does it.
    """
    if connection.dialect.name == "sqlite":
        connection.execute(sa.text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"))
    elif connection.dialect.name == "postgresql":
        connection.execute(sa.text(
            "SELECT gin_clean_pending_list(c.oid) FROM pg_class AS c "
            "WHERE c.oid = to_regclass(:index) AND pg_has_role(c.relowner, 'USAGE')"),
            {"index": GIN_INDEX})


def reindex(connection: Connection, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every stored document, then (SQLite) rebuild the FTS5 table, and merge the
    index (:func:`merge_index`). Idempotent."""
    done = fill(connection, progress=progress)
    rebuild_fts(connection)
    merge_index(connection)
    return done
