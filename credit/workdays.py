"""Chinese working days (工作日): statutory holidays and adjusted weekend working days.

Holiday data comes from the ``chinese_calendar`` package (pip: chinesecalendar), which knows only
the years published when it was released. For other years Monday to Friday count as working
days, and the log says so once per year.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)

_warned_years: set[int] = set()
"""Years already reported as falling back to Monday-Friday."""


@functools.cache
def covered(year: int) -> bool:
    """Whether ``chinese_calendar`` has the holiday arrangements of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(d: date) -> bool:
    """Whether ``d`` is a working day: Monday-Friday unless a holiday, or an adjusted weekend."""
    if covered(d.year):
        return chinese_calendar.is_workday(d)
    if d.year not in _warned_years:
        _warned_years.add(d.year)
        log.warning(
            "no Chinese holiday data for %d (chinesecalendar %s): "
            "counting Monday to Friday as working days",
            d.year,
            chinese_calendar.__version__,
        )
    return d.weekday() < 5


def add_workdays(start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself never counts; n >= 1)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    day = start
    while n:
        day += _ONE_DAY
        if is_workday(day):
            n -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """The number of working days in (start, end]; 0 when ``end`` is not after ``start``."""
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        count += is_workday(day)
        day += _ONE_DAY
    return count
