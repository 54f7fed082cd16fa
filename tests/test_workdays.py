"""Working days from the calendar in the database: real holidays, the conservative count of
unconfirmed years, provisional periods, and one read per year per transaction."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, update

from credit import workdays
from credit.calendar_rules import statutory_days
from credit.models import CalendarDay, CalendarYear, DayKind
from credit.services.calendar import confirm_year, seed_calendar, set_day
from credit.workdays import (
    add_workdays,
    is_confirmed,
    is_provisional,
    is_workday,
    workdays_between,
)
from tests.test_calendar_rules import official_workday

# The database fixtures are set up once per test and only read by its examples.
SHARED_FIXTURE = HealthCheck.function_scoped_fixture


@pytest.fixture(params=["stored", "defaults"])
def calendar(request, db):
    """The calendar seeded into the database, or an empty table (the libraries' defaults, as
    after every test): both must count alike."""
    if request.param == "stored":
        seed_calendar(through=2029)
        db.session.commit()
    return request.param


def official_add(start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= official_workday(day)
    return day


REAL_DAYS = [
    # Spring Festival 2026: 15-23 February off, Saturdays 14 and 28 February worked
    (date(2026, 2, 13), True),
    (date(2026, 2, 14), True),  # Saturday, adjusted working day
    (date(2026, 2, 15), False),
    (date(2026, 2, 16), False),  # Monday in the holiday
    (date(2026, 2, 20), False),
    (date(2026, 2, 23), False),  # Monday, last day off
    (date(2026, 2, 24), True),
    (date(2026, 2, 28), True),  # Saturday, adjusted working day
    (date(2026, 3, 1), False),  # ordinary Sunday
    # National Day 2025: 1-8 October off, Sunday 28 September and Saturday 11 October worked
    (date(2025, 9, 27), False),
    (date(2025, 9, 28), True),  # Sunday, adjusted working day
    (date(2025, 9, 30), True),
    (date(2025, 10, 1), False),
    (date(2025, 10, 6), False),  # Monday in the holiday
    (date(2025, 10, 8), False),
    (date(2025, 10, 9), True),
    (date(2025, 10, 11), True),  # Saturday, adjusted working day
    (date(2025, 10, 12), False),
]


def test_is_workday_on_real_holidays(calendar) -> None:
    assert [(day, is_workday(day)) for day, _ in REAL_DAYS] == REAL_DAYS


def test_ten_working_days_across_spring_festival_2026(calendar) -> None:
    # 13 Feb, Sat 14 Feb, then 24-27 Feb, Sat 28 Feb, 2-4 March
    assert add_workdays(date(2026, 2, 12), 10) == date(2026, 3, 4)
    assert workdays_between(date(2026, 2, 12), date(2026, 3, 4)) == 10
    assert workdays_between(date(2026, 2, 12), date(2026, 3, 3)) == 9
    assert not is_provisional(date(2026, 2, 12), date(2026, 3, 4))


ADDED = [
    (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Friday -> adjusted Saturday
    (date(2026, 2, 14), 1, date(2026, 2, 24)),  # over the whole holiday
    (date(2026, 2, 16), 1, date(2026, 2, 24)),  # from inside the holiday
    (date(2025, 9, 26), 1, date(2025, 9, 28)),  # Friday -> adjusted Sunday
    (date(2025, 9, 30), 1, date(2025, 10, 9)),
    (date(2025, 10, 10), 1, date(2025, 10, 11)),
    (date(2025, 9, 30), 5, date(2025, 10, 14)),  # 9, 10, 11, 13 and 14 October
    (date(2026, 3, 6), 1, date(2026, 3, 9)),  # ordinary weekend
]


def test_add_workdays(calendar) -> None:
    assert [(start, n, add_workdays(start, n)) for start, n, _ in ADDED] == ADDED


@pytest.mark.parametrize("n", [0, -1])
def test_add_workdays_needs_a_positive_count(n: int) -> None:
    with pytest.raises(ValueError):
        add_workdays(date(2026, 1, 5), n)


BETWEEN = [
    (date(2026, 2, 1), date(2026, 2, 28), 16),
    (date(2025, 9, 30), date(2025, 10, 31), 18),
    (date(2026, 2, 14), date(2026, 2, 23), 0),  # the holiday, start excluded
    (date(2026, 2, 13), date(2026, 2, 14), 1),  # end included
    (date(2026, 3, 4), date(2026, 3, 4), 0),
    (date(2026, 3, 4), date(2026, 3, 1), 0),  # end before start
]


def test_workdays_between(calendar) -> None:
    assert [(s, e, workdays_between(s, e)) for s, e, _ in BETWEEN] == BETWEEN


# -- 2027: not confirmed ------------------------------------------------------------------


def test_new_year_2027_is_not_counted_as_working_days(calendar) -> None:
    """The old fallback gave 2027-01-07, counting 31 December and New Year's Day as worked.
    Any arrangement gives at least 1 January off (and maybe 31 December): the real last day
    is 8 January at the latest; the conservative count gives 11 January, provisional."""
    assert not is_confirmed(2027)
    due = add_workdays(date(2026, 12, 24), 10)
    assert due >= date(2027, 1, 8)
    assert due == date(2027, 1, 11)  # 25, 28, 29, 30 Dec; 4-8 Jan; 11 Jan
    assert is_provisional(date(2026, 12, 24), due)
    assert not is_workday(date(2026, 12, 31))  # may begin the 2027 New Year holiday
    assert not is_workday(date(2027, 1, 1))


def test_spring_festival_2027_is_not_counted_as_working_days(calendar) -> None:
    """Eve 5 February 2027 (a Friday). The old fallback gave 2027-02-18. Eight days off from
    the eve (5-12 February) without a weekend worked would end the period on 26 February."""
    due = add_workdays(date(2027, 2, 4), 10)
    assert due >= date(2027, 2, 26)
    assert due == date(2027, 2, 26)
    assert is_provisional(date(2027, 2, 4), due)
    assert all(not is_workday(date(2027, 2, d)) for d in range(5, 15))


def test_a_confirmed_2027_counts_exactly_and_is_not_provisional(db) -> None:
    seed_calendar(through=2028)
    # An arrangement as the State Council might publish it: 1-3 January; 5-12 February off
    # with Saturday 20 February worked.
    for d in (11, 12):
        set_day(None, date(2027, 2, d), DayKind.HOLIDAY, note="春节")
    set_day(None, date(2027, 2, 20), DayKind.WORKDAY, note="春节调休上班")
    assert add_workdays(date(2027, 2, 4), 10) == date(2027, 2, 26)  # not yet confirmed
    confirm_year(None, 2027, note="国务院办公厅通知")
    assert add_workdays(date(2026, 12, 24), 10) == date(2027, 1, 8)
    assert add_workdays(date(2027, 2, 4), 10) == date(2027, 2, 25)
    assert is_workday(date(2027, 2, 20))
    assert not is_provisional(date(2026, 12, 24), date(2027, 1, 8))


def test_an_unconfirmed_year_works_no_weekend_and_keeps_its_stored_days_off(db) -> None:
    seed_calendar(through=2028)
    set_day(None, date(2028, 1, 29), DayKind.WORKDAY)  # a Saturday
    set_day(None, date(2028, 3, 15), DayKind.HOLIDAY)  # a Wednesday, outside every window
    assert not is_workday(date(2028, 1, 29))
    assert not is_workday(date(2028, 3, 15))
    assert is_workday(date(2028, 3, 14))
    confirm_year(None, 2028)
    assert is_workday(date(2028, 1, 29))
    assert not is_workday(date(2028, 3, 15))


def test_years_beyond_the_stored_ones_count_conservatively(db) -> None:
    seed_calendar(through=2027)
    assert not is_confirmed(2031)
    assert add_workdays(date(2031, 1, 21), 10) > date(2031, 2, 3)  # over the Spring Festival
    assert is_provisional(date(2031, 1, 21), add_workdays(date(2031, 1, 21), 10))


@pytest.fixture
def all_unconfirmed(db):
    """2003-2027 as unconfirmed years that store only their statutory days (what a year seeded
    by rule holds at least), to compare with the arrangements published for them."""
    for year in range(2003, 2028):
        db.session.add(CalendarYear(year=year, confirmed=False, source="test"))
    db.session.flush()
    db.session.add_all(CalendarDay(day=d, year=d.year, kind=DayKind.HOLIDAY.value, name="",
                                   source="test")
                       for year in range(2003, 2028) for d in statutory_days(year)
                       if d.year == year)
    db.session.commit()


@pytest.mark.usefixtures("all_unconfirmed")
@settings(max_examples=300, deadline=None, suppress_health_check=[SHARED_FIXTURE])
# 30 working days from 1 November end in 2026, the last year chinesecalendar publishes.
@given(start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 11, 1)),
       n=st.integers(min_value=1, max_value=30))
def test_unconfirmed_count_never_ends_before_the_published_arrangement(start: date,
                                                                         n: int) -> None:
    """Years chinesecalendar knows, treated as unconfirmed: the conservative due date is never
    earlier than under the arrangement the State Council published (less a one-off
    commemoration, which no rule foresees)."""
    due = add_workdays(start, n)
    assert due >= official_add(start, n)
    assert is_provisional(start, due)


@settings(max_examples=200, deadline=None, suppress_health_check=[SHARED_FIXTURE])
@given(start=st.dates(min_value=date(2004, 1, 1), max_value=date(2029, 12, 31)),
       n=st.integers(min_value=1, max_value=60))
def test_add_workdays_and_workdays_between_agree(db, start: date, n: int) -> None:
    end = add_workdays(start, n)
    assert is_workday(end)
    assert workdays_between(start, end) == n
    assert workdays_between(start, end - timedelta(days=1)) == n - 1


# -- reading the calendar -----------------------------------------------------------------


@pytest.fixture
def statements(db):
    """The SQL statements run while the test counts them."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_a_deadline_reads_each_year_once_per_transaction(db, statements) -> None:
    seed_calendar(through=2028)
    db.session.commit()
    statements.clear()
    add_workdays(date(2026, 12, 10), 40)  # over New Year: 2026 and 2027
    first = len(statements)
    assert 2 <= first <= 4
    add_workdays(date(2026, 12, 1), 60)
    workdays_between(date(2026, 12, 1), date(2027, 2, 28))
    assert len(statements) == first  # nothing read again
    db.session.commit()
    add_workdays(date(2026, 12, 10), 40)
    assert len(statements) > first  # a new transaction reads again


def test_a_change_is_seen_at_once_in_the_same_transaction(db) -> None:
    seed_calendar(through=2028)
    assert add_workdays(date(2026, 11, 2), 1) == date(2026, 11, 3)
    set_day(None, date(2026, 11, 3), DayKind.HOLIDAY, note="test")
    assert add_workdays(date(2026, 11, 2), 1) == date(2026, 11, 4)


def test_another_transaction_sees_a_committed_change(app, db) -> None:
    assert is_workday(date(2026, 11, 3))
    db.session.commit()
    with app.app_context():  # another request: its own session
        set_day(None, date(2026, 11, 3), DayKind.HOLIDAY)
        db.session.commit()
    assert not is_workday(date(2026, 11, 3))


def test_stored_days_override_the_libraries(db) -> None:
    seed_calendar(through=2028)
    db.session.execute(update(CalendarYear).where(CalendarYear.year == 2026)
                       .values(confirmed=True))
    db.session.add(CalendarDay(day=date(2026, 11, 4), year=2026, kind="holiday", name="x",
                               source="manual"))
    db.session.flush()
    workdays.forget()
    assert not is_workday(date(2026, 11, 4))
    assert dt.date(2026, 11, 4) in workdays.year_rules(2026).days_off
