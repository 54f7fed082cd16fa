"""Enterprise self-service: the firm's own page and its side of every workflow, through the
real forms, with a plain message for every refusal."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from credit.models import APublicationApplication, DCase, Listing, RepairApplication
from credit.workflows.d_listing import confirm_case, send_notice
from tests.portal.conftest import login, publish_a, publish_d


def html(response) -> str:
    return response.get_data(as_text=True)


def test_sign_in_lands_an_enterprise_on_its_page(client, db, world):
    response = login(client, "ent_a")
    assert response.headers["Location"] == "/account"
    page = html(client.get("/account"))
    assert world.e["a"].name in page and world.e["a"].uscc in page


def test_anonymous_and_staff_are_turned_away(client, db, world):
    assert client.get("/account").headers["Location"] == "/login?next=/account"
    login(client, "admin")
    assert client.get("/account").status_code == 403
    assert client.post("/account/a/apply").status_code == 403


def test_eligible_firm_applies_then_withdraws(client, db, world):
    login(client, "ent_a")
    page = html(client.get("/account"))
    assert "本企业目前符合申请条件" in page
    response = client.post("/account/a/apply", follow_redirects=True)
    assert "已提交守信企业公示申请" in html(response)
    app = db.session.scalar(select(APublicationApplication))
    assert app.state == "evaluating" and app.applicant_id == world.u["ent_a"].id
    assert "省级评价中" in html(response)
    again = client.post("/account/a/apply", follow_redirects=True)
    assert "不能重复申请" in html(again)
    response = client.post(f"/account/a/{app.id}/withdraw", data={"version": app.version},
                           follow_redirects=True)
    assert "已撤回同意" in html(response)
    db.session.refresh(app)
    assert app.state == "withdrawn"


def test_the_page_never_names_a_grade(client, db, world):
    for key, eligible in (("a", True), ("b", False), ("c", False), ("d", False)):
        client.post("/logout")
        login(client, f"ent_{key}")
        page = html(client.get("/account"))
        main = page.split('id="main"')[1].split("</main>")[0]
        assert ("本企业目前符合申请条件" in main) is eligible
        assert ("本企业暂不符合申请条件" in main) is not eligible
        assert not re.search(r"[ABCD]\s*级|grade", main), key


def test_not_eligible_firm_is_refused_and_nothing_changes(client, db, world):
    login(client, "ent_b")
    response = client.post("/account/a/apply", follow_redirects=True)
    assert "目前不符合申请条件" in html(response)
    assert db.session.scalar(select(APublicationApplication)) is None


def test_a_stale_version_is_refused(client, db, world):
    app = publish_a(world)
    db.session.commit()
    login(client, "ent_a")
    page = html(client.get("/account"))
    assert "公示证书" in page and "撤回同意" in page
    response = client.post(f"/account/a/{app.id}/withdraw", data={"version": app.version - 1},
                           follow_redirects=True)
    assert "该事项刚刚发生了变化" in html(response)
    db.session.refresh(app)
    assert app.state == "published"


def test_another_firms_objects_are_404(client, db, world):
    app = publish_a(world, "a_h")
    db.session.commit()
    login(client, "ent_a")
    assert client.post(f"/account/a/{app.id}/withdraw").status_code == 404
    listing = db.session.scalar(select(Listing))
    assert client.get(f"/account/listings/{listing.id}/repair").status_code == 404
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    assert client.get(f"/account/notices/{case.id}").status_code == 404


def _notified(db, world) -> DCase:
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    confirm_case(world.u["reviewer_city"], case)
    send_notice(world.u["admin"], case)
    db.session.commit()
    return case


def test_a_case_under_review_is_not_shown(client, db, world):
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    login(client, "ent_d")
    assert "告知" not in html(client.get("/account")).split('id="main"')[1]
    assert client.get(f"/account/notices/{case.id}").status_code == 404


def test_firm_reads_its_notice_and_answers_in_time(client, db, world):
    case = _notified(db, world)
    login(client, "ent_d")
    overview = html(client.get("/account"))
    assert f"可在 {case.answer_due.isoformat()}（含）前陈述申辩" in overview
    notice = html(client.get(f"/account/notices/{case.id}"))
    assert "故意生产假冒伪劣产品" in notice and "V-6" in notice
    assert "第三条第四项" in notice and "10个工作日" in notice
    response = client.post(f"/account/notices/{case.id}",
                           data={"text": "产品系他人冒用我厂名义生产。", "version": case.version},
                           follow_redirects=True)
    assert "陈述申辩已提交" in html(response)
    db.session.refresh(case)
    assert case.state == "answered" and case.answer_text == "产品系他人冒用我厂名义生产。"


def test_an_answer_after_the_period_is_refused(client, db, world):
    case = _notified(db, world)
    world.pin(case.answer_due + dt.timedelta(days=1))
    login(client, "ent_d")
    assert 'name="text"' not in html(client.get(f"/account/notices/{case.id}"))
    response = client.post(f"/account/notices/{case.id}", data={"text": "迟到的申辩",
                                                                 "version": case.version},
                           follow_redirects=True)
    assert "陈述申辩期限已过" in html(response)
    db.session.refresh(case)
    assert case.state == "notified" and case.answer_text is None


def test_an_empty_answer_is_refused_by_the_form(client, db, world):
    case = _notified(db, world)
    login(client, "ent_d")
    response = client.post(f"/account/notices/{case.id}", data={"text": " ",
                                                                 "version": case.version})
    assert "请填写陈述申辩内容" in html(response)
    db.session.refresh(case)
    assert case.state == "notified"


def test_repair_opens_a_year_after_listing(client, db, world):
    listing = publish_d(db, world)
    db.session.commit()
    login(client, "ent_d")
    assert "自 2027-10-15 起可以申请信用修复" in html(client.get("/account"))
    response = client.post(f"/account/listings/{listing.id}/repair",
                           data={"statement": "已整改"}, follow_redirects=True)
    assert "目前不能申请信用修复" in html(response)
    assert db.session.scalar(select(RepairApplication)) is None
    world.pin("2027-10-15")
    assert "申请信用修复" in html(client.get("/account"))
    response = client.post(f"/account/listings/{listing.id}/repair",
                           data={"statement": "已全面整改，罚款已缴纳。"}, follow_redirects=True)
    assert "信用修复申请已提交" in html(response)
    repair = db.session.scalar(select(RepairApplication))
    assert repair.state == "applied" and repair.listing_id == listing.id
    assert "已申请，等待受理" in html(client.get("/account"))


def test_a_repair_that_ended_with_its_listing_says_why(client, db, world):
    from credit.workflows.d_listing import remove_listing
    from credit.workflows.repair import apply_for_repair

    listing = publish_d(db, world)
    world.pin("2027-10-15")
    apply_for_repair(world.u["ent_d"], listing, "已整改")
    remove_listing(world.u["admin"], listing, note="经复查撤销列入")
    db.session.commit()
    login(client, "ent_d")
    page = html(client.get("/account"))
    assert "名单已移出，申请随之终止（经发布机关决定移出，2027-10-15）" in page
