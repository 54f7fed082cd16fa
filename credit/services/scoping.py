"""Scope staff queries to the user's jurisdiction: one helper for every list, search and export."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import false

from credit.models import User
from credit.permissions import is_active_staff

Q = TypeVar("Q")


def scope_to_jurisdiction(query: Q, user: User | None, district_column: Any) -> Q:
    """Filter a ``select()`` to rows in the user's jurisdiction.

    Whole-city staff: unchanged. District staff: ``district_column == jurisdiction``. Anyone
    else (anonymous, inactive, enterprise accounts): a filter that matches nothing.
    Role checks (who may read internal data at all) stay with :mod:`credit.permissions`.
    """
    if not is_active_staff(user):
        return query.where(false())
    if user.jurisdiction is None:
        return query
    return query.where(district_column == user.jurisdiction)
