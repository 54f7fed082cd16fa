"""Yellow-card warnings: issue to C enterprises, follow up, close or withdraw; the notice."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template
from sqlalchemy import select

from credit.models import AuditEntry, WarningNotice
from credit.workflows.errors import (
    InvalidInput,
    InvalidTransition,
    NotPermitted,
)
from credit.workflows.warning_notices import (
    add_follow_up,
    close_warning,
    get_warning,
    is_overdue,
    issue_warning,
    notice_document,
    warnings_for,
    withdraw_warning,
)

EXPECT = "立即对不合格批次产品停止销售并召回，查明原因，完善出厂检验制度。"


def issue(world, key="c", user="publisher", days=30):
    return issue_warning(world.u[user], world.e[key], expectations=EXPECT,
                         deadline=world.day + dt.timedelta(days=days))


def actions(db) -> list[str]:
    return db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "warning_notice").order_by(AuditEntry.id)).all()


def test_issue_copies_the_reasons_and_numbers_the_notice(db, world):
    warning = issue(world)
    assert warning.state == "issued" and warning.issued_on == world.day
    assert warning.number == "佳市监黄警〔2026〕1号"
    assert warning.reasons == [{"code": "C2", "refs": ["F-5"]}]
    assert warning.records == [{"type": "spot_check", "date": "2026-04-11", "ref": "F-5"}]
    assert warning.risk_score > 0
    assert actions(db) == ["warning.issue"]


@pytest.mark.parametrize("key", ["a", "b", "d"])
def test_only_c_enterprises_are_warned(db, world, key):
    with pytest.raises(InvalidTransition, match="graded C now"):
        issue(world, key)


def test_one_open_warning_per_enterprise(db, world):
    first = issue(world)
    with pytest.raises(InvalidTransition, match=f"already has open warning {first.number}"):
        issue(world)
    withdraw_warning(world.u["publisher"], first, note="文书有误，重新制发")
    second = issue(world)
    assert second.number == "佳市监黄警〔2026〕2号"


@pytest.mark.parametrize(("days", "message"), [(0, "a day after today"), (-3, "a day after"),
                                               (400, "more than 366 days")])
def test_deadline_is_checked(db, world, days, message):
    with pytest.raises(InvalidInput, match=message):
        issue(world, days=days)


def test_expectations_are_required(db, world):
    with pytest.raises(InvalidInput, match="rectification expected"):
        issue_warning(world.u["publisher"], world.e["c"], expectations="  ",
                      deadline=world.day + dt.timedelta(days=10))


@pytest.mark.parametrize(("user", "allowed"), [
    ("publisher", True), ("admin", True), ("publisher_h", False), ("recorder", False),
    ("reviewer", False), ("auditor", False), ("ent_c", False),
])
def test_who_may_warn(db, world, user, allowed):
    if allowed:
        issue(world, user=user)
    else:
        with pytest.raises(NotPermitted):
            issue(world, user=user)


def test_follow_up_then_close(db, world):
    warning = issue(world)
    add_follow_up(world.u["publisher"], warning, note="电话督促，企业已提交整改方案")
    with pytest.raises(InvalidInput, match="follow-up date"):
        add_follow_up(world.u["publisher"], warning, note="x", done_on=world.day.replace(day=1))
    world.pin(world.day + dt.timedelta(days=31))
    assert is_overdue(warning)
    assert warnings_for(world.u["publisher"], overdue=True) == [warning]
    close_warning(world.u["publisher"], warning, rectified=True,
                  note="复查合格，整改到位", version=warning.version)
    assert (warning.state, warning.closed_on, warning.outcome_note) == (
        "rectified", world.day + dt.timedelta(days=31), "复查合格，整改到位")
    assert not is_overdue(warning)
    with pytest.raises(InvalidTransition):
        add_follow_up(world.u["publisher"], warning, note="again")
    assert actions(db) == ["warning.issue", "warning.follow_up", "warning.close"]
    assert [f.note for f in warning.follow_ups] == ["电话督促，企业已提交整改方案"]


def test_not_rectified_and_closing_needs_a_note(db, world):
    warning = issue(world)
    with pytest.raises(InvalidInput, match="outcome note"):
        close_warning(world.u["publisher"], warning, rectified=False, note="")
    close_warning(world.u["admin"], warning, rectified=False, note="逾期未整改，移交稽查")
    assert warning.state == "unrectified"


def test_lists_are_scoped(db, world):
    warning = issue(world)
    assert warnings_for(world.u["recorder"]) == [warning]
    assert warnings_for(world.u["publisher_h"]) == []
    assert warnings_for(world.u["admin"], state="issued") == [warning]
    assert warnings_for(world.u["admin"], state="rectified") == []
    assert warnings_for(world.u["ent_c"]) == []
    assert warnings_for(world.u["evaluator"]) == [] and warnings_for(world.u["inspector"]) == []
    assert get_warning(world.u["reviewer"], warning.id) is warning
    assert get_warning(world.u["publisher_h"], warning.id) is None
    assert get_warning(world.u["ent_c"], warning.id) is None


def test_notice_document_and_print(app, db, world):
    warning = issue(world)
    with pytest.raises(NotPermitted):
        notice_document(world.u["publisher_h"], warning)
    doc = notice_document(world.u["publisher"], warning)
    assert doc["authority"] == "向阳区市场监督管理局"
    assert doc["enterprise"]["uscc"] == world.e["c"].uscc
    assert doc["reasons"][0]["text"] == "当年监督抽查或监督检查不合格"
    assert doc["reasons"][0]["records"] == [{"type": "监督抽查", "date": "2026-04-11",
                                            "ref": "F-5"}]
    assert actions(db)[-1] == "warning.print"
    with app.test_request_context("/"):
        html = render_template("supervision/warning_notice.html", doc=doc)
    assert warning.number in html and EXPECT in html and "F-5" in html
    assert "2026年11月14日" in html  # the deadline, in words
    assert "C级" not in html and "失信（C" not in html  # the letter is internal


def test_number_sequence_is_per_year(db, world):
    first = issue(world)
    first.number = "佳市监黄警〔2025〕7号"
    withdraw_warning(world.u["publisher"], first, note="x")
    assert issue(world).number == "佳市监黄警〔2026〕1号"
    assert db.session.scalar(select(WarningNotice.number).where(
        WarningNotice.id == first.id)) == "佳市监黄警〔2025〕7号"
