"""How the staff backend finds enterprises and records: conditions that indexes can serve.

A term that looks like the start of a USCC matches by prefix (a range on the unique index);
any term also matches as a substring of the name, and a term of Latin letters as the start of
the name's pinyin initials (``jms`` finds 佳木斯...; ``name_initials``, kept by
:mod:`credit.names`). The public site's ranked search is :mod:`credit.services.search`; staff
lists need a condition inside their own scoped, paged query instead.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, or_

from credit.models import Enterprise

_USCC_PREFIX = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2,18}")
_ASCII_WORD = re.compile(r"[a-z]+")


def prefix_range(column: Any, prefix: str) -> Any:
    """``column`` starts with ``prefix``, as a range an ordinary B-tree index can serve."""
    return and_(column >= prefix, column < prefix + "\uffff")


def enterprise_condition(term: str) -> Any | None:
    """The WHERE condition for one search term, or None for a blank term."""
    term = " ".join(term.split())
    if not term:
        return None
    options = [Enterprise.name.contains(term, autoescape=True)]
    upper = term.upper()
    if _USCC_PREFIX.fullmatch(upper):
        options.append(prefix_range(Enterprise.uscc, upper))
    lower = term.lower().replace(" ", "")
    if _ASCII_WORD.fullmatch(lower):
        options.append(prefix_range(Enterprise.name_initials, lower))
    return or_(*options)
