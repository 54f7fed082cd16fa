"""The working-day calendar service: who may change it, what each change writes to the audit
log, and how a change moves the open deadlines (never against the enterprise)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select, update

from credit import workdays
from credit.calendar_rules import CHINESECALENDAR
from credit.models import AuditEntry, CalendarDay, CalendarYear, DayKind, DCase, DCaseState
from credit.permissions import can_manage_settings
from credit.services import audit
from credit.services import calendar as cal
from credit.services.tick import tick
from credit.workdays import add_workdays, is_workday
from credit.workflows.d_listing import answer_notice, confirm_case, send_notice
from credit.workflows.errors import InvalidInput, InvalidTransition, NotPermitted
from credit.workflows.repair import apply_for_repair
from tests.workflows.conftest import _fast_password_hashes, world  # noqa: F401
from tests.workflows.test_repair import publish_d

D = dt.date


def actions(db, since: int = 0) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.id > since)
                                   .order_by(AuditEntry.id)))


def last_entry_id(db) -> int:
    return db.session.scalar(select(func.max(AuditEntry.id))) or 0


def notify(db, w, key: str = "d", on: str | D = "2026-10-15") -> DCase:
    w.pin(on)
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == w.e[key].id))
    confirm_case(w.u["reviewer_city"], case)
    send_notice(w.u["publisher" if key == "d" else "publisher_h"], case)
    return case


# -- permissions ----------------------------------------------------------------------------

USERS = [("admin", True), ("recorder", False), ("reviewer_city", False),
         ("publisher", False), ("auditor", False), ("evaluator", False), ("ent_a", False)]


@pytest.mark.parametrize(("user", "expected"), USERS)
def test_can_manage_settings(db, world, user, expected):  # noqa: F811
    assert can_manage_settings(world.u[user]) is expected


def test_an_inactive_admin_manages_nothing(db, world):  # noqa: F811
    world.u["admin"].active = False
    assert not can_manage_settings(world.u["admin"])
    with pytest.raises(NotPermitted):
        cal.confirm_year(world.u["admin"], 2027)


CHANGES = {
    "set_day": lambda u: cal.set_day(u, D(2026, 11, 3), "holiday"),
    "preview_set_day": lambda u: cal.preview_set_day(u, D(2026, 11, 3), "holiday"),
    "confirm_year": lambda u: cal.confirm_year(u, 2027),
    "preview_confirm_year": lambda u: cal.preview_confirm_year(u, 2027),
    "unconfirm_year": lambda u: cal.unconfirm_year(u, 2026, note="error"),
    "seed_calendar": lambda u: cal.seed_calendar(u),
}


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("user", ["recorder", "publisher", "auditor", "ent_d"])
def test_only_the_city_admin_changes_the_calendar(db, world, change, user):  # noqa: F811
    before = last_entry_id(db)
    with pytest.raises(NotPermitted):
        CHANGES[change](world.u[user])
    assert last_entry_id(db) == before
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0


@pytest.mark.parametrize("change", CHANGES)
def test_the_city_admin_and_the_command_line_may(db, world, change):  # noqa: F811
    CHANGES[change](world.u["admin"])
    CHANGES[change](None)


# -- audit ----------------------------------------------------------------------------------


def test_every_change_is_audited_and_the_chain_holds(db, world):  # noqa: F811
    admin = world.u["admin"]
    start = last_entry_id(db)
    cal.set_day(admin, D(2026, 11, 3), DayKind.HOLIDAY, note="临时放假")
    # the year was not stored: it is seeded first, then changed
    assert actions(db, start) == ["calendar.seed", "calendar.set_day"]
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert (entry.actor, entry.object_type, entry.object_id) == ("admin", "calendar_day",
                                                                 "2026-11-03")
    assert entry.before is None
    assert entry.after == {"kind": "holiday", "name": "临时放假", "source": "manual",
                           "note": "临时放假"}
    mark = last_entry_id(db)
    cal.set_day(admin, D(2026, 11, 3), "normal")
    cal.confirm_year(admin, 2027, note="国办通知")
    cal.unconfirm_year(admin, 2027, note="录入有误")
    assert actions(db, mark) == ["calendar.set_day", "calendar.seed", "calendar.confirm_year",
                                 "calendar.unconfirm_year"]
    db.session.commit()
    assert next(audit.verify(), None) is None


def test_a_change_that_changes_nothing_writes_nothing(db, world):  # noqa: F811
    admin = world.u["admin"]
    cal.seed_calendar(admin)
    cal.set_day(admin, D(2026, 11, 3), DayKind.HOLIDAY)
    mark = last_entry_id(db)
    assert not cal.set_day(admin, D(2026, 11, 3), DayKind.HOLIDAY).changed
    assert not cal.set_day(admin, D(2026, 11, 4), "normal").changed
    assert not cal.confirm_year(admin, 2026).changed
    assert not cal.seed_calendar(admin).seeded
    assert last_entry_id(db) == mark


# -- input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "kind", "note", "message"), [
    (D(2026, 11, 4), "workday", None, "2026-11-04 is a Wednesday, a working day already"),
    (D(2026, 11, 4), "weekend", None, "'weekend': the kind of a day is holiday, workday or "
                                      "normal"),
    (D(1999, 1, 1), "holiday", None, "1999: the calendar covers the years 2000-2100"),
    (D(2026, 11, 4), "holiday", "x" * 201, "the note is 201 characters; at most 200"),
])
def test_bad_input_is_refused_and_changes_nothing(db, world, day, kind, note,  # noqa: F811
                                                  message):
    with pytest.raises(InvalidInput) as refused:
        cal.set_day(world.u["admin"], day, kind, note=note)
    assert str(refused.value).startswith(message)
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0


def test_withdrawing_a_confirmation_needs_a_reason(db, world):  # noqa: F811
    with pytest.raises(InvalidInput, match="needs its reason"):
        cal.unconfirm_year(world.u["admin"], 2026, note=" ")


# -- reading --------------------------------------------------------------------------------


def test_status_of_a_year_stored_or_not(db, world):  # noqa: F811
    status = cal.year_status(2026)
    assert (status.stored, status.confirmed, status.source) == (False, True, CHINESECALENDAR)
    assert status.confirmed_by == f"seed: {CHINESECALENDAR}"
    assert (status.days_off, status.days_worked) == (19, 6)
    assert not cal.year_status(2027).confirmed
    cal.seed_calendar(None)
    cal.confirm_year(world.u["admin"], 2027, note="checked")
    status = cal.year_status(2027)
    assert (status.stored, status.confirmed, status.confirmed_by, status.note) == (
        True, True, "admin", "checked")
    assert status.source.startswith("holidays ")
    assert [s.year for s in cal.stored_years()] == list(range(2004, 2029))


def test_special_days_and_the_conservative_extra_days(db, world):  # noqa: F811
    days = {s.day: s for s in cal.special_days(2027)}
    assert days[D(2027, 2, 9)].kind is DayKind.HOLIDAY and days[D(2027, 2, 9)].counts
    assert not days[D(2027, 2, 6)].counts  # a Saturday
    extra = cal.provisional_days_off(2027)
    assert D(2027, 2, 12) in extra and D(2027, 10, 8) in extra
    assert D(2027, 2, 9) not in extra  # stored already
    assert cal.provisional_days_off(2026) == []
    cal.set_day(world.u["admin"], D(2027, 2, 20), DayKind.WORKDAY, note="调休上班")
    made = {s.day: s for s in cal.special_days(2027)}[D(2027, 2, 20)]
    assert (made.kind, made.name, made.source, made.set_by, made.counts) == (
        DayKind.WORKDAY, "调休上班", "manual", "admin", True)


@pytest.mark.parametrize(("today", "expected"), [
    (D(2026, 10, 15), []), (D(2026, 10, 31), []), (D(2026, 11, 1), [2027]),
    (D(2026, 12, 28), [2027]), (D(2027, 1, 10), [2027]), (D(2027, 11, 2), [2027, 2028]),
])
def test_years_to_confirm(db, today, expected):
    assert cal.years_to_confirm(today) == expected


def test_a_confirmed_coming_year_is_no_warning(db, world):  # noqa: F811
    cal.confirm_year(world.u["admin"], 2027)
    assert cal.years_to_confirm(D(2026, 12, 1)) == []


# -- seeding --------------------------------------------------------------------------------


def test_seeding_is_safe_to_repeat(db, world):  # noqa: F811
    seeded = cal.seed_calendar(None).seeded
    assert [s.year for s in seeded] == list(range(2004, 2029))  # today is 2026-10-15
    assert all(s.confirmed for s in seeded if s.year <= 2026)
    assert not any(s.confirmed for s in seeded if s.year > 2026)
    assert cal.seed_calendar(None).seeded == []
    assert [s.year for s in cal.seed_calendar(None, through=2030).seeded] == [2029, 2030]


def test_seeding_never_overwrites_an_edited_or_confirmed_year(db, world):  # noqa: F811
    cal.seed_calendar(None)
    cal.set_day(world.u["admin"], D(2027, 3, 3), DayKind.HOLIDAY)
    db.session.execute(update(CalendarYear).where(CalendarYear.year == 2028)
                       .values(source="an older library"))
    seeded = cal.seed_calendar(None).seeded
    assert [s.year for s in seeded] == []  # 2028 still says the same
    assert db.session.get(CalendarDay, D(2027, 3, 3)).source == "manual"


def test_seeding_refreshes_a_year_the_libraries_now_know(db, world):  # noqa: F811
    """A year stored by rule (unconfirmed), which a newer chinesecalendar knows: seeding
    replaces it with the published arrangement, and the deadlines follow."""
    cal.seed_calendar(None)
    # As if 2026 had been seeded before chinesecalendar knew it: by rule, unconfirmed.
    db.session.execute(update(CalendarYear).where(CalendarYear.year == 2026).values(
        confirmed=False, confirmed_at=None, confirmed_by=None, source="holidays (by rule)"))
    db.session.execute(delete(CalendarDay).where(CalendarDay.year == 2026,
                                                 CalendarDay.kind == "workday"))
    workdays.forget()
    assert not is_workday(D(2026, 2, 14))
    seeded = cal.seed_calendar(None).seeded
    assert [s.year for s in seeded] == [2026]
    assert seeded[0].confirmed and seeded[0].source == CHINESECALENDAR
    assert is_workday(D(2026, 2, 14))  # the adjusted Saturday is back


# -- recomputing deadlines: the D answer period -----------------------------------------------


def test_a_holiday_added_in_an_answer_period_extends_it(db, world):  # noqa: F811
    case = notify(db, world)  # Thursday 15 October 2026
    assert case.answer_due == D(2026, 10, 29)
    version = case.version
    mark = last_entry_id(db)
    change = cal.set_day(world.u["admin"], D(2026, 10, 20), DayKind.HOLIDAY, note="临时")
    assert case.answer_due == D(2026, 10, 30)
    assert case.version == version + 1  # anyone acting on the old version must reload
    [move] = change.moves
    assert (move.object_type, move.object_id, move.field, move.old, move.new, move.action) == (
        "d_case", case.id, "answer_due", D(2026, 10, 29), D(2026, 10, 30), "extend")
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.id > mark, AuditEntry.action == "d_case.extend_answer_period"))
    assert entry.actor == "admin" and entry.object_id == str(case.id)
    assert entry.before["answer_due"] == "2026-10-29"
    assert entry.after["answer_due"] == "2026-10-30"
    assert entry.after["calendar"] == "set 2026-10-20"


def test_an_answer_period_is_never_shortened(db, world):  # noqa: F811
    case = notify(db, world)
    cal.set_day(world.u["admin"], D(2026, 10, 20), DayKind.HOLIDAY)
    assert case.answer_due == D(2026, 10, 30)
    mark = last_entry_id(db)
    # Undoing the holiday, or working a Saturday, would end the period earlier: it stays.
    assert cal.preview_set_day(world.u["admin"], D(2026, 10, 24), DayKind.WORKDAY) == []
    assert cal.set_day(world.u["admin"], D(2026, 10, 24), DayKind.WORKDAY).moves == []
    assert cal.set_day(world.u["admin"], D(2026, 10, 20), "normal").moves == []
    assert case.answer_due == D(2026, 10, 30)
    assert "d_case.extend_answer_period" not in actions(db, mark)


def test_a_period_closed_too_early_is_reopened(db, world):  # noqa: F811
    case = notify(db, world)
    world.pin("2026-10-30")
    tick(D(2026, 10, 30))
    assert case.state == DCaseState.ANSWER_CLOSED
    change = cal.set_day(world.u["admin"], D(2026, 10, 21), DayKind.HOLIDAY)
    assert [m.action for m in change.moves] == ["reopen"]
    assert (case.state, case.answer_due, case.answer_closed_on) == (
        DCaseState.NOTIFIED, D(2026, 10, 30), None)
    assert "d_case.reopen_answer_period" in actions(db)
    answer_notice(world.u["ent_d"], case, "申辩")  # on its last day
    assert case.state == DCaseState.ANSWERED


def test_a_period_cut_short_that_cannot_be_reopened_is_reported(db, world):  # noqa: F811
    case = notify(db, world)
    tick(D(2026, 10, 30))
    world.pin("2026-11-05")
    change = cal.set_day(world.u["admin"], D(2026, 10, 21), DayKind.HOLIDAY)
    [move] = change.moves
    assert (move.action, move.old, move.computed, move.new) == (
        "cut_short", D(2026, 10, 29), D(2026, 10, 30), D(2026, 10, 29))
    assert case.state == DCaseState.ANSWER_CLOSED and case.answer_due == D(2026, 10, 29)
    assert "d_case.answer_period_cut_short" in actions(db)


def test_an_answered_case_is_left_alone(db, world):  # noqa: F811
    case = notify(db, world)
    answer_notice(world.u["ent_d"], case, "申辩")
    assert cal.set_day(world.u["admin"], D(2026, 10, 20), DayKind.HOLIDAY).moves == []
    assert case.answer_due == D(2026, 10, 29)


def test_a_change_outside_the_period_moves_nothing(db, world):  # noqa: F811
    case = notify(db, world)
    assert cal.set_day(world.u["admin"], D(2026, 10, 15), DayKind.HOLIDAY).moves == []
    assert cal.set_day(world.u["admin"], D(2026, 11, 2), DayKind.HOLIDAY).moves == []
    assert case.answer_due == D(2026, 10, 29)


def test_confirming_a_year_keeps_the_longer_provisional_period(db, world):  # noqa: F811
    case = notify(db, world, on="2026-12-24")
    assert case.answer_due == D(2027, 1, 11)
    assert cal.deadline_is_provisional(case)
    change = cal.confirm_year(world.u["admin"], 2027)
    assert change.moves == []  # 8 January by the confirmed days: never shorter
    assert case.answer_due == D(2027, 1, 11)
    assert not cal.deadline_is_provisional(case)


def test_unconfirming_a_year_lengthens_its_answer_periods(db, world):  # noqa: F811
    cal.confirm_year(world.u["admin"], 2027)
    case = notify(db, world, on="2027-02-03")
    assert case.answer_due == D(2027, 2, 23)  # by the rule's days only: 5-10 February off
    assert not cal.deadline_is_provisional(case)
    change = cal.unconfirm_year(world.u["admin"], 2027, note="确认有误")
    assert [m.action for m in change.moves] == ["extend"]
    assert case.answer_due == add_workdays(D(2027, 2, 3), 10) == D(2027, 2, 26)
    assert cal.deadline_is_provisional(case)


# -- recomputing deadlines: the bureau's repair deadlines -------------------------------------


def apply_repair(db, w, on: str):
    listing = publish_d(db, w, on="2026-01-20")
    w.pin(on)
    return apply_for_repair(w.u["ent_d"], listing, "已整改")


def test_a_weekend_worked_advances_the_bureaus_deadline(db, world):  # noqa: F811
    repair = apply_repair(db, world, "2027-03-05")  # a Friday of an unconfirmed year
    cal.confirm_year(world.u["admin"], 2027)
    assert repair.accept_due == D(2027, 3, 9)
    change = cal.set_day(world.u["admin"], D(2027, 3, 6), DayKind.WORKDAY)
    [move] = change.moves
    assert (move.object_type, move.field, move.old, move.new, move.action) == (
        "repair", "accept_due", D(2027, 3, 9), D(2027, 3, 8), "advance")
    assert repair.accept_due == D(2027, 3, 8)
    assert "repair.advance_deadline" in actions(db)


def test_a_holiday_never_lengthens_the_bureaus_deadline(db, world):  # noqa: F811
    repair = apply_repair(db, world, "2027-03-05")
    cal.confirm_year(world.u["admin"], 2027)
    assert cal.set_day(world.u["admin"], D(2027, 3, 8), DayKind.HOLIDAY).moves == []
    assert repair.accept_due == D(2027, 3, 9)


def test_confirming_a_year_tightens_the_bureaus_provisional_deadline(db, world):  # noqa: F811
    repair = apply_repair(db, world, "2027-02-04")
    # 5 and 8-12 February may be off: the 15th and 16th
    assert repair.accept_due == D(2027, 2, 16)
    assert cal.deadline_is_provisional(repair)
    change = cal.confirm_year(world.u["admin"], 2027)  # the rule's days: 5-10 February off
    assert [(m.field, m.new) for m in change.moves] == [("accept_due", D(2027, 2, 12))]
    assert repair.accept_due == D(2027, 2, 12)
    assert not cal.deadline_is_provisional(repair)


# -- previews -------------------------------------------------------------------------------


def test_a_preview_shows_the_moves_and_writes_nothing(db, world):  # noqa: F811
    case = notify(db, world, key="d_h", on="2027-02-03")
    repair = apply_repair(db, world, "2027-02-04")
    cal.seed_calendar(None)
    db.session.commit()
    mark = last_entry_id(db)
    rows = db.session.scalar(select(func.count()).select_from(CalendarDay))
    preview = cal.preview_confirm_year(world.u["admin"], 2027)
    assert [(m.object_type, m.action) for m in preview] == [("repair", "advance")]
    assert cal.preview_set_day(world.u["admin"], D(2027, 2, 15), DayKind.HOLIDAY) == [
        cal.DeadlineMove("d_case", case.id, world.e["d_h"].id, "answer_due", D(2027, 2, 3),
                         D(2027, 2, 26), D(2027, 3, 1), D(2027, 3, 1), "extend")]
    assert last_entry_id(db) == mark
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == rows
    assert (case.answer_due, repair.accept_due) == (D(2027, 2, 26), D(2027, 2, 16))
    assert not is_workday(D(2027, 2, 11)) and is_workday(D(2027, 2, 15))
    assert cal.confirm_year(world.u["admin"], 2027).moves == preview


def test_the_workflows_refuse_to_move_a_deadline_against_the_enterprise(db, world):  # noqa: F811
    from credit.workflows.d_listing import extend_answer_period
    from credit.workflows.repair import advance_deadline

    case = notify(db, world, key="d_h")
    with pytest.raises(InvalidTransition, match="never shortened"):
        extend_answer_period(case, D(2026, 10, 28), today=D(2026, 10, 15))
    answer_notice(world.u["ent_d_h"], case, "申辩")
    with pytest.raises(InvalidTransition):
        extend_answer_period(case, D(2026, 11, 28), today=D(2026, 10, 15))
    repair = apply_repair(db, world, "2027-03-05")
    with pytest.raises(InvalidTransition, match="never extended"):
        advance_deadline(repair, D(2027, 3, 10))
    assert repair.accept_due == D(2027, 3, 9)
