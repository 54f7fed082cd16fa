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
    """The current moment in UTC without tzinfo, as stored in the database.

    When "today" is pinned, it is the current time of day on the pinned date (in the bureau's
    time zone), so that every timestamp the domain writes agrees with its "today".
    """
    moment = dt.datetime.now(BUREAU_TZ)
    day = today()
    if day != moment.date():
        moment = dt.datetime.combine(day, moment.timetz())
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of a calendar day in the bureau's time zone, in UTC without tzinfo."""
    return dt.datetime.combine(day, dt.time(), BUREAU_TZ).astimezone(dt.UTC).replace(tzinfo=None)
