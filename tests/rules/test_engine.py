"""The engine: level order, reasons, B's unmet list, and the sample archive."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from credit.rules import RULEBOOK_ID, ArchiveFacts, Assessment, Reason, RecordFacts, evaluate
from tests.rules.conftest import (
    AS_OF,
    DAY,
    DEC_31,
    JAN_1,
    SPRING,
    THREE_YEARS_AGO,
    accident,
    archive,
    complaint,
    inspection,
    pass_rate,
    permit,
    spot,
    supervised,
    violation,
)

EXAMPLES = Path(__file__).parents[1] / "data"


def codes(assessment: Assessment) -> list[str]:
    """The reason codes of an assessment."""
    return [reason.code for reason in assessment.reasons]


GRADES = [
    pytest.param(archive(), "A", [], id="clean-old-enterprise"),
    pytest.param(archive(spot(ref="s")), "C", ["C2"], id="one-failed-spot-check"),
    pytest.param(
        archive(
            spot(date(2026, 2, 1), ref="a"),
            spot(date(2026, 3, 1), "pass"),
            spot(date(2026, 4, 1), ref="b"),
        ),
        "C",
        ["C2"],
        id="fail-pass-fail-is-c2-not-d4",
    ),
    pytest.param(
        archive(spot(date(2026, 2, 1), ref="a"), spot(date(2026, 3, 1), ref="b")),
        "D",
        ["D4"],
        id="fail-fail-is-d4-only",
    ),
    pytest.param(
        archive(
            violation(category="counterfeit", severity="serious"),
            permit("rectifying", deadline=AS_OF),
            spot(),
        ),
        "D",
        ["D2", "D7"],
        id="all-d-reasons-no-c",
    ),
    pytest.param(
        archive(complaint(resolution="unresolved"), pass_rate(0.5), inspection()),
        "C",
        ["C2", "C3", "C6"],
        id="all-c-reasons-in-order",
    ),
    pytest.param(archive(permit("rectifying", deadline=AS_OF)), "C", ["C1"], id="deadline-today"),
    pytest.param(
        archive(permit("rectifying", deadline=AS_OF - DAY)), "D", ["D3"], id="deadline-yesterday"
    ),
    pytest.param(archive(spot(DEC_31)), "B", [], id="last-years-fail-still-within-3-years"),
    pytest.param(archive(spot(THREE_YEARS_AGO)), "A", [], id="fail-exactly-3-years-ago"),
    pytest.param(archive(complaint(resolution="timely")), "B", [], id="timely-complaint"),
    pytest.param(archive(qualification="invalid"), "D", ["D1"], id="invalid-qualification"),
    pytest.param(
        archive(established_on=date(2024, 10, 16)), "B", ["B1-new"], id="two-years-minus-a-day"
    ),
    pytest.param(archive(established_on=date(2024, 10, 15)), "B", [], id="exactly-two-years"),
    pytest.param(archive(established_on=THREE_YEARS_AGO), "A", [], id="exactly-three-years"),
    pytest.param(
        archive(spot(), established_on=date(2025, 9, 1)), "C", ["C2"], id="new-but-failed"
    ),
    pytest.param(archive(spot(AS_OF + DAY)), "A", [], id="future-record-ignored"),
]


@pytest.mark.parametrize("facts, grade, expected_codes", GRADES)
def test_grade(facts, grade, expected_codes):
    assessment = evaluate(facts, AS_OF)
    assert (assessment.grade, codes(assessment)) == (grade, expected_codes)
    assert assessment.rulebook == RULEBOOK_ID


def test_reason_refs_in_date_ref_order_and_once():
    facts = archive(
        spot(date(2026, 5, 1), ref="z"),
        inspection(date(2026, 2, 1), ref="m"),
        spot(date(2026, 2, 1), ref="k", result="pass"),
        spot(date(2026, 8, 1), ref="a", result="pass"),
    )
    assert evaluate(facts, AS_OF).reasons == (Reason("C2", ("m", "z")),)


def test_d_assessment_has_no_unmet():
    assessment = evaluate(archive(supervised(result="untested", ref="t")), AS_OF)
    assert assessment == Assessment("D", (Reason("D4", ("t",)),))


def test_a_has_no_reasons_and_no_unmet():
    assert evaluate(archive(), AS_OF) == Assessment("A", ())


def test_b_lists_unmet_a_conditions_with_their_records():
    facts = archive(
        spot(date(2024, 3, 1), ref="old-fail"),
        violation(date(2025, 6, 1), ref="viol"),
        inspection(date(2025, 1, 1), ref="insp"),
        complaint(JAN_1, "timely", ref="comp"),
        accident(DEC_31, ref="last-year-accident"),
        spot(SPRING, "pass", ref="pass"),
    )
    assessment = evaluate(facts, AS_OF)
    assert assessment == Assessment(
        "B",
        (),
        (Reason("A1", ("old-fail", "insp", "viol")), Reason("A5", ("comp",))),
    )


def test_young_b_has_a1_unmet_without_refs():
    assessment = evaluate(archive(established_on=date(2025, 9, 1)), AS_OF)
    assert assessment == Assessment("B", (Reason("B1-new"),), (Reason("A1"),))


def test_young_and_failed_lists_the_failures():
    facts = archive(spot(DEC_31, ref="f"), established_on=date(2022, 1, 1))
    assessment = evaluate(facts, AS_OF)
    assert assessment == Assessment("B", (), (Reason("A1", ("f",)),))


def _record(raw: dict) -> RecordFacts:
    """A record of the exchange format as facts (dates parsed, notes dropped)."""
    fields = {key: value for key, value in raw.items() if key in RecordFacts.__slots__}
    for key in ("date", "deadline", "resolved_on"):
        if fields.get(key) is not None:
            fields[key] = date.fromisoformat(fields[key])
    return RecordFacts(**fields)


def test_sample_archive_matches_expected_grades():
    # a missing example must fail the build, never skip
    archive_file = EXAMPLES / "sample-archive.json"
    expected_file = EXAMPLES / "sample-expected.json"
    assert archive_file.is_file(), f"sample archive not found at {archive_file}"
    assert expected_file.is_file(), f"expected grades not found at {expected_file}"
    sample = json.loads(archive_file.read_text(encoding="utf-8"))
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    as_of = date.fromisoformat(expected["as_of"])

    got = []
    for enterprise in sample["enterprises"]:
        facts = ArchiveFacts(
            established_on=date.fromisoformat(enterprise["established_on"]),
            qualification=enterprise.get("qualification", "valid"),
            records=tuple(_record(raw) for raw in enterprise.get("records", [])),
        )
        assessment = evaluate(facts, as_of)
        got.append(
            {"uscc": enterprise["uscc"], "grade": assessment.grade, "codes": codes(assessment)}
        )
    assert got == expected["grades"]
