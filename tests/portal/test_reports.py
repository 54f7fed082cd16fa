"""Social supervision (举报): the public form's limits, and the staff queue's scoping."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from credit.models import AuditEntry, Report
from credit.services.reports import (
    Contact,
    count_reports_for,
    mark_report_handled,
    report_for,
    reports_for,
    submit_report,
)
from credit.workflows.errors import InvalidInput, InvalidTransition, NotPermitted

GOOD = {"enterprise": "", "category": "quality",
        "description": "买到的大米有霉味，包装上没有生产日期。", "contact_phone": "13800000000",
        "contact_name": "李先生", "contact_email": "li@example.cn"}


def count(db) -> int:
    return db.session.scalar(select(func.count(Report.id)))


def test_a_report_gets_a_receipt_and_the_enterprise_district(client, db, world):
    form = {**GOOD, "enterprise": world.e["a_h"].uscc.lower()}
    response = client.post("/report", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/report/received"
    page = client.get("/report/received").get_data(as_text=True)
    report = db.session.scalar(select(Report))
    assert report.receipt in page and report.receipt.startswith("JB20261015-")
    assert report.district == "桦南县" and report.enterprise_id == world.e["a_h"].id
    assert (report.contact_name, report.contact_phone) == ("李先生", "13800000000")
    # The receipt is shown once; the contact details never on a public page.
    assert client.get("/report/received").status_code == 302
    for path in ("/", "/listings/a", "/listings/d", "/feed.atom", "/api/v1/changes"):
        assert "13800000000" not in client.get(path).get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "report.submit"))
    assert "13800000000" not in str(entry.after) and "李先生" not in str(entry.after)


def test_a_report_by_exact_name_is_identified_and_an_unknown_one_kept(client, db, world):
    client.post("/report", data={**GOOD, "enterprise": world.e["d"].name})
    client.post("/report", data={**GOOD, "enterprise": "江边无名小作坊"})
    by_name, unknown = db.session.scalars(select(Report).order_by(Report.id)).all()
    assert by_name.district == "向阳区" and by_name.enterprise_id == world.e["d"].id
    assert unknown.enterprise_id is None and unknown.district is None
    assert unknown.enterprise_text == "江边无名小作坊"


@pytest.mark.parametrize("change", [
    {"enterprise": ""},
    {"enterprise": "木" * 201},
    {"description": "太短了"},
    {"description": "长" * 2001},
    {"category": "grade_b"},
    {"contact_phone": "call me maybe"},
    {"contact_email": "not-an-address"},
    {"contact_name": "名" * 51},
    {"occurred_on": "2999-01-01"},
    {"occurred_on": "yesterday"},
])
def test_a_refused_report_says_why_and_stores_nothing(client, db, world, change):
    response = client.post("/report", data={**GOOD, "enterprise": "某企业", **change})
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert count(db) == 0


def test_an_oversized_report_is_refused_before_it_is_read(app, client, db):
    body = {**GOOD, "enterprise": "某企业", "description": "长" * 20000}
    response = client.post("/report", data=body)
    assert response.status_code == 413
    assert "提交的内容过长" in response.get_data(as_text=True)
    assert count(db) == 0


def test_the_report_form_needs_its_csrf_token(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/report", data={**GOOD, "enterprise": "某企业"})
    assert response.status_code == 400 and count(db) == 0
    page = client.get("/report").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/report", data={**GOOD, "enterprise": "某企业", "csrf_token": token})
    assert response.status_code == 302 and count(db) == 1


def test_reports_are_rate_limited(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_RATE_LIMIT", "2/hour")
    for _ in range(2):
        assert client.post("/report", data={**GOOD, "enterprise": "某企业"}).status_code == 302
    response = client.post("/report", data={**GOOD, "enterprise": "某企业"})
    assert response.status_code == 429 and "请求过于频繁" in response.get_data(as_text=True)
    assert client.get("/report").status_code == 200  # reading the form is not limited
    assert count(db) == 2


def test_the_service_refuses_bad_input():
    with pytest.raises(InvalidInput):
        submit_report("", "quality", "足够长的问题描述内容")
    with pytest.raises(InvalidInput):
        submit_report("某企业", "unknown", "足够长的问题描述内容")


def test_the_queue_is_scoped_to_the_jurisdiction(db, world):
    from credit.models import Role
    from credit.services.accounts import create_user

    xy = submit_report(world.e["a"].uscc, "quality", "向阳区企业的问题描述内容",
                       contact=Contact(phone="13900000000"))
    hn = submit_report(world.e["a_h"].uscc, "short_weight", "桦南县企业的问题描述内容")
    loose = submit_report("不知名企业", "other", "没有找到企业的问题描述")
    recorder_h = create_user("recorder_h", "password-123", role=Role.RECORDER,
                             jurisdiction="桦南县")
    db.session.commit()
    assert reports_for(world.u["admin"]) == [xy, hn, loose]
    assert reports_for(world.u["auditor"]) == [xy, hn, loose]
    assert reports_for(world.u["recorder"]) == [xy]
    assert reports_for(recorder_h) == [hn]
    assert reports_for(world.u["reviewer_h"]) == [hn]
    for nobody in (world.u["ent_a"], world.u["evaluator"], world.u["inspector"], None):
        assert reports_for(nobody) == [] and count_reports_for(nobody) == 0
    assert report_for(world.u["recorder"], hn.id) is None
    assert report_for(recorder_h, hn.id) is hn
    assert count_reports_for(world.u["admin"], state="new") == 3


def test_marking_handled_is_audited_and_checked(db, world):
    report = submit_report(world.e["a"].uscc, "quality", "向阳区企业的问题描述内容")
    loose = submit_report("不知名企业", "other", "没有找到企业的问题描述")
    db.session.commit()
    with pytest.raises(NotPermitted):
        mark_report_handled(world.u["reviewer"], report, "看过了")  # reviewers only read
    with pytest.raises(NotPermitted):
        mark_report_handled(world.u["recorder"], loose, "看过了")  # the city bureau's
    with pytest.raises(InvalidInput):
        mark_report_handled(world.u["recorder"], report, "  ")
    mark_report_handled(world.u["recorder"], report, "已派员核查，立案调查。",
                        version=report.version)
    db.session.commit()
    assert report.state == "handled" and report.handled_by_id == world.u["recorder"].id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "report.handle"))
    assert entry.after["note"] == "已派员核查，立案调查。"
    with pytest.raises(InvalidTransition):
        mark_report_handled(world.u["admin"], report, "再处理一次")
    assert reports_for(world.u["admin"], state="handled") == [report]
