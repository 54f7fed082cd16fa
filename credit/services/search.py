"""Public enterprise search: registration facts only, the same for every enterprise.

This module reads the ``enterprises`` table and nothing else: no grade, record, case,
application or listing is read, matched or used for ranking, so search cannot tell an A firm
from a D firm. ``docs/search.md`` describes the rules and the indexes behind them.

Rules (after NFKC, so full-width ``ＡＢ１`` reads as ``AB1``; ASCII whitespace is ignored):

- A query shorter than :data:`MIN_QUERY_LENGTH` characters gives an empty page.
- Any query matches the names that contain it (ASCII letters in any case).
- A query of Latin letters only also matches the name's pinyin without tones, from the start
  of one of its syllables (``hengtai``, ``HengTai Muye``, ``hengt`` for 恒泰; ü is typed ``v``),
  and the initials of its syllables anywhere (``htmy``).
- A query of :data:`MIN_USCC_PREFIX` to 18 characters of the USCC alphabet (any case) also
  matches the codes that start with it; a whole code finds its enterprise.
- ``%``, ``_``, quotes, backslashes, markup and full-text syntax (``"``, ``*``, ``NEAR``, ``:``,
  ``-``, ...) are plain characters.

Order: whole name, whole USCC, whole pinyin or whole initials first; then names starting with
the query; then pinyin, then initials starting with it; then USCCs starting with it; then every
other match. Within a tier: by the compared value, then by internal id (the order the archive
received them); the last tier by id. Only the first :data:`MAX_RESULTS` matches are served.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Integer,
    column,
    literal_column,
    select,
    table,
    text,
)

from credit.extensions import READER_SETTINGS, db, driver_connection, has_reader_settings
from credit.models import Enterprise
from credit.names import (
    DISTRICT,
    READING_SEPARATOR,
    escape_term,
    initials_terms,
    pinyin_phrases,
    plain_text,
    query_bigrams,
)
from credit.services.search_index import FTS_TABLE
from credit.uscc import ALPHABET, USCC_LENGTH, is_valid_uscc
from credit.vocabulary import DISTRICTS
from credit.workflows.errors import InvalidInput

MIN_QUERY_LENGTH = 2
MIN_USCC_PREFIX = 6
MAX_PER_PAGE = 100
#: Pages reach this many matches at most: refine the query to see others.
MAX_RESULTS = 2_000

_ASCII_WHITESPACE = str.maketrans("", "", " \t\n\r\f\v")
_LETTERS = re.compile(r"[a-z]+")
_USCC_CHARS = frozenset(ALPHABET)


@dataclass(frozen=True)
class PublicEnterprise:
    """The public registration facts of an enterprise."""

    uscc: str
    name: str
    district: str
    established_on: dt.date
    industry: str | None  # GB/T 4754-2017 code; credit.industries gives its name
    address: str | None


@dataclass(frozen=True)
class SearchPage:
    items: tuple[PublicEnterprise, ...]
    page: int
    per_page: int
    has_next: bool
    #: More than MAX_RESULTS matches, and this page is at or past the last one served.
    truncated: bool = False
    #: The items' internal ids, in the same order: for their listings
    #: (``disclosure.listings_of_found``), never shown.
    ids: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def by_id(self) -> dict[int, PublicEnterprise]:
        """The items by internal id (``disclosure.listings_of_found`` takes this)."""
        return dict(zip(self.ids, self.items, strict=True))


@dataclass(frozen=True)
class Query:
    """A query as the rules read it."""

    text: str  # NFKC, ASCII whitespace removed: compared with whole names and their starts
    plain: str  # and ASCII letters lowercased: what names must contain
    letters: str | None  # the plain text when it is only Latin letters: pinyin and initials
    uscc: str | None  # uppercased, when it can be the start of a USCC


def parse_query(query: str) -> Query | None:
    """Read a query, or None when it is too short to search."""
    text = unicodedata.normalize("NFKC", query or "").translate(_ASCII_WHITESPACE)
    if len(text) < MIN_QUERY_LENGTH:
        return None
    plain = plain_text(text)
    upper = text.upper()
    return Query(
        text=text,
        plain=plain,
        letters=plain if _LETTERS.fullmatch(plain) else None,
        uscc=upper if MIN_USCC_PREFIX <= len(upper) <= USCC_LENGTH
        and set(upper) <= _USCC_CHARS else None,
    )


_E = Enterprise.__table__
_COLUMNS = (_E.c.uscc, _E.c.name, _E.c.district, _E.c.established_on, _E.c.industry,
            _E.c.address)


def _check(district: str | None, page: int, per_page: int) -> None:
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise InvalidInput(f"page must be a whole number from 1, got {page!r}")
    if isinstance(per_page, bool) or not isinstance(per_page, int) \
            or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}, "
                           f"got {per_page!r}")
    if district and district not in DISTRICTS:
        raise InvalidInput(f"district must be one of {', '.join(DISTRICTS)}, got {district!r}")


def search_enterprises(query: str, *, district: str | None = None, page: int = 1,
                       per_page: int = 20) -> SearchPage:
    """One page of the enterprises the query matches, best first (rules in the module doc).

    ``district`` (one of the 11 jurisdictions; None or empty for all) narrows the search.
    Raises :class:`InvalidInput` for a page below 1, ``per_page`` outside 1..100 or an unknown
    district. There is no total count: ``has_next`` says whether another page follows, and
    ``truncated`` whether matches beyond :data:`MAX_RESULTS` exist that no page reaches (set
    on the last page, and on pages past it).
    """
    _check(district, page, per_page)
    parsed = parse_query(query)
    if parsed is None or "\x00" in parsed.text:  # no name holds NUL (PostgreSQL cannot)
        return SearchPage((), page, per_page, False)
    start = (page - 1) * per_page
    stop = min(start + per_page, MAX_RESULTS)
    # One match more than the page needs tells whether another page (or match) follows.
    found, ids, items = _page(parsed, district or None, start, stop)
    has_next = found > stop and stop < MAX_RESULTS
    truncated = found > MAX_RESULTS and stop >= MAX_RESULTS
    return SearchPage(items, page, per_page, has_next, truncated, ids)


def find_enterprise(uscc: str) -> PublicEnterprise | None:
    """The enterprise with exactly this USCC; None for an unknown or malformed code.

    On the driver's connection, as the search (:func:`_page`): through the Session, its
    transaction and SQLAlchemy's rows, this one-row read had cost a quarter of the enterprise
    page (docs/benchmarks.md)."""
    if not is_valid_uscc(uscc):
        return None
    raw, dialect = driver_connection()
    postgresql = dialect == "postgresql"
    row = raw.execute(_FIND_BY_USCC[postgresql], (uscc,)).fetchone()
    if row is None:
        return None
    uscc, name, district, established, industry, address = row
    return PublicEnterprise(uscc, name, district, established if postgresql
                            else dt.date.fromisoformat(established), industry, address)


_FIND_BY_USCC = {postgresql: f"SELECT {', '.join(c.name for c in _COLUMNS)} FROM enterprises "
                             f"WHERE uscc = {'%s' if postgresql else '?'}"
                 for postgresql in (False, True)}


# -- matching ---------------------------------------------------------------------------------
#
# Each tier is one ordered, limited index scan: B-tree ranges for the whole and prefix tiers,
# the full-text index (SQLite FTS5, PostgreSQL GIN) in id order for the rest. A page needs the
# first ``want`` matches; a tier's first ``want`` rows hold at least ``want - len(found)`` rows
# of no earlier tier, or it has no more, so no tier is read further than ``want`` rows, whatever
# the number of matches. All tiers go to the database as one statement (UNION ALL of the
# limited scans), which also ranks them and reads the page's rows (_page_sql).


def _successor(prefix: str) -> str | None:
    """The least string after every string that starts with ``prefix`` (code point order), or
    None when there is none."""
    while prefix:
        following = ord(prefix[-1]) + 1
        if 0xD800 <= following < 0xE000:  # surrogates are no characters
            following = 0xE000
        if following <= 0x10FFFF:
            return prefix[:-1] + chr(following)
        prefix = prefix[:-1]
    return None


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _fts5_query(q: Query, district: str | None) -> str:
    def phrase(terms: list[str], prefix: bool = False) -> str:
        return '"' + " ".join(escape_term(t) for t in terms) + '"' + (" *" if prefix else "")

    phrases = [phrase(query_bigrams(q.plain))]
    if q.letters is not None:
        phrases += [phrase([*syllables, tail], prefix=True)
                    for syllables, tail in pinyin_phrases(q.letters)]
        phrases.append(phrase(initials_terms(q.letters)))
    match = "(" + " OR ".join(phrases) + ")"
    if district:
        match += " AND " + phrase([DISTRICT + district])
    return match


def _tsquery_phrase(terms: list[str], prefix: bool = False) -> str:
    lexemes = [f"'{escape_term(t)}'" for t in terms]
    if prefix:
        lexemes[-1] += ":*"
    return "(" + " <-> ".join(lexemes) + ")"


def _tsquery(q: Query, district: str | None = None) -> str:
    phrases = [_tsquery_phrase(query_bigrams(q.plain))]
    if q.letters is not None:
        phrases += [_tsquery_phrase([*terms, last], prefix=True)
                    for terms, last in pinyin_phrases(q.letters, gin=True, district=district)]
        phrases.append(_tsquery_phrase(initials_terms(q.letters, gin=True)))
    match = "(" + " | ".join(phrases) + ")"
    return match + " & " + _tsquery_phrase([DISTRICT + district]) if district else match


def full_text_ids(q: Query, district: str | None = None) -> Any:
    """A SELECT of the ids of the enterprises whose name contains the query, or whose pinyin
    or initials do (a Latin query): the last tier's condition, and the staff search's.
    Ordered by id; served by the full-text index."""
    if _postgresql():
        # Inline, not a parameter: the planner then sees the lexemes and their frequencies
        # (a common one is read in id order and stops at the limit; a rare one through GIN),
        # and no generic plan of a prepared statement ever reads every match.
        tsquery = _sql_literal(_tsquery(q, district))
        return (select(_E.c.id)
                .where(_E.c.search_terms.op("@@")(text(f"{tsquery}::tsquery")))
                .order_by(_E.c.id))
    fts = table(FTS_TABLE, column("rowid", Integer))
    return (select(fts.c.rowid.label("id"))
            .where(literal_column(FTS_TABLE).op("MATCH")(_fts5_query(q, district)))
            .order_by(fts.c.rowid))


def full_text_condition(q: Query) -> Any:
    """A WHERE condition on enterprises for :func:`full_text_ids`, to narrow another query
    (the staff search) through the same index."""
    if _postgresql():
        return full_text_ids(q).whereclause
    return _E.c.id.in_(full_text_ids(q).order_by(None))


@functools.lru_cache(maxsize=64)
def _ranked_sql(postgresql: bool, letters: bool, uscc: bool, district: bool) -> str:
    """Every tier for one shape of query, as SQL text with ``:name`` parameters (written once:
    building it with the expression language on every search cost more than running it).

    Rows are (tier, key, id); each tier is one index scan, limited to ``:want`` rows in its
    order. PostgreSQL compares in the "C" collation (code point order, as Python and SQLite
    do; the search migration's indexes are built on it). The full-text query comes as
    ``:match`` on SQLite; PostgreSQL's tier 5 is added by :func:`_postgresql_statement`.
    """
    collate = ' COLLATE "C"' if postgresql else ""
    name, pinyin = f"name{collate}", f"replace(name_pinyin, ' ', ''){collate}"
    initials, code = f"name_initials{collate}", f"uscc{collate}"
    where_district = " AND district = :district" if district else ""

    def scan(tier: int, key: str, condition: str, order: str) -> str:
        if postgresql and tier == 0:
            # Every whole match (a handful: a name is registered once in its area): without
            # an order and a limit, no plan can walk the primary key looking for them, even a
            # generic plan that does not see the value (_postgresql_rows prepares it).
            return (f"SELECT 0 AS tier, '' AS k, id FROM enterprises "
                    f"WHERE {condition}{where_district}")
        return (f"SELECT * FROM (SELECT {tier} AS tier, {key} AS k, id FROM enterprises "
                f"WHERE {condition}{where_district} ORDER BY {order} LIMIT :want) AS t{tier}")

    def prefix(column: str, value: str) -> str:
        return f"{column} >= :{value} AND {column} < :{value}_end"

    # Tier 0, one scan per condition (each has its own index; an OR next to the district's
    # equality would let SQLite read the whole district): the whole name, the whole USCC, the
    # whole pinyin or initials of the first reading (the stored value up to the first "|").
    scans = [scan(0, "''", "name = :text", "id")]
    if uscc:
        scans.append(scan(0, "''", "uscc = :uscc", "id"))
    if letters:
        for column in (pinyin, initials):
            scans.append(scan(0, "''", f"{column} = :letters", "id"))
            scans.append(scan(0, "''", prefix(column, "reading"), "id"))
    # Tiers 1 to 4: the name, the pinyin, the initials, the USCC starting with the query.
    scans.append(scan(1, "name", prefix(name, "text"), f"{name}, id"))
    if letters:
        scans.append(scan(2, "replace(name_pinyin, ' ', '')", prefix(pinyin, "letters"),
                          f"{pinyin}, id"))
        scans.append(scan(3, "name_initials", prefix(initials, "letters"), f"{initials}, id"))
    if uscc:
        scans.append(scan(4, "uscc", prefix(code, "uscc"), f"{code}, id"))
    # Tier 5: every other match, from the full-text index in id order (the district is part of
    # the full-text query). PostgreSQL: see _postgresql_statement.
    if not postgresql:
        scans.append(f"SELECT * FROM (SELECT 5 AS tier, '' AS k, rowid AS id FROM {FTS_TABLE} "
                     f"WHERE {FTS_TABLE} MATCH :match ORDER BY rowid LIMIT :want) AS t5")
    return "\nUNION ALL ".join(scans)


def _page_sql() -> str:
    """PostgreSQL: the page of a search from the rows of its tiers (the CTE ``m`` before it):
    each enterprise in its best tier, in rank order (tier, key, id), numbered; the number of
    them; the registration facts and id of those numbered ``start + 1`` to ``stop``. One row with
    the number and no facts when the page is empty. (SQLite ranks in Python:
    :func:`_best_first`.)

    A tier's first ``want`` rows hold at least ``want - len(earlier)`` rows of no earlier
    tier, or the tier has no more: so the first ``want`` ranks are right, whatever the number
    of matches, and the page (``stop < want``) is among them.
    """
    columns = ", ".join(f"e.{c.name}" for c in _COLUMNS) + ", e.id"
    return (
        'best AS (SELECT tier, k, id, row_number() OVER (PARTITION BY id ORDER BY tier, '
        'k COLLATE "C") AS r FROM m), '
        'ranked AS (SELECT id, row_number() OVER (ORDER BY tier, k COLLATE "C", id) AS n '
        "FROM best WHERE r = 1)\n"
        f"SELECT f.total, {columns} FROM (SELECT count(*) AS total FROM ranked) AS f "
        "LEFT JOIN ranked ON ranked.n > :start AND ranked.n <= :stop "
        "LEFT JOIN enterprises AS e ON e.id = ranked.id ORDER BY ranked.n")


def _best_first(rows: list[tuple[int, str, int]], start: int, stop: int
                ) -> tuple[int, list[int]]:
    """SQLite: the number of enterprises among the tiers' rows (tier, key, id) and the ids of
    those ranked ``start + 1`` to ``stop``: each enterprise in its best tier, ranked by
    (tier, key, id). Python compares strings by code point, as the B-trees order them.

    The rows are a few dozen (``want`` a tier at most). Ranked in SQL, they went through
    half a dozen temporary tables (the tiers, the best of each enterprise, the numbering,
    two sorts), each a B-tree SQLite set up and cleared again: three quarters of the
    statement's instructions, for a page of 20.
    """
    best: dict[int, tuple[int, str, int]] = {}
    for row in rows:
        seen = best.get(row[2])
        if seen is None or row < seen:
            best[row[2]] = row
    ranked = sorted(best.values())
    return len(ranked), [row[2] for row in ranked[start:stop]]


_NAMED = re.compile(r":([a-z_]+)")


@functools.lru_cache(maxsize=64)
def _sqlite_statement(letters: bool, uscc: bool, district: bool
                      ) -> tuple[str, tuple[str, ...]]:
    """The rows (tier, key, id) of every tier of a search on SQLite, one statement, and the
    names of its values in order; :func:`_best_first` ranks them. Its parameters are
    numbered (``?1``): sqlite3 binds a value by number for a third of what a ``:name`` costs
    (it asks SQLite for each name and looks it up in the dict)."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"?{names.index(match[1]) + 1}"

    return _NAMED.sub(number, _ranked_sql(False, letters, uscc, district)), tuple(names)


@functools.lru_cache(maxsize=MAX_PER_PAGE + 1)
def _sqlite_facts(count: int) -> str:
    """The registration facts of ``count`` enterprises by id, the id first."""
    columns = ", ".join(c.name for c in _COLUMNS)
    return f"SELECT id, {columns} FROM enterprises WHERE id IN ({', '.join('?' * count)})"


#: PostgreSQL walks this many ids in order first (the district's, with a district).
WALK = 1_000
#: When that walk found a few matches but not a page (a term neither common nor rare), it
#: walks on, twice as far as the matches found promise a page, up to this many ids in all.
WALK_FURTHER = 20_000
#: ... provided it found at least this many: fewer promise too long a walk, and GIN is cheaper.
WALK_FURTHER_FROM = 3


@functools.lru_cache(maxsize=64)
def _postgresql_statement(letters: bool, uscc: bool, district: bool) -> str:
    """The page of a search on PostgreSQL, one statement for psycopg (``%(name)s``
    parameters): every tier, tier 5 included, and the page (:func:`_page_sql`).

    GIN cannot return matches in id order: it gives all of them, and reading a common term's
    posting list, or checking thousands of rows for a phrase, is the whole cost. The planner
    cannot tell how terms correlate either (``木斯`` is in every name of the city's districts
    and in none of the counties'). So tier 5 is three parts, each run only when the one
    before did not find a page:

    1. ``walked``: the first WALK ids (of the district: index (district, id)) read in order
       and matched one by one, up to a page (common terms stop early);
    2. ``walked_more``: when that found WALK_FURTHER_FROM matches or more but not a page, the
       walk again from the start, twice as far as those matches promise a page, at most
       WALK_FURTHER ids (terms of a few in a thousand: a walk of a few thousand ids costs
       less than GIN's thousands of matches);
    3. ``matched``: otherwise the matches are rare, and GIN gives all of them (the district a
       term of the same query), sorted by the database.

    The parts are gated by one-time filters on the counts before them, so a part not needed
    reads nothing. No plan depends on the values: every scan is the index that gives its
    order, the whole-match scans have no order to walk for, and GIN is the only way to read
    rare matches; so the statement is prepared once a connection and run with its generic
    plan (:func:`_postgresql_rows`), where planning it cost more than running it.
    """
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    def psycopg(sql: str) -> str:  # :name parameters as psycopg's %(name)s
        compiled = str(text(sql).compile(dialect=PGDialect_psycopg()))
        assert "%%" not in compiled.replace("%(", "")
        return compiled

    scope = " WHERE district = %(district)s" if district else ""

    def walk(limit: str) -> str:
        return (f"SELECT w.id FROM (SELECT id, search_terms FROM enterprises{scope} "
                f"ORDER BY id LIMIT {limit}) AS w "
                "WHERE w.search_terms @@ %(rest)s::tsquery ORDER BY w.id LIMIT %(want)s")

    further = (f"(SELECT CASE WHEN n >= %(want)s OR n < {WALK_FURTHER_FROM} THEN 0 "
               f"ELSE least({WALK_FURTHER}, {2 * WALK} * %(want)s / n) END FROM found)")
    matches = (
        f"WITH walked AS MATERIALIZED ({walk(str(WALK))}), "
        "found AS MATERIALIZED (SELECT count(*) AS n FROM walked), "
        f"walked_more AS MATERIALIZED ({walk(further)}), "
        "matched AS MATERIALIZED (SELECT id FROM enterprises "
        "WHERE search_terms @@ %(rest_district)s::tsquery "
        "AND (SELECT n FROM found) < %(want)s "
        "AND (SELECT count(*) FROM walked_more) < %(want)s), m AS (\n"
        + psycopg(_ranked_sql(True, letters, uscc, district))
        + "\nUNION ALL SELECT 5 AS tier, '' AS k, id FROM walked"
        "\nUNION ALL SELECT 5 AS tier, '' AS k, id FROM walked_more"
        "\nUNION ALL SELECT * FROM (SELECT 5 AS tier, '' AS k, id FROM matched "
        "ORDER BY id LIMIT %(want)s) AS t6), ")
    return matches + psycopg(_page_sql())


# The settings the search needs, for a statement on a connection shared with the rest of the
# app (credit.extensions.READER_SETTINGS says why each), and back to the session's values
# afterwards (reading them from pg_settings cost a millisecond a search).
_PLANNER_OFF = "SELECT " + ", ".join(f"set_config('{k}', '{v}', true)"
                                     for k, v in READER_SETTINGS.items())
_PLANNER_BACK = [f"SET LOCAL {k} TO DEFAULT" for k in READER_SETTINGS]


def _postgresql_rows(raw, statement: str, params: dict[str, Any]) -> list[tuple]:
    """Run the search statement with the planner settings it needs.

    A public read's connection was opened with them (credit.extensions.reader_engine): the
    statement alone. Any other connection gets them in a psycopg pipeline around the
    statement, one round trip: without a transaction the pipeline is one implicit
    transaction, which takes the settings with it when it ends; within one, they are set back
    before the pipeline ends.
    """
    if has_reader_settings(raw):
        return raw.execute(statement, params, prepare=True).fetchall()
    with raw.pipeline():
        raw.execute(_PLANNER_OFF)
        cursor = raw.execute(statement, params, prepare=True)
        if not raw.autocommit:
            for back in _PLANNER_BACK:
                raw.execute(back)
    return cursor.fetchall()


def _end(prefix: str) -> str:
    # A prefix of nothing but U+10FFFF has no successor: no name holds such a thing.
    return _successor(prefix) or prefix + "\U0010ffff" * 8


def _page(q: Query, district: str | None, start: int, stop: int
          ) -> tuple[int, tuple[int, ...], tuple[PublicEnterprise, ...]]:
    """The number of matches found (at least ``stop + 1`` when more than ``stop`` exist), and
    the ids and registration facts of those ranked ``start + 1`` to ``stop``: on PostgreSQL in one
    statement (one round trip); on SQLite the tiers' rows, ranked in Python, then the page's
    facts by id.

    It goes straight to the driver (``credit.extensions.driver_connection``): the statements
    are SQL text written once a shape of query, and SQLAlchemy's handling of a statement and
    its rows cost as much as SQLite's running it.
    """
    params: dict[str, Any] = {"want": stop + 1, "start": start, "stop": stop,
                              "text": q.text, "text_end": _end(q.text)}
    if district:
        params["district"] = district
    if q.letters is not None:
        reading = q.letters + READING_SEPARATOR
        params.update(letters=q.letters, letters_end=_end(q.letters), reading=reading,
                      reading_end=_end(reading))
    if q.uscc is not None:
        params.update(uscc=q.uscc, uscc_end=_end(q.uscc))
    shape = (q.letters is not None, q.uscc is not None, bool(district))
    raw, dialect = driver_connection()
    if dialect == "postgresql":
        # Written once without a district (72,000 instructions for a Latin query); with one,
        # GIN's query reads the pinyin pairs behind the district.
        rest = _tsquery(q)
        params.update(rest=rest, rest_district=_tsquery(q, district) if district else rest)
        rows = _postgresql_rows(raw, _postgresql_statement(*shape), params)
        return rows[0][0], tuple(row[-1] for row in rows if row[-1] is not None), tuple(
            PublicEnterprise(uscc, name, district_, established, industry, address)
            for _total, uscc, name, district_, established, industry, address, id_ in rows
            if id_ is not None)
    params["match"] = _fts5_query(q, district)
    sql, names = _sqlite_statement(*shape)
    found, ids = _best_first(raw.execute(sql, [params[name] for name in names]).fetchall(),
                             start, stop)
    if not ids:
        return found, (), ()
    facts = {row[0]: row for row in raw.execute(_sqlite_facts(len(ids)), ids).fetchall()}
    day = dt.date.fromisoformat  # SQLite keeps dates as ISO text
    # Without a transaction the two statements may see different moments: an enterprise
    # removed in between is left out, as a statement begun after it would have.
    rows = [facts[id_] for id_ in ids if id_ in facts]
    return found, tuple(row[0] for row in rows), tuple(
        PublicEnterprise(uscc, name, district_, day(established), industry, address)
        for _id, uscc, name, district_, established, industry, address in rows)


def _sql_literal(value: str) -> str:
    # The full-text query holds escaped terms only (credit.names.escape_term): no backslash,
    # and quotes only as the lexemes' own delimiters, doubled here.
    assert "\\" not in value
    return "'" + value.replace("'", "''") + "'"
