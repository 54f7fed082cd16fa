"""What the libraries know about a year's holidays, and the conservative rule for a year whose
arrangement the bureau has not confirmed. Pure functions of the year: no database, no clock.

Two libraries, two kinds of knowledge:

- ``chinese_calendar`` (pip: chinesecalendar) transcribes the State Council's yearly notice
  (国务院办公厅关于部分节假日安排的通知): every day off and every weekend day worked, for the
  years published when it was released. Its years are seeded as confirmed.
- ``holidays`` lists the statutory days (法定节假日) of any year by rule (the 2025 revision: 13
  days) and moves a statutory day that falls on a weekend to the next weekday. It does not know
  the notice's adjusted working days or the days moved to bridge a holiday to a weekend. Its
  years are seeded as not confirmed.

An unconfirmed year is counted conservatively (``plausible_days_off``): every weekday near a
festival that any published arrangement could give off is treated as off, and no weekend day is
ever a working day. Fewer working days can only move a due date later, so the period is never
shorter than the official arrangement will make it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import chinese_calendar
import holidays
from chinese_calendar import constants as _cc

CHINESECALENDAR = f"chinesecalendar {chinese_calendar.__version__}"
HOLIDAYS = f"holidays {holidays.__version__}"

_ONE_DAY = dt.timedelta(days=1)

# chinesecalendar's English names, in Chinese as the bureau writes them.
_OFFICIAL_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

# Festivals by the words of ``holidays``' English names (its translations are part of its API).
_FESTIVAL_WORDS = (
    ("Chinese New Year", "spring_festival"),
    ("Spring Festival", "spring_festival"),
    ("New Year's Day", "new_year"),
    ("Tomb-Sweeping", "qingming"),
    ("Labor Day", "labour"),
    ("Labour Day", "labour"),
    ("Dragon Boat", "dragon_boat"),
    ("Mid-Autumn", "mid_autumn"),
    ("National Day", "national_day"),
)

# Weekdays before the first and after the last statutory day of a festival that an official
# arrangement may give off (bridging days, days moved from weekends, the Golden Weeks). They
# cover every arrangement published from 2004 to 2026 (tests/test_calendar_rules.py checks it
# day by day), with one more day at each end of the Spring Festival, whose arrangements vary
# most. A one-off commemoration (3-4 September 2015) follows no rule: the bureau enters it.
WINDOWS: dict[str, tuple[int, int]] = {
    "new_year": (1, 2),          # 31 December .. 3 January
    "spring_festival": (1, 5),   # from the day before the eve to the 7th day of the new year
    "qingming": (2, 2),
    "labour": (2, 5),            # 29 April .. 7 May (the Golden Week of 2000-2007: 1-7 May)
    "dragon_boat": (2, 2),
    "mid_autumn": (2, 2),
    "national_day": (2, 5),      # 29 September .. 8 October (joined with Mid-Autumn: 8 days)
}


@dataclass(frozen=True)
class Arrangement:
    """A year's days that differ from Monday-Friday, as a source gives them."""

    year: int
    source: str
    confirmed: bool
    holidays: dict[dt.date, str] = field(default_factory=dict)  # days off, with their names
    workdays: dict[dt.date, str] = field(default_factory=dict)  # weekend days worked


@functools.cache
def official_years() -> range:
    """The years ``chinese_calendar`` has the State Council's arrangement for."""
    years = [d.year for d in _cc.holidays]
    return range(min(years), max(years) + 1)


def _official(year: int) -> Arrangement:
    def named(days: dict) -> dict[dt.date, str]:
        return {d: _OFFICIAL_NAMES.get(str(name), str(name)) for d, name in sorted(days.items())
                if d.year == year}

    return Arrangement(year, CHINESECALENDAR, True, named(_cc.holidays),
                       named(_cc.workdays))


def _by_rule(year: int) -> Arrangement:
    days = holidays.country_holidays("CN", years=year, language="zh_CN")
    return Arrangement(year, f"{HOLIDAYS} (statutory days by rule)", False,
                       {d: name for d, name in sorted(days.items())})


@functools.cache
def default_arrangement(year: int) -> Arrangement:
    """What seeding stores for ``year``: the official arrangement when chinesecalendar has it
    (confirmed), otherwise the statutory days by rule (not confirmed)."""
    return _official(year) if year in official_years() else _by_rule(year)


def statutory_days(year: int) -> dict[dt.date, set[str]]:
    """The statutory days of ``year`` by rule, each with its festival(s); nothing moved."""
    days = holidays.country_holidays("CN", years=year, observed=False, language="en_US")
    festivals: dict[dt.date, set[str]] = {}
    for day, names in days.items():
        for name in names.split("; "):
            if "substituted" in name or "Extended" in name:
                continue  # a published arrangement's own days, not the rule
            code = next((c for words, c in _FESTIVAL_WORDS if words in name), None)
            if code is not None:
                festivals.setdefault(day, set()).add(code)
    return festivals


@functools.cache
def plausible_days_off(year: int) -> frozenset[dt.date]:
    """Every day that an arrangement of ``year`` under the rules could give off: the festival
    windows around its statutory days. May hold days of the year before (31 December)."""
    spans: dict[str, list[dt.date]] = {}
    for day, codes in statutory_days(year).items():
        for code in codes:
            spans.setdefault(code, []).append(day)
    missing = set(WINDOWS) - set(spans)
    if year >= 2008 and missing:
        # Refuse rather than count a festival as working days (a newer ``holidays`` that
        # renamed one): a legal period must never come out shorter.
        raise RuntimeError(f"{HOLIDAYS} names no {', '.join(sorted(missing))} in {year}; "
                           "credit/calendar_rules.py must learn its new name")
    off: set[dt.date] = set()
    for code, days in spans.items():
        before, after = WINDOWS[code]
        day, last = min(days) - before * _ONE_DAY, max(days) + after * _ONE_DAY
        while day <= last:
            off.add(day)
            day += _ONE_DAY
    return frozenset(off)


@functools.cache
def spill_into(year: int) -> frozenset[dt.date]:
    """The days of ``year`` that the next year's arrangement may give off (its New Year)."""
    return frozenset(d for d in plausible_days_off(year + 1) if d.year == year)
