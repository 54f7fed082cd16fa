"""How the staff backend finds enterprises and records: conditions that indexes can serve.

A term that looks like the start of a USCC matches by prefix (a range on the unique index); a
term of lowercase Latin letters matches the start of the name's pinyin initials (``jms`` finds
佳木斯...; ``name_initials``, kept by :mod:`credit.names`); any other term matches as a
substring of the name. The public site's ranked search is :mod:`credit.services.search`; staff
lists need a condition inside their own scoped, paged query instead.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, func, literal_column, or_

from credit.extensions import db
from credit.models import Enterprise

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
    - lowercase Latin letters: the names whose pinyin initials start with them;
    - anything else: the names containing it.
    """
    term = "".join(term.split())
    if not term:
        return None
    upper = term.upper()
    if _USCC_PREFIX.fullmatch(upper) and any(c.isdigit() for c in upper):
        return prefix_range(Enterprise.uscc, upper)
    if _INITIALS.fullmatch(term):
        return or_(prefix_range(Enterprise.name_initials, term),
                   Enterprise.name == term)
    return Enterprise.name.contains(term, autoescape=True)
