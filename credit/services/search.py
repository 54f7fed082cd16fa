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
- ``%``, ``_``, quotes, backslashes and markup are plain characters.

Order: whole name, whole USCC, whole pinyin or whole initials first; then names starting with
the query; then pinyin, then initials starting with it; then USCCs starting with it; then every
other match. Within a tier: by the compared value, then by internal id (the order the archive
received them); the last tier by id. Only the first :data:`MAX_RESULTS` matches are served.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from credit.extensions import db
from credit.models import Enterprise
from credit.names import compact, plain_text, segmentations
from credit.uscc import ALPHABET, USCC_LENGTH, is_valid_uscc
from credit.vocabulary import DISTRICTS
from credit.workflows.errors import InvalidInput

MIN_QUERY_LENGTH = 2
MIN_USCC_PREFIX = 6
MAX_PER_PAGE = 100
#: Pages reach this many matches at most: refine the query to see others.
MAX_RESULTS = 10_000

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


_COLUMNS = (Enterprise.uscc, Enterprise.name, Enterprise.district, Enterprise.established_on,
            Enterprise.industry, Enterprise.address)


def _public(row) -> PublicEnterprise:
    return PublicEnterprise(uscc=row.uscc, name=row.name, district=row.district,
                            established_on=row.established_on, industry=row.industry,
                            address=row.address)


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
    district. There is no total count: ``has_next`` says whether another page follows.
    """
    _check(district, page, per_page)
    parsed = parse_query(query)
    start = (page - 1) * per_page
    if parsed is None or start >= MAX_RESULTS:
        return SearchPage((), page, per_page, False)
    stop = min(start + per_page, MAX_RESULTS)
    ids = _matching_ids(parsed, district or None, start, stop - start + 1)
    has_next = len(ids) > stop - start and stop < MAX_RESULTS
    ids = ids[:stop - start]
    rows = {row.id: row for row in db.session.execute(
        select(Enterprise.id, *_COLUMNS).where(Enterprise.id.in_(ids)))} if ids else {}
    return SearchPage(tuple(_public(rows[i]) for i in ids), page, per_page, has_next)


def find_enterprise(uscc: str) -> PublicEnterprise | None:
    """The enterprise with exactly this USCC; None for an unknown or malformed code."""
    if not is_valid_uscc(uscc):
        return None
    row = db.session.execute(select(*_COLUMNS).where(Enterprise.uscc == uscc)).first()
    return _public(row) if row else None


# -- matching ---------------------------------------------------------------------------------


def _pinyin_contains(units: list[str], letters: str) -> bool:
    for syllables, tail in segmentations(letters):
        k = len(syllables)
        for i in range(len(units) - k):
            if tuple(units[i:i + k]) == syllables and units[i + k].startswith(tail):
                return True
    return False


def _rank(q: Query, row) -> tuple | None:
    """The row's place in the order, or None when the query does not match it."""
    pinyin_key = row.name_pinyin.replace(" ", "")
    initials_first = row.name_initials.split("|", 1)[0]
    if (row.name == q.text or (q.uscc is not None and row.uscc == q.uscc)
            or (q.letters is not None
                and q.letters in (compact(row.name_pinyin), initials_first))):
        return (0, "", row.id)
    if row.name.startswith(q.text):
        return (1, row.name, row.id)
    if q.letters is not None and compact(row.name_pinyin).startswith(q.letters):
        return (2, pinyin_key, row.id)
    if q.letters is not None and initials_first.startswith(q.letters):
        return (3, row.name_initials, row.id)
    if q.uscc is not None and row.uscc.startswith(q.uscc):
        return (4, row.uscc, row.id)
    if q.plain in plain_text(row.name):
        return (5, "", row.id)
    if q.letters is not None:
        if any(_pinyin_contains(r.split(), q.letters) for r in row.name_pinyin.split("|")):
            return (5, "", row.id)
        if any(q.letters in initials for initials in row.name_initials.split("|")):
            return (5, "", row.id)
    return None


def _matching_ids(q: Query, district: str | None, offset: int, limit: int) -> list[int]:
    # A first, plain version: every name is compared in Python.
    stmt = select(Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.name_pinyin,
                  Enterprise.name_initials)
    if district:
        stmt = stmt.where(Enterprise.district == district)
    ranked = sorted((key, row.id) for row in db.session.execute(stmt)
                    if (key := _rank(q, row)) is not None)
    return [i for _, i in ranked[offset:offset + limit]]
