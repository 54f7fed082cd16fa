"""The staff backend in a real browser: a recorder records a failed spot check and sees the
grade and its reason change; a reviewer confirms a D case from the work queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.admin.conftest import PASSWORD, build_world


@pytest.fixture
def world(db, today, monkeypatch):
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr("credit.models.users.generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"))
    return build_world(db, today)


def sign_in(page: Page, username: str) -> None:
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="质量信用监管后台")).to_be_visible()


def test_recorder_adds_a_failed_spot_check_and_sees_the_grade_change(page: Page, world):
    firm = world.e["a"]
    sign_in(page, "recorder")
    page.get_by_role("link", name="查找企业并录入记录").click()
    page.get_by_placeholder("名称、统一社会信用代码或拼音首字母").fill("守信食品")
    page.keyboard.press("Enter")
    page.get_by_role("link", name=firm.name).click()
    expect(page.locator("#current-grade .grade")).to_have_text("A")
    page.get_by_role("link", name="新增监督抽查").click()
    page.get_by_label("文书编号").fill("佳市监抽〔2027〕88号")
    page.get_by_label("日期").fill("2027-10-12")
    page.get_by_label("抽查对象").select_option("product")
    page.get_by_label("结果").select_option("fail")
    page.get_by_role("button", name="保存并重新定级").click()
    expect(page.get_by_text("当前信用等级：C 失信（C2）")).to_be_visible()
    expect(page.locator("#current-grade .grade").first).to_have_text("C")
    reasons = page.locator("#grade-reasons")
    expect(reasons).to_contain_text("当年监督抽查或监督检查不合格")
    expect(reasons).to_contain_text("三(三)2")
    expect(reasons.get_by_role("link", name="监督抽查 佳市监抽〔2027〕88号（2027-10-12）")) \
        .to_be_visible()


def test_reviewer_confirms_a_d_case_from_the_queue(page: Page, world):
    firm = world.e["d_h"]
    sign_in(page, "reviewer_h")
    # The dashboard's charts are drawn from the vendored ECharts (under the backend's CSP).
    expect(page.locator("#chart-districts canvas")).to_have_count(1)
    page.get_by_role("row", name="严重失信案件：待复核").get_by_role("link").click()
    row = page.locator("#queue-items tr", has_text=firm.name)
    row.get_by_role("link", name="办理").click()
    expect(page.locator("#case-reasons")).to_contain_text("当年有故意生产假冒伪劣产品的违法记录")
    page.get_by_label("复核意见").fill("事实清楚，程度严重")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="确认列入（复核通过）").click()
    expect(page.get_by_text("已复核确认，等待发布员告知企业。")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_contain_text("已复核确认，待告知")


def test_publisher_draws_a_monthly_plan_and_a_result_moves_the_grade(page: Page, world, db):
    from sqlalchemy import select

    from credit.models import InspectionPlan, PlanItem
    from credit.services.plans import cancel_plan

    # This month's plan of the test city is cancelled, so the publisher draws a new one.
    cancel_plan(world.u["admin"], world.plans[""], reason="重新安排")
    db.session.commit()
    sign_in(page, "publisher")
    page.goto("/admin/plans/")
    page.get_by_role("link", name="新建抽查计划").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("抽查期间").fill("2027-10")
    page.get_by_role("button", name="创建计划").click()
    expect(page.get_by_text("随机种子已固定")).to_be_visible()
    seed = page.locator("#plan-seed").inner_text()
    page.wait_for_load_state("networkidle")
    assert len(seed) == 32
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="抽取", exact=True).click()
    expect(page.get_by_text("抽取过程已记入审计日志")).to_be_visible()
    expect(page.locator("#plan-state")).to_have_text("已抽取（检查中）")
    expect(page.locator("#items tbody tr")).not_to_have_count(0)
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="复核抽取结果").click()
    expect(page.locator("#verification")).to_contain_text("复核通过")
    page.wait_for_load_state("networkidle")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出检查名单（Excel）").click()
    import io
    from pathlib import Path

    from openpyxl import load_workbook

    assert download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book["检查名单"].max_row >= 2

    db.session.expire_all()
    plan = db.session.scalar(select(InspectionPlan).where(InspectionPlan.state == "drawn",
                                                          InspectionPlan.period == "2027-10",
                                                          InspectionPlan.seed == seed))
    item = db.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id,
                                                    PlanItem.grade == "A").limit(1))
    # Results are archive records: the jurisdiction's recorder enters them.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    sign_in(page, "recorder")
    page.goto(f"/admin/plans/{plan.id}")
    page.locator("#items").get_by_role("link", name=item.enterprise.name).click()
    expect(page.locator("#current-grade .grade")).to_have_text("A")
    page.get_by_label("监督检查").check()
    page.get_by_label("检查日期").fill("2027-10-14")
    page.get_by_label("不合格").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="录入", exact=True).click()
    expect(page.get_by_text("企业信用等级由A变为C")).to_be_visible()
    expect(page.locator("#current-grade .grade")).to_have_text("C")
    expect(page.locator("#item-result")).to_contain_text("不合格")
    page.wait_for_load_state("networkidle")
