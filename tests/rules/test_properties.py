"""Properties of the engine and the forecast over generated archives."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from credit.rules import ArchiveFacts, RecordFacts, evaluate, forecast
from credit.rules.catalogue import RULES_BY_CODE
from credit.rules.engine import GRADE_RANK

AS_OF = st.dates(date(2022, 1, 1), date(2028, 12, 31))
REFS = st.sampled_from(["r1", "r2", "r3", "r4"])


def records(days: st.SearchStrategy[date], later: st.SearchStrategy[date]):
    """Records of every type dated ``days``, with deadlines and resolutions drawn from ``later``."""

    def kind(name: str, **fields: st.SearchStrategy) -> st.SearchStrategy[RecordFacts]:
        return st.builds(RecordFacts, type=st.just(name), ref=REFS, date=days, **fields)

    resolved = st.none() | later
    return st.one_of(
        kind(
            "spot_check",
            subject=st.sampled_from(["product", "metrology"]),
            result=st.sampled_from(["pass", "fail"]),
        ),
        kind("inspection", result=st.sampled_from(["pass", "fail"])),
        kind("supervised_test", result=st.sampled_from(["pass", "fail", "severe", "untested"])),
        kind(
            "violation",
            category=st.sampled_from(["quality", "metrology", "counterfeit"]),
            severity=st.sampled_from(["general", "serious"]),
        ),
        kind("false_claim", harm=st.sampled_from(["minor", "major"])),
        kind("complaint", resolution=st.sampled_from(["timely", "late", "unresolved"])),
        kind("accident", severity=st.sampled_from(["general", "major"])),
        kind(
            "permit",
            status=st.sampled_from(["held", "rectifying", "failed", "missing"]),
            deadline=later,
            resolved_on=resolved,
        ),
        kind(
            "standard",
            finding=st.sampled_from(["below_declared", "no_standard"]),
            resolved_on=resolved,
        ),
        kind(
            "after_sales",
            finding=st.sampled_from(["deficient", "serious_breach"]),
            resolved_on=resolved,
        ),
        kind("pass_rate", rate=st.sampled_from([0.9, 0.999, 1.0]), resolved_on=resolved),
    )


DAYS = st.dates(date(2021, 1, 1), date(2028, 12, 31))
RECORDS = records(DAYS, DAYS)
ARCHIVES = st.builds(
    ArchiveFacts,
    established_on=st.dates(date(2018, 1, 1), date(2027, 12, 31)),
    qualification=st.sampled_from(["valid", "valid", "valid", "invalid"]),
    records=st.lists(RECORDS, max_size=8).map(tuple),
)


def _on_or_before(as_of: date) -> st.SearchStrategy[date]:
    return st.dates(as_of - timedelta(days=4 * 366), as_of)


def _signature(assessment) -> tuple[str, tuple[str, ...]]:
    return assessment.grade, tuple(reason.code for reason in assessment.reasons)


@given(ARCHIVES, AS_OF, st.lists(RECORDS, min_size=1, max_size=4), st.data())
def test_records_after_as_of_change_nothing(facts, as_of, extra, data):
    later = tuple(
        replace(r, date=as_of + timedelta(days=data.draw(st.integers(1, 2000)))) for r in extra
    )
    with_future = replace(facts, records=facts.records + later)
    assert evaluate(with_future, as_of) == evaluate(facts, as_of)


def _never_improves(facts: ArchiveFacts, as_of: date, added: RecordFacts) -> None:
    before = evaluate(facts, as_of)
    after = evaluate(replace(facts, records=(*facts.records, added)), as_of)
    assert GRADE_RANK[after.grade] <= GRADE_RANK[before.grade]


@given(ARCHIVES, AS_OF, st.data())
def test_failed_spot_check_never_improves(facts, as_of, data):
    added = RecordFacts(
        "spot_check",
        "added",
        data.draw(_on_or_before(as_of)),
        subject=data.draw(st.sampled_from(["product", "metrology"])),
        result="fail",
    )
    _never_improves(facts, as_of, added)


@given(ARCHIVES, AS_OF, st.data())
def test_violation_never_improves(facts, as_of, data):
    added = RecordFacts(
        "violation",
        "added",
        data.draw(_on_or_before(as_of)),
        category=data.draw(st.sampled_from(["quality", "metrology", "counterfeit"])),
        severity=data.draw(st.sampled_from(["general", "serious"])),
    )
    _never_improves(facts, as_of, added)


@given(ARCHIVES, AS_OF, st.data())
def test_late_or_unresolved_complaint_never_improves(facts, as_of, data):
    added = RecordFacts(
        "complaint",
        "added",
        data.draw(_on_or_before(as_of)),
        resolution=data.draw(st.sampled_from(["late", "unresolved"])),
    )
    _never_improves(facts, as_of, added)


@given(ARCHIVES, AS_OF)
def test_reasons_fit_the_grade(facts, as_of):
    assessment = evaluate(facts, as_of)
    levels = [RULES_BY_CODE[reason.code].level for reason in assessment.reasons]
    codes = [reason.code for reason in assessment.reasons]
    assert codes == sorted(codes, key=list(RULES_BY_CODE).index)  # rulebook order, each once
    assert len(set(codes)) == len(codes)
    if assessment.grade == "D":
        assert levels and set(levels) == {"D"}
    elif assessment.grade == "C":
        assert levels and set(levels) == {"C"}
    elif assessment.grade == "B":
        assert codes in ([], ["B1-new"])
        assert assessment.unmet and {r.code for r in assessment.unmet} <= {"A1", "A5"}
    else:
        assert assessment.reasons == () and assessment.unmet == ()
    if assessment.grade != "B":
        assert assessment.unmet == ()


@given(ARCHIVES, AS_OF, st.data())
def test_deterministic_and_independent_of_record_order(facts, as_of, data):
    shuffled = replace(facts, records=tuple(data.draw(st.permutations(facts.records))))
    assert evaluate(facts, as_of) == evaluate(facts, as_of) == evaluate(shuffled, as_of)


def _daily_changes(facts: ArchiveFacts, as_of: date, through: date) -> list[tuple]:
    """The forecast the slow way: evaluate every single day."""
    facts = replace(facts, records=tuple(r for r in facts.records if r.date <= as_of))
    seen = _signature(evaluate(facts, as_of))
    changes = []
    day = as_of + timedelta(days=1)
    while day <= through:
        assessment = evaluate(facts, day)
        if _signature(assessment) != seen:
            seen = _signature(assessment)
            changes.append((day, assessment.grade, assessment.reasons))
        day += timedelta(days=1)
    return changes


LEAP_DAY = date(2024, 2, 29)
# for the forecast: every record exists on the evaluation date (2025), and deadlines,
# resolutions and anniversaries fall in the years after it
PAST_ARCHIVES = st.builds(
    ArchiveFacts,
    established_on=st.dates(date(2019, 1, 1), date(2024, 12, 31)),
    records=st.lists(
        records(
            st.dates(date(2021, 1, 1), date(2024, 12, 31)),
            st.dates(date(2024, 6, 1), date(2028, 12, 31)),
        ),
        min_size=1,
        max_size=6,
    ).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(PAST_ARCHIVES, st.dates(date(2025, 1, 1), date(2025, 12, 31)))
@example(
    ArchiveFacts(
        LEAP_DAY,
        records=(
            RecordFacts("spot_check", "s", LEAP_DAY, subject="product", result="fail"),
            RecordFacts("pass_rate", "r", LEAP_DAY, rate=0.9),
            RecordFacts("permit", "p", LEAP_DAY, status="rectifying", deadline=date(2025, 2, 27)),
        ),
    ),
    LEAP_DAY,
)
def test_forecast_agrees_with_evaluating_every_day(facts, as_of):
    # no boundary of these archives lies after 2031 (records end 2028, + 3 years)
    through = date(2032, 1, 1)
    got = [(c.on, c.grade, c.reasons) for c in forecast(facts, as_of)]
    assert got == _daily_changes(facts, as_of, through)


@settings(max_examples=20, deadline=None)
@given(ARCHIVES, AS_OF)
def test_forecast_ignores_what_is_dated_after_as_of(facts, as_of):
    got = [(c.on, c.grade, c.reasons) for c in forecast(facts, as_of)]
    assert got == _daily_changes(facts, as_of, date(2032, 1, 1))
