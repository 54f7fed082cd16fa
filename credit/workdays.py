"""Chinese working days (工作日): the one place where every deadline is counted.

The calendar is data in the database (``calendar_years``, ``calendar_days``), seeded from the
libraries and corrected by the city administrator (``credit.services.calendar``). A year the
database does not hold counts exactly as seeding would store it
(``credit.calendar_rules.default_arrangement``), so an empty table is safe.

- A confirmed year: Monday to Friday, less its days off, plus its weekend days worked.
- A year not confirmed counts conservatively: Monday to Friday, less its stored days off and
  every day its arrangement could plausibly give off (``calendar_rules.plausible_days_off``);
  no weekend day is worked. Fewer working days can only make a due date later, so no period is
  shorter than the official arrangement will make it. The last days of December count so too
  while the next year is not confirmed (its New Year may begin on 31 December).

A deadline counted over such a day is provisional (``is_provisional``) until the year is
confirmed. Each year is read once per transaction (two small queries) and kept in the session
until it commits or rolls back; the calendar service forgets it when it changes a year.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from credit.calendar_rules import default_arrangement, plausible_days_off, spill_into
from credit.extensions import db
from credit.models import CalendarDay, CalendarYear, DayKind

_ONE_DAY = timedelta(days=1)
_CACHE = "workdays_years"


@dataclass(frozen=True)
class YearRules:
    """How one year counts: its days off and weekend days worked, and whether it is confirmed."""

    year: int
    confirmed: bool
    days_off: frozenset[date]
    days_worked: frozenset[date]
    stored: bool = True  # False: not in the database, the libraries' defaults

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` (of this year) is worked, by this year's own rules."""
        if self.confirmed:
            if day in self.days_worked:
                return True
            return day.weekday() < 5 and day not in self.days_off
        return (day.weekday() < 5 and day not in self.days_off
                and day not in plausible_days_off(self.year))


@functools.cache
def default_rules(year: int) -> YearRules:
    """The rules of a year the database does not hold: what seeding would store."""
    arrangement = default_arrangement(year)
    return YearRules(year, arrangement.confirmed, frozenset(arrangement.holidays),
                     frozenset(arrangement.workdays), stored=False)


def _cache() -> dict[int, YearRules] | None:
    return db.session.info.setdefault(_CACHE, {}) if has_app_context() else None


def _load(year: int) -> YearRules:
    # No autoflush: a workflow counts a deadline in the middle of a transition, with the row
    # half changed (the calendar service flushes its own changes before counting).
    with db.session.no_autoflush:
        row = db.session.get(CalendarYear, year)
        if row is None:
            return default_rules(year)
        days = db.session.execute(
            select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.year == year)).all()
    return YearRules(year, bool(row.confirmed),
                     frozenset(d for d, kind in days if kind == DayKind.HOLIDAY),
                     frozenset(d for d, kind in days if kind == DayKind.WORKDAY))


def year_rules(year: int) -> YearRules:
    """The rules of ``year``: from the database once per transaction (outside an application,
    the libraries' defaults)."""
    cache = _cache()
    if cache is None:
        return default_rules(year)
    rules = cache.get(year)
    if rules is None:
        rules = cache[year] = _load(year)
    return rules


def forget() -> None:
    """Drop the years read in this transaction (the calendar changed)."""
    if has_app_context():
        db.session.info.pop(_CACHE, None)


@contextmanager
def assuming(rules: Iterable[YearRules]) -> Iterator[None]:
    """Count as if these years had these rules (a preview of a change), then as before."""
    cache = _cache()
    if cache is None:
        raise RuntimeError("a preview needs an application context")
    saved = dict(cache)
    cache.update({r.year: r for r in rules})
    try:
        yield
    finally:
        cache.clear()
        cache.update(saved)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_years(session: Session) -> None:
    """Another transaction may change the calendar: read it again next time."""
    session.info.pop(_CACHE, None)


def is_confirmed(year: int) -> bool:
    return year_rules(year).confirmed


def is_workday(day: date) -> bool:
    """Whether ``day`` is a working day (counted conservatively in an unconfirmed year)."""
    if not year_rules(day.year).is_workday(day):
        return False
    return not (day in spill_into(day.year) and not year_rules(day.year + 1).confirmed)


def is_provisional_day(day: date) -> bool:
    """Whether ``day`` is counted by the conservative rule (its year is not confirmed)."""
    if not year_rules(day.year).confirmed:
        return True
    return day in spill_into(day.year) and not year_rules(day.year + 1).confirmed


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


def is_provisional(start: date, end: date) -> bool:
    """Whether a period (start, end] was counted over a year not confirmed: its end may still
    move when the year is confirmed (never earlier for the enterprise's own periods)."""
    day = start + _ONE_DAY
    while day <= end:
        if is_provisional_day(day):
            return True
        day += _ONE_DAY
    return False
