"""Working days on the real Chinese calendar, and the Monday-Friday fallback."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit import workdays
from credit.workdays import add_workdays, covered, is_workday, workdays_between


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which fallback years were already logged."""
    monkeypatch.setattr(workdays, "_warned_years", set())


def _fallback_logs(caplog: pytest.LogCaptureFixture, year: int) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "credit.workdays" and r.levelno == logging.WARNING and str(year) in r.message
    ]


@pytest.mark.parametrize(
    ("year", "expected"), [(2004, True), (2025, True), (2026, True), (2027, False), (2028, False)]
)
def test_covered(year: int, expected: bool) -> None:
    assert covered(year) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
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
    ],
)
def test_is_workday_on_real_holidays(day: date, expected: bool) -> None:
    assert is_workday(day) is expected


def test_ten_working_days_across_spring_festival_2026() -> None:
    # 13 Feb, Sat 14 Feb, then 24-27 Feb, Sat 28 Feb, 2-4 March
    assert add_workdays(date(2026, 2, 12), 10) == date(2026, 3, 4)
    assert workdays_between(date(2026, 2, 12), date(2026, 3, 4)) == 10
    assert workdays_between(date(2026, 2, 12), date(2026, 3, 3)) == 9


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Friday -> adjusted Saturday
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # over the whole holiday
        (date(2026, 2, 16), 1, date(2026, 2, 24)),  # from inside the holiday
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # Friday -> adjusted Sunday
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 10, 10), 1, date(2025, 10, 11)),
        (date(2025, 9, 30), 5, date(2025, 10, 14)),  # 9, 10, 11, 13 and 14 October
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # ordinary weekend
    ],
)
def test_add_workdays(start: date, n: int, expected: date) -> None:
    assert add_workdays(start, n) == expected


@pytest.mark.parametrize("n", [0, -1])
def test_add_workdays_needs_a_positive_count(n: int) -> None:
    with pytest.raises(ValueError):
        add_workdays(date(2026, 1, 5), n)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 2, 1), date(2026, 2, 28), 16),
        (date(2025, 9, 30), date(2025, 10, 31), 18),
        (date(2026, 2, 14), date(2026, 2, 23), 0),  # the holiday, start excluded
        (date(2026, 2, 13), date(2026, 2, 14), 1),  # end included
        (date(2026, 3, 4), date(2026, 3, 4), 0),
        (date(2026, 3, 4), date(2026, 3, 1), 0),  # end before start
    ],
)
def test_workdays_between(start: date, end: date, expected: int) -> None:
    assert workdays_between(start, end) == expected


@pytest.mark.usefixtures("fresh_warnings")
def test_uncovered_year_is_monday_to_friday_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="credit.workdays")
    day = date(2028, 1, 1)
    while day.year == 2028:
        assert is_workday(day) is (day.weekday() < 5)
        day += timedelta(days=1)
    # 1 January 2028 is a Saturday; the fallback knows no New Year holiday
    assert add_workdays(date(2028, 1, 1), 1) == date(2028, 1, 3)
    assert workdays_between(date(2028, 1, 1), date(2028, 12, 31)) == 260
    assert len(_fallback_logs(caplog, 2028)) == 1


@pytest.mark.usefixtures("fresh_warnings")
def test_each_uncovered_year_logs_once_and_covered_years_never(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="credit.workdays")
    assert add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 4)
    workdays_between(date(2026, 1, 1), date(2028, 6, 30))
    assert len(_fallback_logs(caplog, 2027)) == 1
    assert len(_fallback_logs(caplog, 2028)) == 1
    assert not _fallback_logs(caplog, 2026)


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(2004, 1, 1), max_value=date(2029, 12, 31)),
    n=st.integers(min_value=1, max_value=60),
)
def test_add_workdays_and_workdays_between_agree(start: date, n: int) -> None:
    end = add_workdays(start, n)
    assert is_workday(end)
    assert workdays_between(start, end) == n
    assert workdays_between(start, end - timedelta(days=1)) == n - 1
