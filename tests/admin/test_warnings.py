"""Yellow-card warnings and honours through the test client: every step is a form post that
calls the workflow with the version the page showed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from credit.extensions import db as _db
from credit.models import AuditEntry, Honour, WarningNotice


def fresh(model, ident):
    _db.session.expire_all()
    return _db.session.get(model, ident)


def follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_ranked_candidates_show_reasons_and_their_warning(world, sign_in):
    page = sign_in(world.u["reviewer"]).get("/admin/warnings/candidates").get_data(as_text=True)
    assert world.e["c"].name in page and world.e["c_h"].name not in page
    assert "当年监督抽查或监督检查不合格" in page
    assert f'/admin/warnings/{world.warnings[""].id}"' in page
    assert "发出警告" not in page  # a reviewer reads, a publisher acts


def test_publisher_issues_a_warning_after_withdrawing_the_first(world, sign_in):
    firm, first = world.e["c"], world.warnings[""]
    client = sign_in(world.u["publisher"])
    page = client.post(f"/admin/warnings/issue/{firm.id}", data={
        "expectations": "整改", "deadline": (world.day + dt.timedelta(days=20)).isoformat()}
    ).get_data(as_text=True)
    assert first.number in page  # already has an open warning
    page = client.post(f"/admin/warnings/{first.id}/withdraw",
                       data={"version": first.version, "note": ""}).get_data(as_text=True)
    assert "撤回理由" in page
    assert fresh(WarningNotice, first.id).state == "issued"
    follow(client, client.post(f"/admin/warnings/{first.id}/withdraw",
                               data={"version": first.version, "note": "误发"}))
    assert fresh(WarningNotice, first.id).state == "withdrawn"
    page = client.post(f"/admin/warnings/issue/{firm.id}", data={
        "expectations": "限期整改", "deadline": world.day.isoformat()}).get_data(as_text=True)
    assert "整改期限" in page and "今天以后" in page
    page = follow(client, client.post(f"/admin/warnings/issue/{firm.id}", data={
        "expectations": "限期整改抽查不合格产品", "deadline": (world.day + dt.timedelta(days=20))
        .isoformat()}))
    assert "已发出黄牌警告" in page and "佳市监黄警〔2027〕3号" in page
    notice = client.get(f"/admin/warnings/{_latest().id}/notice").get_data(as_text=True)
    assert "质量信用黄牌警告通知书" in notice and "佳市监黄警〔2027〕3号" in notice
    assert "C级" not in notice
    assert _db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "warning.print")) == 1


def _latest() -> WarningNotice:
    return _db.session.scalar(select(WarningNotice).order_by(WarningNotice.id.desc()))


def test_follow_up_then_close_and_a_stale_version(world, sign_in):
    warning = world.warnings[""]
    client = sign_in(world.u["publisher"])
    page = follow(client, client.post(f"/admin/warnings/{warning.id}/follow-up", data={
        "note": "电话督促整改", "done_on": world.day.isoformat()}))
    assert "电话督促整改" in page
    page = follow(client, client.post(f"/admin/warnings/{warning.id}/close", data={
        "version": warning.version - 1, "rectified": "yes", "note": "已整改"}))
    assert "其他人已先处理" in page
    version = fresh(WarningNotice, warning.id).version
    follow(client, client.post(f"/admin/warnings/{warning.id}/close", data={
        "version": version, "rectified": "yes", "note": "复查合格"}))
    assert fresh(WarningNotice, warning.id).state == "rectified"


def test_overdue_filter(world, sign_in):
    client = sign_in(world.u["publisher"])
    page = client.get("/admin/warnings/?overdue=1").get_data(as_text=True)
    assert world.warnings[""].number not in page
    world.pin(world.day + dt.timedelta(days=40))
    page = client.get("/admin/warnings/?overdue=1").get_data(as_text=True)
    assert world.warnings[""].number in page and world.warnings["_h"].number not in page


def test_flagged_honour_is_decided_and_its_history_shown(world, sign_in):
    honour = world.honours[""]
    client = sign_in(world.u["publisher"])
    page = client.get("/admin/honours/").get_data(as_text=True)
    assert honour.title in page and f'/admin/honours/{world.honours["_h"].id}"' not in page
    page = client.post(f"/admin/honours/{honour.id}/decide", data={
        "version": honour.version, "action": "suspend", "note": ""}).get_data(as_text=True)
    assert "理由" in page
    assert fresh(Honour, honour.id).state == "active"
    page = follow(client, client.post(f"/admin/honours/{honour.id}/decide", data={
        "version": honour.version, "action": "suspend", "note": "抽查不合格，暂停"}))
    honour = fresh(Honour, honour.id)
    assert honour.state == "suspended" and honour.flag is None
    assert "抽查不合格，暂停" in page and 'id="honour-history"' in page
    assert honour.title not in client.get("/admin/honours/").get_data(as_text=True)


def test_honour_registered_from_the_enterprise_page(world, sign_in):
    firm = world.e["a"]
    client = sign_in(world.u["recorder"])
    page = client.get(f"/admin/enterprises/details/?id={firm.id}").get_data(as_text=True)
    assert f"/admin/honours/new/{firm.id}" in page
    page = client.post(f"/admin/honours/new/{firm.id}", data={
        "kind": "quality_award", "title": "佳木斯市质量奖", "awarded_by": "",
        "awarded_on": "2026-05-01"}).get_data(as_text=True)
    assert "授予机关" in page
    page = follow(client, client.post(f"/admin/honours/new/{firm.id}", data={
        "kind": "quality_award", "title": "佳木斯市质量奖", "awarded_by": "佳木斯市人民政府",
        "awarded_on": "2026-05-01"}))
    assert "佳木斯市质量奖" in page and 'id="honour-list"' in page
    honour = _db.session.scalar(select(Honour).where(Honour.enterprise_id == firm.id))
    assert honour.flag is None  # an A enterprise
