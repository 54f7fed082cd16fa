"""`flask credit calendar ...`: show, set, confirm, unconfirm, seed; and `credit init` seeds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from credit.models import AuditEntry, CalendarDay, CalendarYear, DCase
from credit.workflows.d_listing import confirm_case, send_notice
from tests.workflows.conftest import _fast_password_hashes, world  # noqa: F401


def test_init_seeds_the_calendar_once(cli, db):
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert "Working-day calendar: 2004-" in result.output
    years = db.session.scalar(select(func.count()).select_from(CalendarYear))
    assert years >= 25
    again = cli("init")
    assert "Working-day calendar" not in again.output
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == years


def test_show_a_year(cli, today):
    today("2026-10-15")
    result = cli("calendar", "show", "2027")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("2027: NOT CONFIRMED: counted conservatively")
    assert "not stored: the libraries' defaults" in lines[0]
    assert "2027-02-05 Fri  holiday  农历除夕" in result.output
    assert "2027-02-06 Sat  holiday  春节" in result.output and "(a weekend: no effect)" \
        in result.output
    assert "Until 2027 is confirmed these weekdays count as days off too: 2027-02-04 " \
        in result.output
    confirmed = cli("calendar", "show", "2026").output
    assert confirmed.startswith("2026: confirmed by seed: chinesecalendar")
    assert "2026-02-14 Sat  workday  春节" in confirmed
    assert "Until" not in confirmed


def test_show_every_stored_year_and_warn(cli, today):
    today("2026-11-20")
    cli("calendar", "seed")
    result = cli("calendar", "show")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("2004: confirmed")
    assert "2028: NOT CONFIRMED" in result.stdout
    assert ("WARNING: 2027 is not confirmed; enter the State Council's arrangement and run: "
            "flask --app wsgi credit calendar confirm 2027") in result.stderr


def test_set_a_day_then_clear_it(cli, db, today):
    today("2026-10-15")
    result = cli("calendar", "set", "2026-11-03", "holiday", "--note", "临时放假")
    assert result.exit_code == 0, result.output
    assert "2026-11-03 set to holiday.\n0 open deadline(s) moved." in result.output
    day = db.session.get(CalendarDay, dt.date(2026, 11, 3))
    assert (day.kind, day.name, day.source) == ("holiday", "临时放假", "manual")
    assert day.set_by.startswith("cli:")
    assert "already" in cli("calendar", "set", "2026-11-03", "holiday", "--note",
                            "临时放假").output
    assert cli("calendar", "set", "2026-11-03", "normal").exit_code == 0
    assert db.session.get(CalendarDay, dt.date(2026, 11, 3)) is None
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["calendar.seed", "calendar.set_day", "calendar.set_day"]


def test_set_refuses_bad_input_with_a_clear_message(cli, db):
    bad_date = cli("calendar", "set", "2026-02-30", "holiday")
    assert bad_date.exit_code == 2
    assert "'2026-02-30' is not a date in the form YYYY-MM-DD" in bad_date.output
    bad_kind = cli("calendar", "set", "2026-11-03", "rest")
    assert bad_kind.exit_code == 2 and "'rest' is not one of" in bad_kind.output
    weekday = cli("calendar", "set", "2026-11-04", "workday")
    assert weekday.exit_code == 1
    assert weekday.stderr.startswith("calendar: 2026-11-04 is a Wednesday, a working day "
                                     "already")
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0


def test_dry_run_shows_the_moves_and_changes_nothing(cli, db, world):  # noqa: F811
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    confirm_case(world.u["reviewer_city"], case)
    send_notice(world.u["publisher"], case)  # 2026-10-15: due 2026-10-29
    case_id, enterprise_id = case.id, case.enterprise_id
    db.session.commit()
    result = cli("calendar", "set", "2026-10-20", "holiday", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (f"D case {case_id} (enterprise {enterprise_id}): answer_due 2026-10-29 -> "
            "2026-10-30 (extend)\n1 open deadline(s) would move.") in result.output
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0
    result = cli("calendar", "set", "2026-10-20", "holiday")
    assert "1 open deadline(s) moved." in result.output
    assert db.session.get(DCase, case_id).answer_due.isoformat() == "2026-10-30"


def test_confirm_and_unconfirm(cli, db, today):
    today("2026-11-20")
    assert "0 open deadline(s) would move." in cli("calendar", "confirm", "2027",
                                                   "--dry-run").output
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0
    result = cli("calendar", "confirm", "2027", "--note", "国办发明电")
    assert result.exit_code == 0 and "2027 confirmed." in result.output
    year = db.session.get(CalendarYear, 2027)
    assert year.confirmed and year.confirmed_by.startswith("cli:") and year.note == "国办发明电"
    assert "confirmed already" in cli("calendar", "confirm", "2027").output
    assert cli("calendar", "unconfirm", "2027").exit_code == 2  # --note is required
    result = cli("calendar", "unconfirm", "2027", "--note", "录错了")
    assert result.exit_code == 0 and "2027 is no longer confirmed." in result.output
    assert not db.session.get(CalendarYear, 2027).confirmed
    out_of_range = cli("calendar", "confirm", "2300")
    assert out_of_range.exit_code == 1
    assert "2300: the calendar covers the years 2000-2100" in out_of_range.stderr


def test_seed(cli, db, today):
    today("2026-10-15")
    result = cli("calendar", "seed", "--through", "2029")
    assert result.exit_code == 0, result.output
    assert "26 year(s) seeded." in result.output
    assert "2029: NOT CONFIRMED" in result.output
    assert "0 year(s) seeded." in cli("calendar", "seed", "--through", "2029").output
    result = cli("audit", "verify")
    assert result.exit_code == 0 and "audit chain intact: 26 entries" in result.output
