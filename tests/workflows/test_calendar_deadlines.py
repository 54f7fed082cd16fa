"""Legal periods over a year whose holidays are not confirmed yet (2027: chinesecalendar 1.11
does not know it) are never shorter than the official arrangement will make them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from credit.models import DayKind, DCase, DCaseState
from credit.services import calendar as cal
from credit.services.tick import tick
from credit.workflows import deadline_of
from credit.workflows.d_listing import answer_notice, confirm_case, decide_case, send_notice
from credit.workflows.errors import InvalidTransition

D = dt.date


def notify(db, w, on: dt.date) -> DCase:
    w.pin(on)
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == w.e["d"].id))
    confirm_case(w.u["reviewer_city"], case)
    send_notice(w.u["publisher"], case)
    return case


def enter_2027_arrangement(admin) -> None:
    """An arrangement as the State Council might publish it: New Year 1-3 January; Spring
    Festival 5-12 February (eight days from the eve) with Saturday 20 February worked."""
    for day in (11, 12):
        cal.set_day(admin, D(2027, 2, day), DayKind.HOLIDAY, note="春节")
    cal.set_day(admin, D(2027, 2, 20), DayKind.WORKDAY, note="春节调休上班")
    cal.confirm_year(admin, 2027, note="国务院办公厅关于2027年部分节假日安排的通知")


@pytest.mark.parametrize("seeded", [False, True])
def test_notice_before_new_year_2027(db, world, seeded):
    """Was 2027-01-07 (31 December and 1 January counted as working days)."""
    if seeded:
        cal.seed_calendar(None)
    case = notify(db, world, D(2026, 12, 24))
    assert case.answer_due >= D(2027, 1, 8)  # 1 January off at least
    assert case.answer_due == D(2027, 1, 11)  # 31 December may be off too
    assert cal.deadline_is_provisional(case)


@pytest.mark.parametrize("seeded", [False, True])
def test_notice_before_spring_festival_2027(db, world, seeded):
    """Was 2027-02-18 (the Spring Festival counted as working days)."""
    if seeded:
        cal.seed_calendar(None)
    case = notify(db, world, D(2027, 2, 4))
    assert case.answer_due >= D(2027, 2, 26)  # 5-12 February off, no weekend worked
    assert cal.deadline_is_provisional(case)


def test_an_answer_on_the_real_last_day_is_accepted(db, world):
    case = notify(db, world, D(2027, 2, 4))
    enter_2027_arrangement(world.u["admin"])
    assert not cal.deadline_is_provisional(case)
    assert case.answer_due == D(2027, 2, 26)  # the confirmed count gives the 25th: kept
    world.pin(D(2027, 2, 25))  # the last day by the official arrangement
    answer_notice(world.u["ent_d"], case, "陈述申辩")
    assert case.state == DCaseState.ANSWERED


def test_tick_does_not_close_the_period_early(db, world):
    case = notify(db, world, D(2027, 2, 4))
    for day in (D(2027, 2, 18), D(2027, 2, 25), D(2027, 2, 26)):
        assert tick(day).answer_periods_closed == 0
        assert case.state == DCaseState.NOTIFIED
    world.pin(D(2027, 2, 26))
    with pytest.raises(InvalidTransition, match="may answer until 2027-02-26"):
        decide_case(world.u["publisher"], case, publish=False, note="x")
    assert tick(D(2027, 2, 27)).answer_periods_closed == 1
    assert (case.state, case.answer_closed_on) == (DCaseState.ANSWER_CLOSED, D(2027, 2, 27))


def test_a_confirmed_year_counts_exactly(db, world):
    enter_2027_arrangement(world.u["admin"])
    case = notify(db, world, D(2027, 2, 4))
    assert case.answer_due == D(2027, 2, 25)  # 15-19, Saturday 20, 22-25 February
    assert deadline_of(case) == D(2027, 2, 25)
    assert not cal.deadline_is_provisional(case)
