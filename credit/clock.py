"""Today's date for the domain: the calendar date in the bureau's time zone.

Tests and rehearsals may pin it with the ``CREDIT_TODAY`` setting (ISO date).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

BUREAU_TZ = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    pinned = current_app.config.get("CREDIT_TODAY") if has_app_context() else None
    if pinned:
        return pinned if isinstance(pinned, dt.date) else dt.date.fromisoformat(pinned)
    return dt.datetime.now(BUREAU_TZ).date()


def now() -> dt.datetime:
    """The current UTC time without tzinfo, as stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
