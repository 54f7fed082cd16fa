"""The working-day calendar as the city administrator keeps it.

Reads: a year's status, its special days, the days counted as off only until it is confirmed,
the years a dashboard should warn about, whether an open deadline is provisional. Changes:
seed from the libraries, set or clear one day, confirm (or withdraw the confirmation of) a
year. Each change checks ``can_manage_settings`` (``actor=None`` is the command line or the
system), writes audit entries, recomputes the open deadlines it affects and flushes; it never
commits. Each has a preview that says which deadlines would move, and writes nothing.

Recomputed deadlines never move against the enterprise:

- its own period, the D notice's answer period (``DCase.answer_due``), is never shortened: a
  later corrected due date extends it (and reopens a period that closed before it), an earlier
  one leaves it as notified;
- the bureau's periods towards it, accepting and verifying a repair application
  (``accept_due``, ``verify_due``), are never lengthened: an earlier corrected due date
  replaces the stored one, a later one leaves it (the bureau keeps the date it gave).

A D case whose answer period turns out to have been cut short when it can no longer be reopened
(the corrected period is over, or the publisher has decided) is reported and audited as
``d_case.answer_period_cut_short`` for the bureau to consider.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import g, has_app_context
from sqlalchemy import delete, select

from credit import clock, workdays
from credit.calendar_rules import (
    Arrangement,
    default_arrangement,
    official_years,
    plausible_days_off,
    spill_into,
)
from credit.extensions import db
from credit.models import (
    CalendarDay,
    CalendarYear,
    DayKind,
    DCase,
    DCaseState,
    Listing,
    RepairApplication,
    RepairState,
    User,
)
from credit.models.calendar import MANUAL
from credit.permissions import can_manage_settings
from credit.services import audit
from credit.workflows import d_listing, repair
from credit.workflows.errors import InvalidInput, NotPermitted

FIRST_YEAR, LAST_YEAR = 2000, 2100
"""The years the bureau may edit (the libraries' lunar tables cover them)."""

SEED_AHEAD = 2
"""Seeding stores the years up to this many after the current one."""

WARN_FROM = (11, 1)
"""From this day of the year (month, day) an unconfirmed next year is warned about: the State
Council's notice usually appears between late October and mid November, and a period begun in
December reaches into January."""

NOTE_MAX = 200

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class YearStatus:
    year: int
    confirmed: bool
    stored: bool  # False: the database has no such year; the libraries' defaults apply
    source: str  # the library it was seeded from, or "manual"
    seeded_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    confirmed_by: str | None  # a username, "cli:<login>", or "seed: <library>"
    edited_at: dt.datetime | None  # the last change by a person
    edited_by: str | None
    note: str | None
    days_off: int  # weekdays off
    days_worked: int  # weekend days worked


@dataclass(frozen=True)
class SpecialDay:
    day: dt.date
    kind: DayKind
    name: str  # the festival, or the administrator's note
    source: str
    set_at: dt.datetime | None
    set_by: str | None

    @property
    def counts(self) -> bool:
        """Whether it changes the count (False: a holiday that falls on a weekend)."""
        weekend = self.day.weekday() >= 5
        return weekend if self.kind is DayKind.WORKDAY else not weekend


@dataclass(frozen=True)
class DeadlineMove:
    """What a calendar change does to one open deadline."""

    object_type: str  # "d_case" | "repair"
    object_id: int
    enterprise_id: int
    field: str  # "answer_due" | "accept_due" | "verify_due"
    start: dt.date  # the day the period began (not itself counted)
    old: dt.date  # stored before
    computed: dt.date  # what the corrected calendar gives
    new: dt.date  # stored after (the same as old for "cut_short")
    action: str  # "extend" | "reopen" | "advance" | "cut_short"


@dataclass(frozen=True)
class CalendarChange:
    changed: bool  # False: it was so already; nothing was written
    moves: list[DeadlineMove]


@dataclass(frozen=True)
class SeedResult:
    seeded: list[YearStatus]  # the years written (new, or refreshed from a better source)
    moves: list[DeadlineMove]


# -- reading --------------------------------------------------------------------------------


def year_status(year: int) -> YearStatus:
    """Whether ``year`` is confirmed, by whom and when, and where its days came from."""
    row = db.session.get(CalendarYear, year)
    rules = workdays.year_rules(year)
    if row is None:
        default = default_arrangement(year)
        return YearStatus(year, default.confirmed, False, default.source, None, None,
                          _seed_label(default) if default.confirmed else None, None, None,
                          None, *_counts(rules.days_off, rules.days_worked))
    return _status(row, rules.days_off, rules.days_worked)


def stored_years() -> list[YearStatus]:
    """Every year the database holds, in order (two queries)."""
    rows = db.session.scalars(select(CalendarYear).order_by(CalendarYear.year)).all()
    days: dict[int, tuple[set, set]] = {row.year: (set(), set()) for row in rows}
    for year, day, kind in db.session.execute(
            select(CalendarDay.year, CalendarDay.day, CalendarDay.kind)):
        days[year][kind == DayKind.WORKDAY].add(day)
    return [_status(row, *days[row.year]) for row in rows]


def _counts(days_off, days_worked) -> tuple[int, int]:
    return (sum(1 for d in days_off if d.weekday() < 5),
            sum(1 for d in days_worked if d.weekday() >= 5))


def _status(row: CalendarYear, days_off, days_worked) -> YearStatus:
    return YearStatus(row.year, bool(row.confirmed), True, row.source, row.seeded_at,
                      row.confirmed_at, row.confirmed_by, row.edited_at, row.edited_by,
                      row.note, *_counts(days_off, days_worked))


def special_days(year: int) -> list[SpecialDay]:
    """The days of ``year`` that differ from Monday-Friday, in order (the libraries' defaults
    when the database does not hold the year)."""
    if db.session.get(CalendarYear, year) is None:
        default = default_arrangement(year)
        days = [SpecialDay(d, DayKind.HOLIDAY, n, default.source, None, None)
                for d, n in default.holidays.items()]
        days += [SpecialDay(d, DayKind.WORKDAY, n, default.source, None, None)
                 for d, n in default.workdays.items()]
        return sorted(days, key=lambda s: s.day)
    rows = db.session.scalars(
        select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day))
    return [SpecialDay(r.day, DayKind(r.kind), r.name, r.source, r.set_at, r.set_by)
            for r in rows]


def provisional_days_off(year: int) -> list[dt.date]:
    """The weekdays counted as off only because the year is not confirmed (empty once it is):
    the festival windows of the conservative rule, beyond the stored days off."""
    rules = workdays.year_rules(year)
    if rules.confirmed:
        return []
    return sorted(d for d in plausible_days_off(year)
                  if d.year == year and d.weekday() < 5 and d not in rules.days_off)


def years_to_confirm(today: dt.date | None = None) -> list[int]:
    """The years a dashboard should warn about: the current year when it is not confirmed, and
    the next one when it is not and November has come."""
    today = today or clock.today()
    years = [today.year] if not workdays.is_confirmed(today.year) else []
    if (today.month, today.day) >= WARN_FROM and not workdays.is_confirmed(today.year + 1):
        years.append(today.year + 1)
    return years


def deadline_period(obj: Any) -> tuple[dt.date, dt.date] | None:
    """The counted period (start, last day] of an open item's deadline, or None."""
    if isinstance(obj, DCase):
        if obj.state == DCaseState.NOTIFIED:
            return obj.notice_sent_on, obj.answer_due
    elif isinstance(obj, RepairApplication):
        if obj.state == RepairState.APPLIED:
            return obj.applied_on, obj.accept_due
        if obj.state == RepairState.ACCEPTED:
            return obj.handled_on, obj.verify_due
    return None


def deadline_is_provisional(obj: Any) -> bool:
    """Whether an open item's deadline was counted over a year not yet confirmed (show it as
    provisional to staff and to the enterprise)."""
    period = deadline_period(obj)
    return period is not None and workdays.is_provisional(*period)


# -- changing -------------------------------------------------------------------------------


def set_day(actor: User | None, day: dt.date, kind: DayKind | str | None, *,
            note: str | None = None) -> CalendarChange:
    """Make ``day`` a holiday, a weekend working day, or (``None``/"normal") what Monday-Friday
    makes it; recompute the open deadlines it affects."""
    _check(actor)
    kind, note = _check_day(day, kind, note)
    row = db.session.get(CalendarDay, day)
    name = note if note is not None else (row.name if row is not None else "")
    if (row is None and kind is None) or (
            row is not None and kind is not None and row.kind == kind and row.name == name):
        return CalendarChange(False, [])
    year = _ensure_year(day.year, actor)
    before = _day_state(row)
    if kind is None:
        db.session.delete(row)
        row = None
    else:
        if row is None:
            row = CalendarDay(day=day, year=day.year)
            db.session.add(row)
        row.kind, row.name, row.source = kind.value, name, MANUAL
        row.set_at, row.set_by = clock.now(), _label(actor)
    year.edited_at, year.edited_by = clock.now(), _label(actor)
    db.session.flush()
    after = _day_state(row) or {"kind": "normal"}
    if note:
        after["note"] = note
    audit.record("calendar.set_day", "calendar_day", day.isoformat(), actor_id=_id(actor),
                 before=before, after=after)
    moves = _recompute(day, day, actor, {"calendar": f"set {day.isoformat()}"})
    return CalendarChange(True, moves)


def preview_set_day(actor: User | None, day: dt.date,
                    kind: DayKind | str | None) -> list[DeadlineMove]:
    """Which open deadlines ``set_day`` would move (nothing is written)."""
    _check(actor)
    kind, _ = _check_day(day, kind, None)
    rules = workdays.year_rules(day.year)
    off, worked = set(rules.days_off) - {day}, set(rules.days_worked) - {day}
    if kind is DayKind.HOLIDAY:
        off.add(day)
    elif kind is DayKind.WORKDAY:
        worked.add(day)
    assumed = dataclasses.replace(rules, days_off=frozenset(off), days_worked=frozenset(worked))
    with workdays.assuming([assumed]):
        return _plan(day, day, clock.today())


def confirm_year(actor: User | None, year: int, *, note: str | None = None) -> CalendarChange:
    """The year's days are the State Council's arrangement: count them exactly from now on."""
    return _set_confirmed(actor, year, True, note)


def unconfirm_year(actor: User | None, year: int, *, note: str) -> CalendarChange:
    """Withdraw a confirmation (given by mistake): the year counts conservatively again."""
    if not note or not note.strip():
        raise InvalidInput("withdrawing a confirmation needs its reason")
    return _set_confirmed(actor, year, False, note)


def preview_confirm_year(actor: User | None, year: int,
                         confirmed: bool = True) -> list[DeadlineMove]:
    """Which open deadlines confirming (or unconfirming) ``year`` would move."""
    _check(actor)
    _check_year(year)
    assumed = dataclasses.replace(workdays.year_rules(year), confirmed=confirmed)
    with workdays.assuming([assumed]):
        return _plan(*_span(year), clock.today())


def seed_calendar(actor: User | None = None, *, through: int | None = None) -> SeedResult:
    """Store the libraries' arrangements: every year chinesecalendar knows (confirmed) and the
    following ones up to ``through`` (default: two years after this one) by rule (not
    confirmed). A stored year is refreshed only when it is unconfirmed, nobody has edited it,
    and the libraries now say something else (e.g. a new chinesecalendar knows it). Safe to
    repeat."""
    _check(actor)
    through = through if through is not None else clock.today().year + SEED_AHEAD
    years = range(official_years().start, max(through, official_years().stop - 1) + 1)
    stored = {row.year: row for row in db.session.scalars(
        select(CalendarYear).where(CalendarYear.year.in_(list(years))))}
    seeded: list[int] = []
    for year in years:
        default = default_arrangement(year)
        row = stored.get(year)
        if row is not None and (row.confirmed or row.edited_at is not None
                                or _unchanged(row, default)):
            continue
        _write_default(year, default, row, actor)
        seeded.append(year)
    moves: list[DeadlineMove] = []
    if seeded:
        moves = _recompute(_span(seeded[0])[0], _span(seeded[-1])[1], actor,
                           {"calendar": "seed"})
    return SeedResult([s for s in stored_years() if s.year in set(seeded)], moves)


# -- internals ------------------------------------------------------------------------------


def _check(actor: User | None) -> None:
    if actor is not None and not can_manage_settings(actor):
        raise NotPermitted("you may not change the working-day calendar")


def _id(actor: User | None) -> int | None:
    return actor.id if actor is not None else None


def _label(actor: User | None) -> str:
    if actor is not None:
        return actor.username
    return g.get("audit_actor", "system") if has_app_context() else "system"


def _seed_label(arrangement: Arrangement) -> str:
    return f"seed: {arrangement.source}"


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"{year}: the calendar covers the years {FIRST_YEAR}-{LAST_YEAR}")


def _check_day(day: dt.date, kind: DayKind | str | None,
               note: str | None) -> tuple[DayKind | None, str | None]:
    _check_year(day.year)
    if kind is not None and not isinstance(kind, DayKind):
        if kind == "normal":
            kind = None
        else:
            try:
                kind = DayKind(kind)
            except ValueError:
                raise InvalidInput(f"{kind!r}: the kind of a day is holiday, workday or "
                                   "normal") from None
    weekday = day.strftime("%A")
    if kind is DayKind.WORKDAY and day.weekday() < 5:
        raise InvalidInput(f"{day.isoformat()} is a {weekday}, a working day already; "
                           "only a Saturday or Sunday can be made a working day (use normal "
                           "to clear a day)")
    if note is not None:
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise InvalidInput(f"the note is {len(note)} characters; at most {NOTE_MAX}")
    return kind, note


def _day_state(row: CalendarDay | None) -> dict | None:
    if row is None:
        return None
    return {"kind": row.kind, "name": row.name, "source": row.source}


def _year_state(row: CalendarYear) -> dict:
    return {"year": row.year, "confirmed": row.confirmed, "source": row.source,
            "confirmed_by": row.confirmed_by, "note": row.note}


def _span(year: int) -> tuple[dt.date, dt.date]:
    """The days whose count depends on ``year``: the year itself and its New Year's eve."""
    days = spill_into(year - 1) | {dt.date(year, 1, 1)}
    return min(days), dt.date(year, 12, 31)


def _unchanged(row: CalendarYear, default: Arrangement) -> bool:
    """Whether the stored year already says what ``default`` says."""
    if row.source == default.source and bool(row.confirmed) == default.confirmed:
        return True
    days = {(d, k) for d, k in db.session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.year == row.year))}
    wanted = ({(d, DayKind.HOLIDAY.value) for d in default.holidays}
              | {(d, DayKind.WORKDAY.value) for d in default.workdays})
    return days == wanted and bool(row.confirmed) == default.confirmed


def _write_default(year: int, default: Arrangement, row: CalendarYear | None,
                   actor: User | None) -> CalendarYear:
    """Store (or replace) ``year`` as the libraries give it; audited as calendar.seed."""
    now = clock.now()
    before = _year_state(row) if row is not None else None
    if row is None:
        row = CalendarYear(year=year)
        db.session.add(row)
    else:
        db.session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    row.source, row.seeded_at, row.confirmed = default.source, now, default.confirmed
    row.confirmed_at = now if default.confirmed else None
    row.confirmed_by = _seed_label(default) if default.confirmed else None
    row.confirmed_by_id = None
    db.session.flush()
    db.session.add_all(
        [CalendarDay(day=d, year=year, kind=DayKind.HOLIDAY.value, name=n, source=default.source)
         for d, n in default.holidays.items()]
        + [CalendarDay(day=d, year=year, kind=DayKind.WORKDAY.value, name=n,
                       source=default.source) for d, n in default.workdays.items()])
    db.session.flush()
    audit.record("calendar.seed", "calendar_year", year, actor_id=_id(actor), before=before,
                 after={**_year_state(row), "days_off": len(default.holidays),
                        "days_worked": len(default.workdays)})
    workdays.forget()
    return row


def _ensure_year(year: int, actor: User | None) -> CalendarYear:
    """The stored year, seeded from the libraries first when the database does not hold it."""
    row = db.session.get(CalendarYear, year)
    return row if row is not None else _write_default(year, default_arrangement(year), None,
                                                       actor)


def _set_confirmed(actor: User | None, year: int, confirmed: bool,
                   note: str | None) -> CalendarChange:
    _check(actor)
    _check_year(year)
    note = note.strip() if note and note.strip() else None
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(f"the note is {len(note)} characters; at most {NOTE_MAX}")
    row = _ensure_year(year, actor)
    if bool(row.confirmed) == confirmed:
        return CalendarChange(False, [])
    before = _year_state(row)
    row.confirmed = confirmed
    if confirmed:
        row.confirmed_at, row.confirmed_by, row.confirmed_by_id = (
            clock.now(), _label(actor), _id(actor))
    else:
        row.confirmed_at = row.confirmed_by = row.confirmed_by_id = None
    row.note = note or row.note
    row.edited_at, row.edited_by = clock.now(), _label(actor)
    db.session.flush()
    audit.record("calendar.confirm_year" if confirmed else "calendar.unconfirm_year",
                 "calendar_year", year, actor_id=_id(actor), before=before,
                 after=_year_state(row))
    action = "confirm" if confirmed else "unconfirm"
    moves = _recompute(*_span(year), actor, {"calendar": f"{action} {year}"})
    return CalendarChange(True, moves)


def _plan(first: dt.date, last: dt.date, today: dt.date) -> list[DeadlineMove]:
    """The open deadlines whose periods hold a day in [first, last] and that the calendar as it
    now reads would move, in the enterprise's favour only."""
    moves: list[DeadlineMove] = []
    cases = db.session.execute(
        select(DCase.id, DCase.enterprise_id, DCase.state, DCase.notice_sent_on,
               DCase.answer_due)
        .where(DCase.state.in_([DCaseState.NOTIFIED.value, DCaseState.ANSWER_CLOSED.value,
                                DCaseState.PUBLISHED.value, DCaseState.NOT_PUBLISHED.value]),
               DCase.answer_text.is_(None), DCase.notice_sent_on < last,
               DCase.answer_due >= first)
        .order_by(DCase.id))
    for case_id, enterprise_id, state, start, old in cases:
        computed = workdays.add_workdays(start, d_listing.ANSWER_WORKDAYS)
        if computed <= old:
            continue  # never shortened
        if state == DCaseState.NOTIFIED:
            action, new = "extend", computed
        elif state == DCaseState.ANSWER_CLOSED and computed >= today:
            action, new = "reopen", computed
        else:
            action, new = "cut_short", old
        moves.append(DeadlineMove("d_case", case_id, enterprise_id, "answer_due", start, old,
                                  computed, new, action))
    for state, start_col, due_col, days in (
        (RepairState.APPLIED, RepairApplication.applied_on, RepairApplication.accept_due,
         repair.ACCEPT_WORKDAYS),
        (RepairState.ACCEPTED, RepairApplication.handled_on, RepairApplication.verify_due,
         repair.VERIFY_WORKDAYS),
    ):
        rows = db.session.execute(
            select(RepairApplication.id, Listing.enterprise_id, start_col, due_col)
            .join(Listing, Listing.id == RepairApplication.listing_id)
            .where(RepairApplication.state == state.value, start_col < last, due_col >= first)
            .order_by(RepairApplication.id))
        for repair_id, enterprise_id, start, old in rows:
            computed = workdays.add_workdays(start, days)
            if computed < old:  # never lengthened
                moves.append(DeadlineMove("repair", repair_id, enterprise_id, due_col.key,
                                          start, old, computed, computed, "advance"))
    return moves


def _recompute(first: dt.date, last: dt.date, actor: User | None,
               cause: dict) -> list[DeadlineMove]:
    """Apply the moves the changed calendar calls for, each audited."""
    workdays.forget()
    today = clock.today()
    moves = _plan(first, last, today)
    for move in moves:
        if move.object_type == "repair":
            repair.advance_deadline(db.session.get(RepairApplication, move.object_id),
                                    move.new, actor_id=_id(actor), cause=cause)
        elif move.action == "cut_short":
            audit.record("d_case.answer_period_cut_short", "d_case", move.object_id,
                         actor_id=_id(actor), before={"answer_due": move.old},
                         after={"answer_due": move.old, "corrected_due": move.computed,
                                **cause})
        else:
            d_listing.extend_answer_period(db.session.get(DCase, move.object_id), move.new,
                                           today=today, actor_id=_id(actor), cause=cause)
    return moves
