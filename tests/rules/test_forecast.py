"""The forecast: when a grade will change if nothing new is recorded."""

from __future__ import annotations

from datetime import date

from credit.rules import Change, Reason, evaluate, forecast
from credit.rules.forecast import boundaries
from tests.rules.conftest import (
    AS_OF,
    DAY,
    archive,
    complaint,
    pass_rate,
    permit,
    spot,
)


def test_failed_spot_check_is_c_then_b_then_a():
    facts = archive(spot(date(2026, 4, 2), ref="s"))
    assert evaluate(facts, AS_OF).grade == "C"
    assert forecast(facts, AS_OF) == [
        Change(date(2027, 1, 1), "B", ()),  # no longer this year, still within 3 years
        Change(date(2029, 4, 2), "A", ()),  # dated d, it leaves "within 3 years" on d + 3 years
    ]
    assert evaluate(facts, date(2029, 4, 1)).grade == "B"


def test_rectifying_permit_crosses_its_deadline():
    facts = archive(permit("rectifying", date(2026, 5, 1), deadline=date(2026, 11, 30), ref="p"))
    assert evaluate(facts, AS_OF).reasons == (Reason("C1", ("p",)),)
    assert forecast(facts, AS_OF) == [Change(date(2026, 12, 1), "D", (Reason("D3", ("p",)),))]


def test_resolved_permit_ends_its_grade_on_resolved_on():
    facts = archive(
        permit("rectifying", deadline=date(2026, 11, 30), resolved_on=date(2027, 2, 1), ref="p")
    )
    assert forecast(facts, AS_OF) == [
        Change(date(2026, 12, 1), "D", (Reason("D3", ("p",)),)),
        Change(date(2027, 2, 1), "A", ()),
    ]


def test_young_enterprise_grows_into_b_then_a():
    facts = archive(established_on=date(2025, 9, 1))
    assert evaluate(facts, AS_OF).reasons == (Reason("B1-new"),)
    assert forecast(facts, AS_OF) == [
        Change(date(2027, 9, 1), "B", ()),
        Change(date(2028, 9, 1), "A", ()),
    ]


def test_pass_rate_expires_after_a_year():
    facts = archive(pass_rate(0.992, date(2026, 1, 31), ref="r"))
    assert forecast(facts, AS_OF) == [Change(date(2027, 1, 31), "A", ())]


def test_timely_complaint_stops_counting_on_new_year():
    facts = archive(complaint(date(2026, 2, 2), "timely"))
    assert forecast(facts, AS_OF) == [Change(date(2027, 1, 1), "A", ())]


def test_change_of_reason_codes_without_change_of_grade():
    facts = archive(permit("rectifying", deadline=date(2027, 6, 30), ref="p"), spot(ref="s"))
    assert [(c.on, c.grade, [r.code for r in c.reasons]) for c in forecast(facts, AS_OF)] == [
        (date(2027, 1, 1), "C", ["C1"]),
        (date(2027, 7, 1), "D", ["D3"]),
    ]


def test_clean_archive_never_changes():
    assert forecast(archive(), AS_OF) == []


def test_horizon_is_inclusive_and_cuts_off():
    facts = archive(spot(date(2026, 4, 2)))
    assert forecast(facts, AS_OF, horizon=date(2029, 4, 1)) == [Change(date(2027, 1, 1), "B", ())]
    assert len(forecast(facts, AS_OF, horizon=date(2029, 4, 2))) == 2
    assert forecast(facts, AS_OF, horizon=date(2026, 12, 31)) == []
    assert forecast(facts, AS_OF, horizon=AS_OF - DAY) == []


def test_future_records_are_ignored():
    facts = archive(spot(date(2026, 4, 2), ref="s"))
    with_future = archive(
        spot(date(2026, 4, 2), ref="s"),
        spot(date(2026, 12, 1), ref="future"),
        permit("missing", date(2027, 3, 1), ref="future-permit"),
    )
    assert forecast(with_future, AS_OF) == forecast(facts, AS_OF)


def test_boundaries():
    facts = archive(
        spot(date(2026, 4, 2)),
        permit("rectifying", deadline=date(2026, 11, 30), resolved_on=date(2027, 2, 1)),
        pass_rate(0.9, date(2024, 2, 29)),
        established_on=date(2024, 2, 29),
    )
    assert boundaries(facts) == {
        date(2029, 4, 2),  # spot check + 3 years
        date(2028, 5, 1),  # permit date + 3 years
        date(2027, 2, 1),  # resolved_on
        date(2026, 12, 1),  # deadline + 1 day
        date(2027, 3, 1),  # pass rate of 29 Feb + 3 years
        date(2025, 3, 1),  # pass rate of 29 Feb + 1 year
        date(2026, 3, 1),  # established + 2 years
    }


def test_far_horizon_and_end_of_calendar_are_bounded():
    facts = archive(spot(date(2026, 4, 2)))
    assert len(forecast(facts, AS_OF, horizon=date(2400, 1, 1))) == 2
    late = date(9998, 6, 1)
    assert forecast(archive(spot(late)), late) == [Change(date(9999, 1, 1), "B", ())]
