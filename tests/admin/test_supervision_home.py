"""The home page's graded-supervision counts and the supervision menu, per role."""

from __future__ import annotations

import datetime as dt

from credit.services.supervision_work import supervision_work

MENU = [("双随机抽查", "/admin/plans/"), ("黄牌警告", "/admin/warnings/"),
        ("荣誉", "/admin/honours/"), ("举报", "/admin/public-reports/"),
        ("监管报告", "/admin/supervision-reports/"), ("执法检查人员名录库", "/admin/inspectors/"),
        ("抽查设置", "/admin/supervision-settings/")]
READ = {"双随机抽查", "黄牌警告", "荣誉", "举报", "监管报告", "执法检查人员名录库"}


def test_supervision_work_counts_are_scoped_and_by_role(world, db):
    from credit.services.plans import create_plan

    create_plan(world.u["publisher"], period="2027-11", jurisdictions=["向阳区"])
    db.session.commit()
    day = world.day
    assert supervision_work(world.u["publisher"], day) == {
        "plans_to_draw": 1, "plans_open": 1, "warnings_overdue": 0, "honours_flagged": 1,
        "reports_new": 1}
    assert supervision_work(world.u["publisher_h"], day)["plans_to_draw"] == 0
    assert supervision_work(world.u["admin"], day)["plans_open"] == 2
    assert "plans_to_draw" not in supervision_work(world.u["recorder"], day)
    assert supervision_work(world.u["evaluator"], day) == {}
    later = day + dt.timedelta(days=31)
    assert supervision_work(world.u["reviewer"], later)["warnings_overdue"] == 1
    assert supervision_work(world.u["admin"], later)["warnings_overdue"] == 2


def test_home_page_shows_the_counts_each_role_may_open(world, sign_in):
    page = sign_in(world.u["publisher"]).get("/admin/").get_data(as_text=True)
    assert 'id="supervision-work"' in page and "抽查计划：待录入结果" in page
    assert "/admin/honours/" in page and "社会监督举报：待处理" in page
    page = sign_in(world.u["recorder"]).get("/admin/").get_data(as_text=True)
    assert "抽查计划：待抽取" not in page and "抽查计划：待录入结果" in page
    page = sign_in(world.u["evaluator"]).get("/admin/").get_data(as_text=True)
    assert 'id="supervision-work"' not in page


def test_supervision_menu_per_role(world, sign_in):
    menus = {}
    for username in ("admin", "recorder", "publisher", "evaluator", "inspector", "auditor_h"):
        html = sign_in(world.u[username]).get("/admin/").get_data(as_text=True)
        menus[username] = {label for label, href in MENU if f'href="{href}"' in html}
    assert menus["admin"] == READ | {"抽查设置"}
    assert menus["recorder"] == menus["publisher"] == menus["auditor_h"] == READ
    assert menus["evaluator"] == menus["inspector"] == set()
