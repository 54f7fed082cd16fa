"""Random inspection plans, the inspector pool and the settings, end to end through the test
client: every step is a form post that calls credit.services.plans (and friends)."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from credit.extensions import db as _db
from credit.models import AuditEntry, Grade, InspectionPlan, Inspector, PlanItem, Record
from credit.services import settings as settings_service
from credit.services.plan_workbook import HEADERS

RESULT_COLUMN = HEADERS.index("检查结果") + 1
DATE_COLUMN = HEADERS.index("检查日期") + 1


def fresh(model, ident):
    _db.session.expire_all()
    return _db.session.get(model, ident)


def follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_publisher_creates_draws_verifies_and_cancels_a_plan(world, sign_in):
    client = sign_in(world.u["publisher"])
    page = client.get("/admin/plans/").get_data(as_text=True)
    assert f'/admin/plans/{world.plans[""].id}"' in page
    assert f'/admin/plans/{world.plans["_h"].id}"' not in page  # another county's plan
    response = client.post("/admin/plans/new", data={
        "period": "2027-11", "jurisdictions": ["向阳区"], "kind": "routine", "seed": ""})
    plan = _db.session.scalar(select(InspectionPlan).order_by(InspectionPlan.id.desc()))
    page = follow(client, response)
    assert plan.period == "2027-11" and plan.state == "created"
    assert plan.seed in page and "随机种子已固定" in page  # shown before the draw

    page = follow(client, client.post(f"/admin/plans/{plan.id}/draw",
                                      data={"version": plan.version}))
    plan = fresh(InspectionPlan, plan.id)
    assert plan.state == "drawn" and plan.selected_count >= 1
    assert "已抽取" in page and 'id="items"' in page and 'id="strata"' in page

    page = client.post(f"/admin/plans/{plan.id}/verify").get_data(as_text=True)
    assert "复核通过" in page

    # Tampering with a stored team shows the differences.
    item = _db.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id).limit(1))
    item.inspectors = list(reversed(item.inspectors))
    _db.session.commit()
    page = client.post(f"/admin/plans/{plan.id}/verify").get_data(as_text=True)
    assert "复核发现" in page and item.uscc in page

    # A second draw is refused; a cancellation needs its reason.
    page = follow(client, client.post(f"/admin/plans/{plan.id}/draw",
                                      data={"version": plan.version}))
    assert "其他人已先处理" in page or "不允许" in page
    page = client.post(f"/admin/plans/{plan.id}/cancel",
                       data={"version": plan.version, "reason": ""}).get_data(as_text=True)
    assert fresh(InspectionPlan, plan.id).state == "drawn"
    page = follow(client, client.post(f"/admin/plans/{plan.id}/cancel",
                                      data={"version": plan.version, "reason": "抽取范围有误"}))
    assert fresh(InspectionPlan, plan.id).state == "cancelled" and "已取消" in page


def test_creating_a_second_plan_for_the_month_names_the_first(world, sign_in):
    client = sign_in(world.u["publisher"])
    page = client.post("/admin/plans/new", data={
        "period": world.day.strftime("%Y-%m"), "jurisdictions": ["向阳区"],
        "kind": "routine"}).get_data(as_text=True)
    assert f"编号{world.plans[''].id}" in page
    page = client.post("/admin/plans/new", data={
        "period": "2020-01", "jurisdictions": ["向阳区"], "kind": "routine"}
    ).get_data(as_text=True)
    assert "已过" in page
    # A county publisher cannot plan for another county (not even offered).
    page = client.post("/admin/plans/new", data={
        "period": "2027-11", "jurisdictions": ["桦南县"], "kind": "routine"}
    ).get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(InspectionPlan)) == 2


def test_stale_version_says_someone_acted_first(world, sign_in):
    plan = world.plans[""]
    client = sign_in(world.u["publisher"])
    page = follow(client, client.post(f"/admin/plans/{plan.id}/close",
                                      data={"version": plan.version - 1}))
    assert "其他人已先处理" in page
    assert fresh(InspectionPlan, plan.id).state == "drawn"


def _export(client, plan) -> bytes:
    response = client.post(f"/admin/plans/{plan.id}/export.xlsx", data={"jurisdiction": ""})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return response.get_data()


def test_export_opens_in_openpyxl_with_the_plans_rows(world, sign_in):
    plan = world.plans[""]
    data = _export(sign_in(world.u["reviewer"]), plan)
    book = load_workbook(io.BytesIO(data))
    rows = list(book["检查名单"].iter_rows(values_only=True))
    assert rows[0][:len(HEADERS)] == HEADERS
    items = _db.session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)
                                .order_by(PlanItem.id)).all()
    assert [(r[0], r[1]) for r in rows[1:]] == [(i.id, i.uscc) for i in items]
    assert "抽取说明" in book.sheetnames and "检查人员" in book.sheetnames
    assert _db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "inspection_plan.export")) == 1


def _fill(data: bytes, rows: dict[int, tuple]) -> bytes:
    """Fill in result cells: {row number: (date, result)}."""
    book = load_workbook(io.BytesIO(data))
    sheet = book["检查名单"]
    for number, (day, result) in rows.items():
        sheet.cell(number, DATE_COLUMN, day)
        sheet.cell(number, RESULT_COLUMN, result)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_results_upload_dry_run_then_import_regrades(world, sign_in):
    plan = world.plans[""]
    client = sign_in(world.u["recorder"])
    data = _export(client, plan)
    items = _db.session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)
                                .order_by(PlanItem.id)).all()
    a_row = next(n for n, i in enumerate(items, start=2) if i.grade == "A")
    a_item = items[a_row - 2]
    records_before = _db.session.scalar(select(func.count()).select_from(Record))

    bad = _fill(data, {a_row: ("2027-10-14", "不合格"), a_row % len(items) + 2: ("2027-10-14",
                                                                                "passed")})
    page = client.post(f"/admin/plans/{plan.id}/results/check",
                       data={"file": (io.BytesIO(bad), "results.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'id="upload-problems"' in page and "检查结果" in page and "第" in page
    assert _db.session.scalar(select(func.count()).select_from(Record)) == records_before
    assert fresh(PlanItem, a_item.id).result is None

    good = _fill(data, {a_row: ("2027-10-14", "不合格")})
    page = client.post(f"/admin/plans/{plan.id}/results/check",
                       data={"file": (io.BytesIO(good), "results.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'id="upload-ready"' in page
    assert fresh(PlanItem, a_item.id).result is None  # the check wrote nothing
    assert _db.session.get(Grade, a_item.enterprise_id).grade == "A"
    page = follow(client, client.post(f"/admin/plans/{plan.id}/results/run"))
    assert "新录入1条结果" in page
    assert fresh(PlanItem, a_item.id).result == "fail"
    assert fresh(Grade, a_item.enterprise_id).grade == "C"
    # Not a workbook at all: said so, nothing written.
    response = client.post(f"/admin/plans/{plan.id}/results/check",
                           data={"file": (io.BytesIO(b"not a zip"), "results.xlsx")},
                           content_type="multipart/form-data")
    assert "不是Excel工作簿" in follow(client, response)
    # The same file again: nothing new, nothing refused.
    client.post(f"/admin/plans/{plan.id}/results/check",
                data={"file": (io.BytesIO(good), "results.xlsx")},
                content_type="multipart/form-data")
    page = follow(client, client.post(f"/admin/plans/{plan.id}/results/run"))
    assert "新录入0条结果" in page


def test_one_result_in_a_form_regrades_and_shows_the_new_grade(world, sign_in):
    plan = world.plans[""]
    item = _db.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id,
                                                     PlanItem.grade == "A").limit(1))
    client = sign_in(world.u["recorder"])
    page = client.get(f"/admin/plans/item/{item.id}").get_data(as_text=True)
    assert "录入检查结果" in page
    page = client.post(f"/admin/plans/item/{item.id}", data={
        "check_type": "inspection", "checked_on": "2027-10-16", "result": "fail"}
    ).get_data(as_text=True)
    assert "检查日期" in page  # in the future: the field is named
    assert fresh(PlanItem, item.id).result is None
    page = follow(client, client.post(f"/admin/plans/item/{item.id}", data={
        "check_type": "spot_check", "subject": "product", "checked_on": "2027-10-14",
        "result": "fail", "ref": "抽-2027-001"}))
    assert "由A变为C" in page
    item = fresh(PlanItem, item.id)
    assert item.result == "fail" and item.ref == "抽-2027-001"
    record = _db.session.get(Record, item.record_id)
    assert record.type == "spot_check" and record.source == f"plan:{plan.id}"
    # A publisher reads the item but may not record (results are archive records).
    assert sign_in(world.u["publisher"]).post(f"/admin/plans/item/{item.id}", data={
        "check_type": "inspection", "checked_on": "2027-10-14", "result": "pass"}
    ).status_code == 403


def test_inspector_pool_add_edit_deactivate(world, sign_in):
    client = sign_in(world.u["publisher"])
    page = client.post("/admin/inspectors/new", data={
        "badge_no": "JX1999", "name": "新检查员", "jurisdiction": "向阳区", "unit": "稽查科"})
    inspector = _db.session.scalar(select(Inspector).where(Inspector.badge_no == "JX1999"))
    assert inspector is not None and inspector.active
    page = client.post("/admin/inspectors/new", data={
        "badge_no": "JX1999", "name": "重复", "jurisdiction": "向阳区"}).get_data(as_text=True)
    assert "执法证号" in page and "已在名录库中" in page
    follow(client, client.post(f"/admin/inspectors/{inspector.id}", data={
        "name": "新检查员甲", "jurisdiction": "向阳区", "unit": ""}))
    assert fresh(Inspector, inspector.id).name == "新检查员甲"
    follow(client, client.post(f"/admin/inspectors/{inspector.id}/active", data={"reason": ""}))
    assert fresh(Inspector, inspector.id).active
    page = follow(client, client.post(f"/admin/inspectors/{inspector.id}/active",
                                      data={"reason": "调离"}))
    assert not fresh(Inspector, inspector.id).active and "已停用" in page
    page = client.get("/admin/inspectors/").get_data(as_text=True)
    assert "JX1999" in page and "JX2001" not in page  # 桦南县's pool is not listed


def test_settings_validation_names_the_field(world, sign_in):
    client = sign_in(world.u["admin"])
    page = client.post("/admin/supervision-settings/", data={
        "ratio_A": "0.05", "ratio_B": "0.123456", "ratio_C": "0.4", "ratio_D": "1",
        "team_size": "2"}).get_data(as_text=True)
    assert "最多4位小数" in page and 'name="ratio_B"' in page
    page = client.post("/admin/supervision-settings/", data={
        "ratio_A": "0.05", "ratio_B": "0.15", "ratio_C": "0.4", "ratio_D": "1",
        "team_size": "9"}).get_data(as_text=True)
    assert "应为2到5之间的整数" in page
    assert settings_service.team_size() == 2
    follow(client, client.post("/admin/supervision-settings/", data={
        "ratio_A": "0.1", "ratio_B": "0.15", "ratio_C": "0.5", "ratio_D": "1",
        "team_size": "3"}))
    _db.session.expire_all()
    assert settings_service.get_setting(settings_service.INSPECTION_RATIOS)["C"] == "0.5"
    assert settings_service.team_size() == 3
