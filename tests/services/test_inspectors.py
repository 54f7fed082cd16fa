"""The pool of enforcement staff: kept by the plan's roles, per jurisdiction, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from credit.models import AuditEntry, Inspector
from credit.permissions import OPERATOR
from credit.services.inspectors import (
    active_pools,
    add_inspector,
    get_inspector,
    list_inspectors,
    set_inspector_active,
    update_inspector,
)
from credit.workflows.errors import InvalidInput, NotPermitted


def test_pool_is_kept_and_audited(db, city):
    publisher = city.u["publisher"]
    inspector = add_inspector(publisher, badge_no=" 23080012 ", name="王检", jurisdiction="向阳区",
                              unit="稽查科")
    assert inspector.badge_no == "23080012" and inspector.active
    update_inspector(publisher, inspector, name="王建国", unit="")
    assert (inspector.name, inspector.unit) == ("王建国", None)
    set_inspector_active(publisher, inspector, False, reason="调离")
    assert "23080012" not in active_pools(["向阳区"])["向阳区"]
    set_inspector_active(publisher, inspector, True, reason="回岗")
    assert active_pools(["向阳区"])["向阳区"] == tuple(sorted(city.pools["向阳区"] + ["23080012"]))
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "inspector", AuditEntry.object_id == str(inspector.id))
        .order_by(AuditEntry.id)).all()
    assert actions == ["inspector.create", "inspector.update", "inspector.deactivate",
                       "inspector.activate"]


def test_badges_are_unique_and_fields_checked(db, city):
    with pytest.raises(InvalidInput, match="XY-000 is already in the pool"):
        add_inspector(OPERATOR, badge_no="XY-000", name="重复", jurisdiction="桦南县")
    with pytest.raises(InvalidInput, match="control characters"):
        add_inspector(OPERATOR, badge_no="N\t1", name="某", jurisdiction="桦南县")
    with pytest.raises(InvalidInput, match="name: required"):
        add_inspector(OPERATOR, badge_no="N-1", name=" ", jurisdiction="桦南县")
    with pytest.raises(InvalidInput, match="not one of the 11"):
        add_inspector(OPERATOR, badge_no="N-1", name="某", jurisdiction="松花江区")
    with pytest.raises(InvalidInput, match="reason: required"):
        set_inspector_active(OPERATOR, db.session.scalar(select(Inspector).limit(1)), False,
                             reason="")


def test_jurisdiction_limits_the_pool_keepers(db, city):
    with pytest.raises(NotPermitted):
        add_inspector(city.u["publisher_h"], badge_no="N-2", name="某", jurisdiction="向阳区")
    with pytest.raises(NotPermitted):
        add_inspector(city.u["recorder"], badge_no="N-2", name="某", jurisdiction="向阳区")
    theirs = db.session.scalar(select(Inspector).where(Inspector.jurisdiction == "桦南县")
                               .limit(1))
    with pytest.raises(NotPermitted):
        update_inspector(city.u["publisher"], theirs, name="改名")
    mine = db.session.scalar(select(Inspector).where(Inspector.jurisdiction == "向阳区").limit(1))
    with pytest.raises(NotPermitted):  # cannot move someone into another's pool
        update_inspector(city.u["publisher"], mine, jurisdiction="桦南县")
    update_inspector(city.u["admin"], mine, jurisdiction="桦南县")
    assert mine.jurisdiction == "桦南县"


def test_lists_are_scoped(db, city):
    assert {i.jurisdiction for i in list_inspectors(city.u["recorder_h"])} == {"桦南县"}
    assert len(list_inspectors(city.u["admin"])) == 9
    assert len(list_inspectors(city.u["admin"], jurisdiction="向阳区", active=True)) == 6
    assert list_inspectors(city.u["evaluator"]) == []
    assert list_inspectors(None) == []
    theirs = list_inspectors(city.u["admin"], jurisdiction="桦南县")[0]
    assert get_inspector(city.u["recorder_h"], theirs.id) is theirs
    assert get_inspector(city.u["recorder"], theirs.id) is None
