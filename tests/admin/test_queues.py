"""Work queues end to end: each action is a form post that calls the workflow, with the
version the page showed; a stale version, a missing reason or a step out of turn is refused
with a clear message and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from credit.extensions import db as _db
from credit.models import (
    APublicationApplication,
    APubState,
    AuditEntry,
    DCase,
    DCaseState,
    Listing,
    RepairApplication,
    RepairState,
)
from credit.services import queues
from credit.workflows.d_listing import confirm_case, send_notice


def fresh(model, ident):
    _db.session.expire_all()
    return _db.session.get(model, ident)


def follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


# -- A publication -----------------------------------------------------------------------------


def test_inspector_gives_an_opinion_from_the_queue(world, sign_in):
    app = world.apps["a_tested"]
    client = sign_in(world.u["inspector"])
    page = client.get("/admin/queues/?q=a_inspection").get_data(as_text=True)
    assert world.e["a_tested"].name in page and world.e["a_tested_h"].name in page
    assert world.e["a"].name not in page  # needs no inspection
    html = follow(client, client.post(f"/admin/queues/a/{app.id}/inspect",
                                      data={"version": app.version, "opinion": "产品检验合格"}))
    assert "已记录检验机构意见" in html
    assert fresh(APublicationApplication, app.id).state == APubState.EVALUATING


def test_district_inspector_sees_only_its_jurisdiction(world, sign_in):
    page = sign_in(world.u["inspector_h"]).get("/admin/queues/?q=a_inspection")
    html = page.get_data(as_text=True)
    assert world.e["a_tested_h"].name in html and world.e["a_tested"].name not in html


def test_stale_version_says_someone_acted_first(world, sign_in):
    app = world.apps["a_tested"]
    shown = app.version
    sign_in(world.u["admin"]).post(f"/admin/queues/a/{app.id}/inspect",
                                   data={"version": shown, "opinion": "合格"})
    client = sign_in(world.u["inspector"])
    html = follow(client, client.post(f"/admin/queues/a/{app.id}/inspect",
                                      data={"version": shown, "opinion": "也合格"}))
    assert "其他人已先处理了此事项" in html
    assert fresh(APublicationApplication, app.id).inspection_opinion == "合格"


def test_evaluation_needs_reasons_then_approves(world, sign_in):
    app = world.apps["a"]
    client = sign_in(world.u["evaluator"])
    response = client.post(f"/admin/queues/a/{app.id}/evaluate",
                           data={"version": app.version, "approve": "yes", "reasons": " "})
    assert response.status_code == 200
    assert "评价理由：必填" in response.get_data(as_text=True)
    assert fresh(APublicationApplication, app.id).state == APubState.EVALUATING
    follow(client, client.post(f"/admin/queues/a/{app.id}/evaluate",
                               data={"version": app.version, "approve": "yes",
                                     "reasons": "符合守信企业评价标准"}))
    app = fresh(APublicationApplication, app.id)
    assert app.state == APubState.APPROVED and app.approved is True


def test_publisher_publishes_an_approved_application(world, sign_in):
    app = world.apps["a"]
    sign_in(world.u["evaluator"]).post(f"/admin/queues/a/{app.id}/evaluate",
                                       data={"version": app.version, "approve": "yes",
                                             "reasons": "符合"})
    app = fresh(APublicationApplication, app.id)
    client = sign_in(world.u["publisher"])
    assert world.e["a"].name in client.get("/admin/queues/?q=a_publication").get_data(
        as_text=True)
    html = follow(client, client.post(f"/admin/queues/a/{app.id}/publish",
                                      data={"version": app.version}))
    assert "已发布守信企业公示" in html
    assert fresh(APublicationApplication, app.id).state == APubState.PUBLISHED


def test_evaluator_of_another_jurisdiction_cannot_evaluate(world, sign_in):
    app = world.apps["a"]
    response = sign_in(world.u["evaluator_h"]).post(
        f"/admin/queues/a/{app.id}/evaluate",
        data={"version": app.version, "approve": "yes", "reasons": "x"})
    assert response.status_code == 404
    assert fresh(APublicationApplication, app.id).state == APubState.EVALUATING


# -- D cases -----------------------------------------------------------------------------------


def test_reviewer_confirms_a_case_from_the_queue(world, sign_in):
    case = world.cases["_h"]
    client = sign_in(world.u["reviewer_h"])
    page = client.get("/admin/queues/?q=d_review").get_data(as_text=True)
    assert world.e["d_h"].name in page and world.e["d"].name not in page
    html = client.get(f"/admin/queues/d/{case.id}").get_data(as_text=True)
    assert "当年有故意生产假冒伪劣产品的违法记录" in html and "三(四)2" in html
    html = follow(client, client.post(f"/admin/queues/d/{case.id}/confirm",
                                      data={"version": case.version, "note": "事实清楚"}))
    assert "已复核确认" in html
    case = fresh(DCase, case.id)
    assert case.state == DCaseState.CONFIRMED and case.review_note == "事实清楚"


def test_four_eyes_reviewer_of_own_records_cannot_review(world, sign_in):
    case = world.cases[""]  # its record was entered by "reviewer"
    client = sign_in(world.u["reviewer"])
    page = client.get("/admin/queues/?q=d_review").get_data(as_text=True)
    assert "回避" in page
    html = client.get(f"/admin/queues/d/{case.id}").get_data(as_text=True)
    assert "须由其他复核员复核" in html and "确认列入" not in html
    html = follow(client, client.post(f"/admin/queues/d/{case.id}/confirm",
                                      data={"version": case.version}))
    assert "您无权进行此操作" in html
    assert fresh(DCase, case.id).state == DCaseState.PROPOSED
    # Another reviewer may.
    client = sign_in(world.u["reviewer_city"])
    follow(client, client.post(f"/admin/queues/d/{case.id}/confirm",
                               data={"version": case.version}))
    assert fresh(DCase, case.id).state == DCaseState.CONFIRMED


def test_dismissal_needs_its_reasons(world, sign_in):
    case = world.cases["_h"]
    client = sign_in(world.u["reviewer_h"])
    response = client.post(f"/admin/queues/d/{case.id}/dismiss",
                           data={"version": case.version, "note": ""})
    assert "不予认定的理由：必填" in response.get_data(as_text=True)
    assert fresh(DCase, case.id).state == DCaseState.PROPOSED
    follow(client, client.post(f"/admin/queues/d/{case.id}/dismiss",
                               data={"version": case.version, "note": "证据不足"}))
    assert fresh(DCase, case.id).state == DCaseState.DISMISSED


def test_publisher_notifies_then_decides_after_the_answer_period(db, world, sign_in):
    case = world.cases[""]
    confirm_case(world.u["reviewer_city"], case)
    db.session.commit()
    client = sign_in(world.u["publisher"])
    assert world.e["d"].name in client.get("/admin/queues/?q=d_notice").get_data(as_text=True)
    follow(client, client.post(f"/admin/queues/d/{case.id}/notify",
                               data={"version": fresh(DCase, case.id).version}))
    case = fresh(DCase, case.id)
    assert case.state == DCaseState.NOTIFIED and case.answer_due > world.day
    # The answer period is running: the queue shows its clock; no decision form yet.
    page = client.get("/admin/queues/?q=d_answer").get_data(as_text=True)
    assert "剩10个工作日" in page
    assert "提交决定" not in client.get(f"/admin/queues/d/{case.id}").get_data(as_text=True)
    early = follow(client, client.post(f"/admin/queues/d/{case.id}/decide",
                                       data={"version": case.version, "publish": "yes",
                                             "reasons": "D2"}))
    assert "收到申辩或期满后方可决定" in early
    # After the period the item is overdue in the answer queue and may be decided.
    world.pin(case.answer_due + dt.timedelta(days=1))
    page = client.get("/admin/queues/?q=d_answer").get_data(as_text=True)
    assert "已逾期" in page and 'class="overdue"' in page
    empty = follow(client, client.post(f"/admin/queues/d/{case.id}/decide",
                                       data={"version": case.version, "publish": "yes"}))
    assert "请至少选择一项公示事实" in empty
    record_id = case.record_ids[0]
    follow(client, client.post(f"/admin/queues/d/{case.id}/decide",
                               data={"version": case.version, "publish": "yes",
                                     "reasons": "D2", "record_ids": str(record_id),
                                     "summary": "故意生产假冒伪劣产品"}))
    case = fresh(DCase, case.id)
    assert case.state == DCaseState.PUBLISHED
    assert case.disclosed["reasons"] == ["D2"] and len(case.disclosed["records"]) == 1


def test_decision_not_to_publish_needs_a_note(db, world, sign_in):
    case = world.cases[""]
    confirm_case(world.u["reviewer_city"], case)
    send_notice(world.u["publisher"], case)
    db.session.commit()
    world.pin(case.answer_due + dt.timedelta(days=1))
    client = sign_in(world.u["publisher"])
    html = follow(client, client.post(f"/admin/queues/d/{case.id}/decide",
                                      data={"version": case.version, "publish": "no"}))
    assert "请填写理由或意见" in html
    assert fresh(DCase, case.id).state == DCaseState.NOTIFIED


# -- credit repair and listings ----------------------------------------------------------------


def test_repair_accept_then_approve_removes_the_listing(world, sign_in):
    repair = world.repairs[""]
    client = sign_in(world.u["publisher"])
    page = client.get("/admin/queues/?q=repair_accept").get_data(as_text=True)
    assert world.e["dl"].name in page and "剩2个工作日" in page
    follow(client, client.post(f"/admin/queues/repair/{repair.id}/accept",
                               data={"version": repair.version}))
    repair = fresh(RepairApplication, repair.id)
    assert repair.state == RepairState.ACCEPTED
    assert world.e["dl"].name in client.get("/admin/queues/?q=repair_verify").get_data(
        as_text=True)
    follow(client, client.post(f"/admin/queues/repair/{repair.id}/approve",
                               data={"version": repair.version, "reasons": "整改到位"}))
    assert fresh(RepairApplication, repair.id).state == RepairState.APPROVED
    assert fresh(Listing, world.listings[""].id).removal_reason == "repaired"


def test_repair_refusal_and_rejection_need_reasons(world, sign_in):
    repair = world.repairs["_h"]
    client = sign_in(world.u["publisher_h"])
    response = client.post(f"/admin/queues/repair/{repair.id}/refuse",
                           data={"version": repair.version, "reasons": ""})
    assert "理由：必填" in response.get_data(as_text=True)
    follow(client, client.post(f"/admin/queues/repair/{repair.id}/accept",
                               data={"version": repair.version}))
    repair = fresh(RepairApplication, repair.id)
    follow(client, client.post(f"/admin/queues/repair/{repair.id}/reject",
                               data={"version": repair.version, "reasons": "整改未到位"}))
    assert fresh(RepairApplication, repair.id).state == RepairState.REJECTED


def test_repair_overdue_is_marked(world, sign_in):
    repair = world.repairs[""]
    world.pin(repair.accept_due + dt.timedelta(days=3))
    page = sign_in(world.u["publisher"]).get("/admin/queues/?q=repair_accept")
    html = page.get_data(as_text=True)
    assert "已逾期" in html and 'class="overdue"' in html
    counts = dict((k, (t, o)) for k, t, o in
                  queues.queue_counts(world.u["publisher"], repair.accept_due
                                      + dt.timedelta(days=3)))
    assert counts["repair_accept"] == (1, 1)


def test_stale_repair_and_listing_forms_are_refused(world, sign_in):
    repair = world.repairs[""]
    shown = repair.version
    client = sign_in(world.u["publisher"])
    follow(client, client.post(f"/admin/queues/repair/{repair.id}/accept",
                               data={"version": shown}))
    html = follow(client, client.post(f"/admin/queues/repair/{repair.id}/refuse",
                                      data={"version": shown, "reasons": "迟到的表单"}))
    assert "其他人已先处理了此事项" in html
    assert fresh(RepairApplication, repair.id).state == RepairState.ACCEPTED
    listing = world.listings["_h"]
    html = follow(client := sign_in(world.u["publisher_h"]), client.post(
        f"/admin/queues/listing/{listing.id}/remove",
        data={"version": listing.version + 7, "note": "决定移出"}))
    assert "其他人已先处理了此事项" in html
    assert fresh(Listing, listing.id).removed_on is None


def test_listing_removal_needs_a_note_and_is_audited(world, sign_in):
    listing = world.listings["_h"]
    client = sign_in(world.u["publisher_h"])
    response = client.post(f"/admin/queues/listing/{listing.id}/remove",
                           data={"version": listing.version, "note": ""})
    assert "移出理由：必填" in response.get_data(as_text=True)
    follow(client, client.post(f"/admin/queues/listing/{listing.id}/remove",
                               data={"version": listing.version, "note": "等级已恢复"}))
    assert fresh(Listing, listing.id).removal_reason == "publisher_decision"
    entry = _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "listing.remove")
                               .order_by(AuditEntry.id.desc()))
    assert entry.actor == "publisher_h" and entry.after["note"] == "等级已恢复"


def test_expiring_listings_and_removal_prompts(db, world, sign_in):
    listing = world.listings[""]
    listing.removal_prompted = True
    db.session.commit()
    client = sign_in(world.u["publisher"])
    assert world.e["dl"].name in client.get("/admin/queues/?q=listing_removal").get_data(
        as_text=True)
    world.pin(listing.expires_on - dt.timedelta(days=10))
    html = client.get("/admin/queues/?q=listing_expiring").get_data(as_text=True)
    assert world.e["dl"].name in html


@pytest.mark.parametrize("user", ["auditor", "auditor_h"])
def test_auditor_reads_queues_without_buttons(world, sign_in, user):
    client = sign_in(world.u[user])
    html = client.get("/admin/queues/?q=d_review").get_data(as_text=True)
    assert "只读" in html
    case = world.cases["_h"]
    page = client.get(f"/admin/queues/d/{case.id}").get_data(as_text=True)
    assert "确认列入" not in page
    assert client.post(f"/admin/queues/d/{case.id}/confirm",
                       data={"version": case.version}).status_code == 403


def test_queue_queries_do_not_grow_with_the_queue(db, world, sign_in):
    """A few queries per page, whatever its length (no query per item)."""
    from sqlalchemy import event

    def count() -> int:
        statements = []

        def seen(*args):
            statements.append(args[2])

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            queues.load_queue(world.u["admin"], "d_review", world.day)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        return len(statements)

    before = count()
    for _ in range(5):
        db.session.add(DCase(enterprise_id=world.e["c"].id, state="proposed",
                             proposed_on=world.day, reasons=[{"code": "D2", "refs": []}],
                             facts=[{"code": "D2", "type": "spot_check",
                                     "ref": world.records[""].ref}],
                             record_ids=[world.records[""].id], rulebook="x"))
    db.session.commit()
    assert count() == before
