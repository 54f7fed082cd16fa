"""The browser sees the site as a visitor does: Chinese first, English on request."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_home_page_in_chinese_then_english(page: Page):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_contain_text("企业质量信用信息公示")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
