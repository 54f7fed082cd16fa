"""The working-day calendar screen: status and days of a year, a change previewed with the
deadlines it moves before it is saved, confirming a year; the dashboard warns meanwhile."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from credit.extensions import db as _db
from credit.models import AuditEntry, CalendarYear, DCase
from credit.workflows.d_listing import confirm_case, send_notice


def test_dashboard_warns_while_a_year_is_unconfirmed(world, sign_in):
    html = sign_in(world.u["admin"]).get("/admin/").get_data(as_text=True)
    assert "2027年的节假日安排尚未确认" in html and "alert-warning" in html
    html = sign_in(world.u["publisher"]).get("/admin/").get_data(as_text=True)
    assert "2027年的节假日安排尚未确认，涉及该年的期限为暂定" in html


def test_year_page_shows_status_and_days(world, sign_in):
    client = sign_in(world.u["admin"])
    html = client.get("/admin/calendar/?year=2026").get_data(as_text=True)
    assert "已确认" in html and "2026-10-01" in html  # National Day
    html = client.get("/admin/calendar/?year=2027").get_data(as_text=True)
    assert "未确认：期限按保守规则暂定" in html


def notified_case(db, world):
    case = world.cases[""]
    confirm_case(world.u["reviewer_city"], case)
    send_notice(world.u["publisher"], case)
    db.session.commit()
    return case


def test_a_day_change_is_previewed_then_moves_the_deadline(db, world, sign_in):
    case = notified_case(db, world)
    due = case.answer_due
    day = next(world.day + dt.timedelta(days=i) for i in range(1, 20)
               if (world.day + dt.timedelta(days=i)).weekday() < 5)
    client = sign_in(world.u["admin"])
    preview = client.post("/admin/calendar/day?year=2027", data={
        "day": day.isoformat(), "kind": "holiday", "note": "测试放假"}).get_data(as_text=True)
    assert 'id="moves-preview"' in preview and f"严重失信案件 #{case.id}" in preview
    assert "延长" in preview
    _db.session.expire_all()
    assert _db.session.get(DCase, case.id).answer_due == due  # a preview writes nothing
    saved = client.post("/admin/calendar/day?year=2027", data={
        "day": day.isoformat(), "kind": "holiday", "note": "测试放假", "step": "save"})
    html = saved.get_data(as_text=True)
    assert "移动了1个期限" in html
    _db.session.expire_all()
    assert _db.session.get(DCase, case.id).answer_due > due
    assert _db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "calendar.set_day")) is not None


def test_a_weekday_cannot_become_a_working_weekend_day(world, sign_in):
    html = sign_in(world.u["admin"]).post("/admin/calendar/day", data={
        "day": "2027-10-20", "kind": "workday", "step": "save"}).get_data(as_text=True)
    assert "填写的内容不完整或不正确" in html


def test_confirm_a_year_then_withdraw_with_a_reason(world, sign_in):
    client = sign_in(world.u["admin"])
    preview = client.post("/admin/calendar/confirm?year=2027", data={}).get_data(as_text=True)
    assert "预览：确认后以下期限将移动" in preview
    client.post("/admin/calendar/confirm?year=2027",
                data={"note": "国办发明电〔2026〕X号", "step": "save"})
    assert _db.session.get(CalendarYear, 2027).confirmed is True
    refused = client.post("/admin/calendar/unconfirm?year=2027", data={"note": ""})
    assert "撤销确认的理由" in refused.get_data(as_text=True)
    client.post("/admin/calendar/unconfirm?year=2027", data={"note": "确认有误"})
    _db.session.expire_all()
    assert _db.session.get(CalendarYear, 2027).confirmed is False


def test_queue_marks_provisional_deadlines(db, world, sign_in):
    notified_case(db, world)
    html = sign_in(world.u["publisher"]).get("/admin/queues/?q=d_answer").get_data(
        as_text=True)
    assert "暂定" in html
