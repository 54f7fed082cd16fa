"""How the staff backend finds enterprises and records: conditions that indexes can serve.

A term that looks like the start of a USCC matches by prefix (a range on the unique index); a
term of lowercase Latin letters matches the start of the name's pinyin initials (``jms`` finds
佳木斯...; ``name_initials``, kept by :mod:`credit.names`), and what the public search matches
for it (pinyin from a syllable, initials anywhere, the letters in the name); any other term of
2 characters or more matches the names that contain it as the public search does (ASCII
letters in any case, full-width as half-width), through the full-text index, and a single
character as a plain substring. The public site's ranked search is
:mod:`credit.services.search`; staff lists need a condition inside their own scoped, paged
query instead.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, false, func, literal_column, or_

from credit.extensions import db
from credit.models import Enterprise
from credit.services.search import full_text_condition, parse_query

_USCC_PREFIX = re.compile(r"[0-9A-HJ-NPQRTUWXY]{6,18}")
_INITIALS = re.compile(r"[a-z]+")


def prefix_range(column: Any, prefix: str) -> Any:
    """``column`` starts with ``prefix``, as a range an ordinary B-tree index can serve.

    PostgreSQL compares in byte order (``COLLATE "C"``): under a linguistic collation a range
    is not a prefix test.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        column = column.collate("C")
    return and_(column >= prefix, column < prefix + "\uffff")


def division_of(industry: Any) -> Any:
    """The industry division (``C13`` of ``C1311``) as SQL: the expression the index
    ``ix_enterprises_division`` is built on, so filters must use exactly this."""
    # Literal arguments: an index on an expression serves only the very same expression,
    # not one with bound parameters in it.
    return func.substr(industry, literal_column("1"), literal_column("3"))


def enterprise_condition(term: str) -> Any | None:
    """The WHERE condition for a search term, or None for a blank term.

    - 6 to 18 characters of the USCC alphabet with a digit: the USCCs starting with it;
    - lowercase Latin letters: the names whose pinyin initials start with them, and the
      public search's pinyin, initials and name matches;
    - anything else: the names containing it (the full-text index from 2 characters).
    """
    term = "".join(term.split())
    if not term:
        return None
    upper = term.upper()
    if _USCC_PREFIX.fullmatch(upper) and any(c.isdigit() for c in upper):
        return prefix_range(Enterprise.uscc, upper)
    if "\x00" in term:  # no name holds NUL (PostgreSQL cannot)
        return false()
    parsed = parse_query(term)
    indexed = parsed is not None
    if _INITIALS.fullmatch(term):
        return or_(prefix_range(Enterprise.name_initials, term), Enterprise.name == term,
                   *([full_text_condition(parsed)] if indexed else []))
    if indexed:
        return full_text_condition(parsed)
    return Enterprise.name.contains(term, autoescape=True)
