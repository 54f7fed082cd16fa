"""Every rule: the case that triggers it and the nearest cases that must not."""

from __future__ import annotations

from datetime import date

import pytest

from credit.rules.catalogue import (
    LEVELS,
    RULES,
    RULES_BY_CODE,
    Context,
    anniversary,
    years_before,
)
from credit.rules.engine import refs_of
from credit.rules.facts import RecordFacts
from tests.rules.conftest import (
    AS_OF,
    DAY,
    DEC_31,
    JAN_1,
    SPRING,
    THREE_YEARS_AGO,
    accident,
    after_sales,
    archive,
    complaint,
    false_claim,
    inspection,
    pass_rate,
    permit,
    spot,
    standard,
    supervised,
    violation,
)

ALL_CODES = (
    "D1 D2 D3 D4 D5 D6 D7 D8 D9 C1 C2 C3 C4 C5 C6 C7 C8 A1 A5 B1-new".split()
)


def case(
    code: str,
    expected: tuple[str, ...] | None,
    *records: RecordFacts,
    id: str,
    established_on: date | None = None,
    qualification: str = "valid",
    as_of: date = AS_OF,
):
    """One row: rule ``code`` on these records answers ``expected`` refs, or None."""
    facts = archive(*records, qualification=qualification)
    if established_on is not None:
        facts = archive(*records, qualification=qualification, established_on=established_on)
    return pytest.param(code, expected, facts, as_of, id=f"{code}-{id}")


AFTER = AS_OF + DAY
YEAR_AGO = years_before(AS_OF, 1)  # 2025-10-15: a pass rate of that date has just expired

TABLE = [
    # D1 qualification or missing permit
    case("D1", (), id="qualification-invalid", qualification="invalid"),
    case("D1", ("p",), permit("missing", ref="p"), id="permit-missing"),
    case("D1", ("p",), permit("missing", ref="p"), id="both", qualification="invalid"),
    case("D1", None, id="valid-no-records"),
    case("D1", None, permit("missing", resolved_on=AS_OF), id="missing-resolved-today"),
    case("D1", ("p",), permit("missing", resolved_on=AFTER, ref="p"), id="resolved-tomorrow"),
    case("D1", None, permit("missing", on=AFTER), id="missing-dated-tomorrow"),
    case("D1", ("p",), permit("missing", on=AS_OF, ref="p"), id="missing-dated-today"),
    case("D1", None, permit("held"), id="permit-held"),
    # D2 counterfeit this year
    case("D2", ("v",), violation(JAN_1, "counterfeit", ref="v"), id="jan-1"),
    case("D2", None, violation(DEC_31, "counterfeit"), id="dec-31-last-year"),
    case("D2", ("v",), violation(AS_OF, "counterfeit", "serious", ref="v"), id="serious-too"),
    case("D2", None, violation(AFTER, "counterfeit"), id="dated-tomorrow"),
    case("D2", None, violation(SPRING, "quality"), id="quality"),
    case("D2", None, violation(SPRING, "metrology"), id="metrology"),
    # D3 failed permit, or rectification deadline passed
    case("D3", ("p",), permit("failed", ref="p"), id="failed"),
    case("D3", ("p",), permit("failed", on=date(2015, 1, 1), ref="p"), id="failed-long-ago"),
    case("D3", None, permit("failed", resolved_on=AS_OF), id="failed-resolved-today"),
    case("D3", ("p",), permit("failed", resolved_on=AFTER, ref="p"), id="resolved-tomorrow"),
    case("D3", ("p",), permit("rectifying", deadline=AS_OF - DAY, ref="p"), id="deadline-passed"),
    case("D3", None, permit("rectifying", deadline=AS_OF), id="deadline-today"),
    case(
        "D3",
        None,
        permit("rectifying", deadline=AS_OF - DAY, resolved_on=AS_OF),
        id="deadline-passed-resolved",
    ),
    case("D3", None, permit("held"), id="held"),
    # D4 two neighbouring failed spot checks this year, or a severe / untested supervised test
    case(
        "D4",
        ("a", "b"),
        spot(date(2026, 1, 12), subject="metrology", ref="a"),
        spot(date(2026, 7, 3), ref="b"),
        id="consecutive-both-subjects",
    ),
    case(
        "D4",
        None,
        spot(date(2026, 2, 1), ref="a"),
        spot(date(2026, 3, 1), result="pass", ref="b"),
        spot(date(2026, 4, 1), ref="c"),
        id="split-by-pass",
    ),
    case(
        "D4",
        None,
        spot(DEC_31, ref="a"),
        spot(JAN_1, ref="b"),
        id="first-fail-last-year",
    ),
    case(
        "D4",
        ("a", "b", "c"),
        spot(date(2026, 2, 1), ref="a"),
        spot(date(2026, 3, 1), ref="b"),
        spot(date(2026, 4, 1), ref="c"),
        id="three-in-a-row",
    ),
    case(
        "D4",
        ("a", "b"),
        spot(date(2026, 2, 1), ref="a"),
        spot(date(2026, 3, 1), ref="b"),
        spot(date(2026, 4, 1), result="pass", ref="c"),
        spot(date(2026, 5, 1), ref="d"),
        id="pair-then-single",
    ),
    case(
        "D4",
        None,
        spot(SPRING, ref="a"),
        spot(SPRING, result="pass", ref="b"),
        spot(SPRING, ref="c"),
        id="same-day-split-by-ref-order",
    ),
    case(
        "D4",
        ("a", "b"),
        spot(SPRING, ref="b"),
        spot(SPRING, result="pass", ref="c"),
        spot(SPRING, ref="a"),
        id="same-day-neighbours-by-ref-order",
    ),
    case("D4", None, spot(SPRING, ref="a"), spot(AFTER, ref="b"), id="second-dated-tomorrow"),
    case("D4", None, spot(SPRING, ref="a"), inspection(SPRING, ref="b"), id="inspection-no-pair"),
    case("D4", ("t",), supervised(SPRING, "severe", ref="t"), id="supervised-severe"),
    case("D4", ("t",), supervised(JAN_1, "untested", ref="t"), id="supervised-untested"),
    case("D4", None, supervised(DEC_31, "severe"), id="supervised-severe-last-year"),
    case("D4", None, supervised(SPRING, "fail"), id="supervised-fail"),
    case(
        "D4",
        ("a", "t", "b"),
        spot(date(2026, 2, 1), ref="a"),
        supervised(date(2026, 2, 15), "severe", ref="t"),
        spot(date(2026, 3, 1), ref="b"),
        id="both-ways-in-date-order",
    ),
    # D5 major false claim this year
    case("D5", ("f",), false_claim(JAN_1, "major", ref="f"), id="major"),
    case("D5", None, false_claim(DEC_31, "major"), id="major-last-year"),
    case("D5", None, false_claim(SPRING, "minor"), id="minor"),
    # D6 no standard, in force
    case("D6", ("s",), standard("no_standard", ref="s"), id="no-standard"),
    case("D6", None, standard("no_standard", resolved_on=AS_OF), id="resolved-today"),
    case("D6", ("s",), standard("no_standard", resolved_on=AFTER, ref="s"), id="resolved-later"),
    case("D6", None, standard("below_declared"), id="below-declared"),
    case("D6", None, standard("no_standard", on=AFTER), id="dated-tomorrow"),
    # D7 serious violation this year
    case("D7", ("v",), violation(SPRING, "quality", "serious", ref="v"), id="quality"),
    case("D7", ("v",), violation(AS_OF, "metrology", "serious", ref="v"), id="metrology"),
    case("D7", ("v",), violation(SPRING, "counterfeit", "serious", ref="v"), id="counterfeit"),
    case("D7", None, violation(DEC_31, "quality", "serious"), id="last-year"),
    case("D7", None, violation(SPRING, "quality", "general"), id="general"),
    # D8 serious after-sales breach, in force
    case("D8", ("a",), after_sales("serious_breach", ref="a"), id="serious-breach"),
    case("D8", None, after_sales("serious_breach", resolved_on=AS_OF), id="resolved-today"),
    case("D8", ("a",), after_sales("serious_breach", resolved_on=AFTER, ref="a"), id="later"),
    case("D8", None, after_sales("deficient"), id="deficient"),
    # D9 major accident this year
    case("D9", ("a",), accident(JAN_1, "major", ref="a"), id="major"),
    case("D9", None, accident(DEC_31, "major"), id="major-last-year"),
    case("D9", None, accident(SPRING, "general"), id="general"),
    # C1 rectifying, deadline not passed
    case("C1", ("p",), permit("rectifying", deadline=AS_OF, ref="p"), id="deadline-today"),
    case("C1", ("p",), permit("rectifying", deadline=AFTER, ref="p"), id="deadline-later"),
    case("C1", None, permit("rectifying", deadline=AS_OF - DAY), id="deadline-yesterday"),
    case(
        "C1", None, permit("rectifying", deadline=AFTER, resolved_on=AS_OF), id="resolved-today"
    ),
    case("C1", None, permit("rectifying", on=AFTER, deadline=date(2027, 1, 1)), id="tomorrow"),
    case("C1", ("p",), permit("rectifying", ref="p"), id="no-deadline-counts-as-open"),
    case("C1", None, permit("held"), id="held"),
    # C2 failed spot check or inspection this year
    case("C2", ("s",), spot(JAN_1, ref="s"), id="spot-product-jan-1"),
    case("C2", ("s",), spot(AS_OF, subject="metrology", ref="s"), id="spot-metrology"),
    case("C2", ("i",), inspection(SPRING, ref="i"), id="inspection"),
    case("C2", None, spot(DEC_31), id="spot-last-year"),
    case("C2", None, inspection(DEC_31), id="inspection-last-year"),
    case("C2", None, spot(SPRING, "pass"), inspection(SPRING, "pass"), id="passes"),
    case("C2", None, spot(AFTER), id="dated-tomorrow"),
    case(
        "C2",
        ("a", "i", "b"),
        spot(date(2026, 2, 1), ref="a"),
        inspection(date(2026, 2, 1), ref="i"),
        spot(date(2026, 3, 1), ref="b"),
        id="refs-in-date-ref-order",
    ),
    # C3 failed supervised test this year, or pass rate in force below 1
    case("C3", ("t",), supervised(SPRING, "fail", ref="t"), id="supervised-fail"),
    case("C3", None, supervised(DEC_31, "fail"), id="supervised-fail-last-year"),
    case("C3", None, supervised(SPRING, "pass"), id="supervised-pass"),
    case("C3", None, supervised(SPRING, "severe"), id="supervised-severe-is-d4"),
    case("C3", ("r",), pass_rate(0.992, date(2026, 1, 31), ref="r"), id="rate-below-1"),
    case("C3", None, pass_rate(1.0), id="rate-1"),
    case(
        "C3",
        None,
        pass_rate(0.9, date(2026, 1, 31), ref="old"),
        pass_rate(1.0, date(2026, 6, 1), ref="new"),
        id="superseded-by-later-1",
    ),
    case(
        "C3",
        ("new",),
        pass_rate(1.0, date(2026, 1, 31), ref="old"),
        pass_rate(0.95, date(2026, 6, 1), ref="new"),
        id="later-below-1",
    ),
    case(
        "C3",
        ("old",),
        pass_rate(0.9, date(2026, 1, 31), ref="old"),
        pass_rate(1.0, AFTER, ref="new"),
        id="later-dated-tomorrow-not-yet",
    ),
    case(
        "C3",
        None,
        pass_rate(0.9, date(2026, 1, 31), ref="old"),
        pass_rate(1.0, date(2026, 6, 1), resolved_on=date(2026, 7, 1), ref="new"),
        id="superseded-even-if-successor-resolved",
    ),
    case(
        "C3",
        ("b",),
        pass_rate(1.0, SPRING, ref="a"),
        pass_rate(0.9, SPRING, ref="b"),
        id="same-date-both-in-force",
    ),
    case("C3", None, pass_rate(0.9, YEAR_AGO), id="rate-expired-after-1-year"),
    case("C3", ("r",), pass_rate(0.9, YEAR_AGO + DAY, ref="r"), id="rate-last-day-in-force"),
    case("C3", None, pass_rate(0.9, resolved_on=AS_OF), id="rate-resolved-today"),
    case("C3", ("r",), pass_rate(0.9, resolved_on=AFTER, ref="r"), id="rate-resolved-later"),
    case("C3", None, pass_rate(0.9, AFTER), id="rate-dated-tomorrow"),
    # C4 below declared standard, in force
    case("C4", ("s",), standard("below_declared", ref="s"), id="below-declared"),
    case("C4", None, standard("below_declared", resolved_on=AS_OF), id="resolved-today"),
    case("C4", ("s",), standard("below_declared", resolved_on=AFTER, ref="s"), id="later"),
    case("C4", None, standard("no_standard"), id="no-standard-is-d6"),
    # C5 minor false claim this year
    case("C5", ("f",), false_claim(JAN_1, "minor", ref="f"), id="minor"),
    case("C5", None, false_claim(DEC_31, "minor"), id="minor-last-year"),
    case("C5", None, false_claim(SPRING, "major"), id="major-is-d5"),
    # C6 late or unresolved complaint, or general accident, this year
    case("C6", ("c",), complaint(JAN_1, "late", ref="c"), id="late"),
    case("C6", ("c",), complaint(AS_OF, "unresolved", ref="c"), id="unresolved"),
    case("C6", None, complaint(SPRING, "timely"), id="timely"),
    case("C6", None, complaint(DEC_31, "unresolved"), id="unresolved-last-year"),
    case("C6", ("a",), accident(SPRING, "general", ref="a"), id="general-accident"),
    case("C6", None, accident(DEC_31, "general"), id="general-accident-last-year"),
    case("C6", None, accident(SPRING, "major"), id="major-accident-is-d9"),
    case(
        "C6",
        ("x",),
        complaint(SPRING, "late", ref="x"),
        accident(SPRING, "general", ref="x"),
        id="same-ref-once",
    ),
    # C7 deficient after-sales, in force
    case("C7", ("a",), after_sales("deficient", ref="a"), id="deficient"),
    case("C7", None, after_sales("deficient", resolved_on=AS_OF), id="resolved-today"),
    case("C7", ("a",), after_sales("deficient", resolved_on=AFTER, ref="a"), id="later"),
    case("C7", None, after_sales("serious_breach"), id="serious-breach-is-d8"),
    # C8 general quality or metrology violation this year
    case("C8", ("v",), violation(JAN_1, "quality", ref="v"), id="quality"),
    case("C8", ("v",), violation(AS_OF, "metrology", ref="v"), id="metrology"),
    case("C8", None, violation(DEC_31, "quality"), id="last-year"),
    case("C8", None, violation(SPRING, "quality", "serious"), id="serious-is-d7"),
    case("C8", None, violation(SPRING, "counterfeit"), id="counterfeit-is-d2"),
    # A1 established 3 years, nothing failed and no violation within 3 years
    case("A1", (), id="clean", established_on=THREE_YEARS_AGO),
    case("A1", None, id="three-years-minus-a-day", established_on=THREE_YEARS_AGO + DAY),
    case("A1", (), spot(THREE_YEARS_AGO), id="fail-exactly-3-years-ago"),
    case("A1", None, spot(THREE_YEARS_AGO + DAY), id="fail-3-years-minus-a-day"),
    case("A1", None, inspection(date(2024, 6, 1)), id="failed-inspection"),
    case("A1", None, violation(date(2024, 6, 1), "counterfeit", "serious"), id="violation"),
    case("A1", None, violation(date(2024, 6, 1), "metrology"), id="general-violation"),
    case("A1", (), spot(SPRING, "pass"), inspection(SPRING, "pass"), id="passes"),
    case("A1", (), supervised(SPRING, "fail"), id="supervised-test-not-counted"),
    case("A1", (), spot(AFTER), id="fail-dated-tomorrow"),
    # A5 no complaint and no accident this year
    case("A5", (), id="clean"),
    case("A5", None, complaint(SPRING, "timely"), id="timely-complaint"),
    case("A5", None, accident(JAN_1, "general"), id="accident"),
    case("A5", (), complaint(DEC_31, "unresolved"), accident(DEC_31), id="last-year"),
    case("A5", (), complaint(AFTER, "timely"), id="complaint-dated-tomorrow"),
    # B1-new established less than 2 years
    case("B1-new", (), id="2-years-minus-a-day", established_on=date(2024, 10, 16)),
    case("B1-new", None, id="exactly-2-years", established_on=date(2024, 10, 15)),
    case("B1-new", (), id="established-today", established_on=AS_OF),
]


@pytest.mark.parametrize("code, expected, facts, as_of", TABLE)
def test_rule(code, expected, facts, as_of):
    found = RULES_BY_CODE[code].match(Context(facts, as_of))
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert refs_of(found) == expected


def test_table_covers_every_rule_both_ways():
    holds = {p.values[0] for p in TABLE if p.values[1] is not None}
    fails = {p.values[0] for p in TABLE if p.values[1] is None}
    assert holds == fails == set(ALL_CODES)


def test_catalogue_order_and_index():
    assert [rule.code for rule in RULES] == ALL_CODES
    assert RULES_BY_CODE == {rule.code: rule for rule in RULES}
    assert all(rule.level in LEVELS and rule.code.startswith(rule.level) for rule in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_description_is_one_chinese_line(rule):
    assert rule.description and "\n" not in rule.description
    assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.description)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_a_conditions_name_their_breaches(rule):
    assert (rule.breaches is not None) == (rule.level == "A")


@pytest.mark.parametrize(
    "day, years, expected",
    [
        (date(2026, 10, 15), 3, date(2023, 10, 15)),
        (date(2028, 2, 29), 3, date(2025, 2, 28)),
        (date(2028, 2, 29), 4, date(2024, 2, 29)),
        (date(2028, 2, 29), 1, date(2027, 2, 28)),
        (date(2027, 3, 1), 1, date(2026, 3, 1)),
    ],
)
def test_years_before(day, years, expected):
    assert years_before(day, years) == expected


@pytest.mark.parametrize(
    "day, years, expected",
    [
        (date(2026, 4, 2), 3, date(2029, 4, 2)),
        (date(2024, 2, 29), 3, date(2027, 3, 1)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2025, 3, 1), 3, date(2028, 3, 1)),
    ],
)
def test_anniversary(day, years, expected):
    assert anniversary(day, years) == expected


@pytest.mark.parametrize(
    "day", [date(2024, 2, 29), date(2024, 2, 28), date(2024, 3, 1), date(2025, 3, 1)]
)
@pytest.mark.parametrize("years", [1, 2, 3, 4])
def test_anniversary_is_the_first_day_years_before_reaches(day, years):
    first = anniversary(day, years)
    assert years_before(first, years) >= day
    assert years_before(first - DAY, years) < day


def test_within_3_years_on_leap_day():
    # as of 29 Feb 2028 the window starts after 28 Feb 2025
    at = date(2028, 2, 29)
    assert RULES_BY_CODE["A1"].match(Context(archive(spot(date(2025, 2, 28))), at)) == ()
    assert RULES_BY_CODE["A1"].match(Context(archive(spot(date(2025, 3, 1))), at)) is None


def test_pass_rate_of_leap_day_in_force_through_28_february():
    facts = archive(pass_rate(0.9, date(2024, 2, 29), ref="r"))
    assert RULES_BY_CODE["C3"].match(Context(facts, date(2025, 2, 28))) is not None
    assert RULES_BY_CODE["C3"].match(Context(facts, date(2025, 3, 1))) is None
