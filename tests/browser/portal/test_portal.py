"""The public site and the self-service in the system Chromium: the lists' filters, the
language switch, an enterprise applying for and withdrawing A publication."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from credit.models import APublicationApplication, Enterprise
from tests.portal.conftest import publish_a, publish_d


def test_the_lists_filters(page: Page, db, world):
    db.session.execute(update(Enterprise).where(Enterprise.id == world.e["a"].id)
                       .values(industry="C1311"))
    publish_a(world, "a")
    publish_a(world, "a_h")
    publish_d(db, world)
    db.session.commit()
    page.goto("/")
    page.get_by_role("link", name="守信企业", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("守信企业公示")
    table = page.locator("table.listing-table")
    expect(table).to_contain_text(world.e["a"].name)
    expect(table).to_contain_text(world.e["a_h"].name)
    page.get_by_label("辖区").select_option("桦南县")
    page.get_by_role("button", name="筛选").click()
    expect(table).to_contain_text(world.e["a_h"].name)
    expect(table).not_to_contain_text(world.e["a"].name)
    page.get_by_label("辖区").select_option("")
    page.get_by_label("行业（GB/T 4754-2017）").select_option("C13")
    page.get_by_role("button", name="筛选").focus()
    page.keyboard.press("Enter")  # keyboard use
    expect(table).to_contain_text("稻谷加工（C1311）")
    expect(table).not_to_contain_text(world.e["a_h"].name)
    page.goto("/listings/d")
    expect(page.locator("table.listing-table")).to_contain_text(world.e["d"].name)


def test_the_language_switch_keeps_the_page(page: Page, db):
    page.goto("/listings/d")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/listings/d\??$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Seriously untrustworthy enterprises")
    expect(page.get_by_label("Jurisdiction")).to_be_visible()
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("严重失信企业名单")


def test_an_enterprise_applies_for_and_withdraws_a_publication(page: Page, db, world):
    page.goto("/login")
    page.get_by_label("用户名").fill("ent_a")
    page.get_by_label("密码").fill("password-123")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.e["a"].name)
    expect(page.get_by_text("本企业目前符合申请条件。")).to_be_visible()
    page.get_by_role("button", name="申请守信企业公示").click()
    expect(page.get_by_role("status")).to_contain_text("已提交守信企业公示申请")
    expect(page.locator(".state")).to_have_text("省级评价中")
    page.get_by_role("button", name="撤回同意").click()
    expect(page.get_by_role("status")).to_contain_text("已撤回同意")
    expect(page.get_by_role("button", name="申请守信企业公示")).to_be_visible()  # may reapply
    db.session.expire_all()
    app = db.session.scalar(select(APublicationApplication))
    assert app.state == "withdrawn"


def test_search_to_the_enterprise_page(page: Page, db, world):
    publish_d(db, world, summary="冒用他人厂名厂址")
    db.session.commit()
    page.goto("/")
    page.get_by_label("企业名称、拼音、首字母或统一社会信用代码").fill("失信")
    page.get_by_role("button", name="查询").click()
    result = page.locator(".result").filter(has_text=world.e["d"].name)
    expect(result).to_contain_text(world.e["d"].uscc)
    expect(result.locator(".badge-d")).to_be_visible()
    result.get_by_role("link", name=world.e["d"].name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(world.e["d"].name)
    expect(page.locator(".listing-d")).to_contain_text("冒用他人厂名厂址")
    page.go_back()
    page.get_by_label("企业名称、拼音、首字母或统一社会信用代码").fill("xiangyangshixin")
    page.keyboard.press("Enter")
    expect(page.locator(".result").first).to_contain_text(world.e["d"].name)
