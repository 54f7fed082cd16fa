"""The libraries' knowledge of each year, and the conservative rule for unconfirmed years."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from credit.calendar_rules import (
    default_arrangement,
    official_years,
    plausible_days_off,
    spill_into,
    statutory_days,
)

ONE_DAY = dt.timedelta(days=1)

# A one-off commemoration follows no rule (the 70th anniversary of the victory in the War of
# Resistance, 3-4 September 2015, with Sunday 6 September worked): the bureau enters such days.
ONE_OFF = {dt.date(2015, 9, 3), dt.date(2015, 9, 4), dt.date(2015, 9, 6)}


def official_workday(day: dt.date) -> bool:
    """The State Council's arrangement as chinesecalendar transcribes it, less the one-off."""
    if day in ONE_OFF:
        return day.weekday() < 5
    return chinese_calendar.is_workday(day)


def conservative_workday(day: dt.date) -> bool:
    """A day as the conservative rule counts it when neither its year nor the next is
    confirmed (and nothing is stored beyond the statutory days, which the windows hold)."""
    return (day.weekday() < 5 and day not in plausible_days_off(day.year)
            and day not in spill_into(day.year))


def test_chinesecalendar_years() -> None:
    assert official_years() == range(2004, 2027)


def test_default_arrangements() -> None:
    known = default_arrangement(2026)
    assert known.confirmed and known.source.startswith("chinesecalendar ")
    assert known.holidays[dt.date(2026, 2, 16)] == "春节"
    assert known.workdays == {dt.date(2026, 1, 4): "元旦", dt.date(2026, 2, 14): "春节",
                              dt.date(2026, 2, 28): "春节", dt.date(2026, 5, 9): "劳动节",
                              dt.date(2026, 9, 20): "国庆节", dt.date(2026, 10, 10): "国庆节"}
    by_rule = default_arrangement(2027)
    assert not by_rule.confirmed and by_rule.source.startswith("holidays ")
    assert by_rule.workdays == {}  # the rule knows no adjusted working days
    assert by_rule.holidays[dt.date(2027, 2, 5)] == "农历除夕"
    assert by_rule.holidays[dt.date(2027, 2, 9)] == "春节（补假）"  # Saturday 6 moved


def test_statutory_days_of_2027_by_the_2025_rules() -> None:
    """13 statutory days, each classified by festival (nothing moved)."""
    days = statutory_days(2027)
    assert sorted(days) == [
        dt.date(2027, 1, 1), dt.date(2027, 2, 5), dt.date(2027, 2, 6), dt.date(2027, 2, 7),
        dt.date(2027, 2, 8), dt.date(2027, 4, 5), dt.date(2027, 5, 1), dt.date(2027, 5, 2),
        dt.date(2027, 6, 9), dt.date(2027, 9, 15), dt.date(2027, 10, 1), dt.date(2027, 10, 2),
        dt.date(2027, 10, 3),
    ]
    assert days[dt.date(2027, 2, 5)] == {"spring_festival"}
    assert days[dt.date(2027, 6, 9)] == {"dragon_boat"}
    assert statutory_days(2028)[dt.date(2028, 10, 3)] == {"mid_autumn", "national_day"}


def test_special_days_of_a_published_year_are_not_taken_for_rules() -> None:
    days = statutory_days(2015)
    assert dt.date(2015, 9, 3) not in days  # the one-off
    assert dt.date(2015, 1, 2) not in days  # a day moved by that year's notice
    assert dt.date(2020, 1, 31) not in statutory_days(2020)  # the Spring Festival extension


def test_windows_of_2027() -> None:
    off = plausible_days_off(2027)
    # New Year: 31 December 2026 to 3 January
    assert {dt.date(2026, 12, 31), dt.date(2027, 1, 3)} <= off
    assert dt.date(2026, 12, 30) not in off and dt.date(2027, 1, 4) not in off
    assert spill_into(2026) == {dt.date(2026, 12, 31)}
    # Spring Festival: eve 5 February; from the 4th to the 7th day of the year (13 February)
    assert {dt.date(2027, 2, 4), dt.date(2027, 2, 12), dt.date(2027, 2, 13)} <= off
    assert dt.date(2027, 2, 3) not in off and dt.date(2027, 2, 14) not in off
    # National Day: 29 September to 8 October
    assert {dt.date(2027, 9, 29), dt.date(2027, 10, 8)} <= off
    assert dt.date(2027, 10, 9) not in off


def test_conservative_rule_never_works_a_day_any_published_arrangement_gave_off() -> None:
    """Day by day over 2004-2026: every day the conservative rule counts as worked was worked
    in the published arrangement. So its working days are a subset of the official ones, and
    n working days never end earlier than they officially did."""
    wrong = []
    day = dt.date(2004, 1, 1)
    while day.year <= 2026:
        if conservative_workday(day) and not official_workday(day):
            wrong.append(day)
        day += ONE_DAY
    assert wrong == []


@pytest.mark.parametrize("year", [2027, 2028, 2035, 2050])
def test_future_years_have_every_festival(year: int) -> None:
    codes = set().union(*statutory_days(year).values())
    assert codes == {"new_year", "spring_festival", "qingming", "labour", "dragon_boat",
                     "mid_autumn", "national_day"}


def test_a_festival_the_rules_cannot_find_stops_the_count(monkeypatch) -> None:
    """A newer ``holidays`` that renamed a festival must not turn its days into working
    days: counting stops with a message saying what to fix."""
    import holidays

    from credit import calendar_rules

    real = holidays.country_holidays

    def renamed(*args, **kwargs):
        return {d: n.replace("Dragon Boat", "Duanwu") for d, n in real(*args, **kwargs).items()}

    monkeypatch.setattr(calendar_rules.holidays, "country_holidays", renamed)
    calendar_rules.plausible_days_off.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="names no dragon_boat in 2031"):
            calendar_rules.plausible_days_off(2031)
    finally:
        calendar_rules.plausible_days_off.cache_clear()
