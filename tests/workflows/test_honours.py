"""Honours: the register, flags set by grade changes (batched), the bureau's decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, insert, select

from credit.extensions import db as _db
from credit.models import (
    AuditEntry,
    Enterprise,
    GradeTrigger,
    Honour,
    HonourActionEntry,
    Record,
)
from credit.names import pinyin_columns
from credit.services.archive import remove_record
from credit.services.grading import regrade
from credit.workflows.errors import InvalidInput, InvalidTransition, NotPermitted
from credit.workflows.honours import (
    decide_honour,
    flag_for,
    flagged_honours,
    get_honour,
    honours_of,
    on_grade_changes,
    register_honour,
    remove_honour,
    update_honour,
)
from tests.workflows.conftest import COUNTERFEIT, drop_grade

AWARD = {"kind": "famous_brand", "title": "黑龙江省名牌产品：实木复合地板",
         "awarded_by": "黑龙江省市场监督管理局", "awarded_on": dt.date(2024, 12, 1),
         "certificate_no": "HLJMP-2024-031"}


def register(world, key="a", user="recorder", **changes):
    return register_honour(world.u[user], world.e[key], **{**AWARD, **changes})


def history(honour: Honour) -> list[str]:
    return [a.action for a in _db.session.scalars(
        select(HonourActionEntry).where(HonourActionEntry.honour_id == honour.id)
        .order_by(HonourActionEntry.id))]


@pytest.mark.parametrize(("state", "grade", "flag"), [
    ("active", "A", None), ("active", "B", None), ("active", "C", "suspend"),
    ("active", "D", "revoke"), ("suspended", "A", "reinstate"), ("suspended", "B", "reinstate"),
    ("suspended", "C", None), ("suspended", "D", "revoke"), ("revoked", "A", None),
    ("revoked", "D", None), ("removed", "C", None),
])
def test_flag_table(state, grade, flag):
    result = flag_for(state, grade)
    assert (result.value if result else None) == flag


def test_register_and_correct(db, world):
    honour = register(world)
    assert (honour.state, honour.flag) == ("active", None)
    update_honour(world.u["publisher"], honour, **{**AWARD, "title": "省名牌产品：复合地板"},
                  version=honour.version)
    assert honour.title == "省名牌产品：复合地板"
    assert history(honour) == ["register", "edit"]
    assert [h.id for h in honours_of(world.u["reviewer"], world.e["a"])] == [honour.id]
    assert honours_of(world.u["publisher_h"], world.e["a"]) == []
    assert get_honour(world.u["auditor"], honour.id) is honour
    assert get_honour(world.u["recorder"], honour.id) is honour
    assert get_honour(world.u["publisher_h"], honour.id) is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": "medal"}, "kind"), ({"title": " "}, "title: required"),
    ({"awarded_by": ""}, "awarded_by: required"),
    ({"awarded_on": dt.date(2027, 1, 1)}, "awarded_on"),
    ({"expires_on": dt.date(2024, 1, 1)}, "expires_on"),
])
def test_register_checks_its_fields(db, world, changes, message):
    with pytest.raises(InvalidInput, match=message):
        register(world, **changes)


@pytest.mark.parametrize(("user", "key", "allowed"), [
    ("recorder", "a", True), ("publisher", "a", True), ("admin", "a_h", True),
    ("recorder", "a_h", False), ("reviewer", "a", False), ("auditor", "a", False),
    ("ent_a", "a", False),
])
def test_who_keeps_the_register(db, world, user, key, allowed):
    if allowed:
        register(world, key, user)
    else:
        with pytest.raises(NotPermitted):
            register(world, key, user)


def test_grade_c_flags_for_suspension_and_the_decision_is_recorded(db, world):
    honour = register(world)
    drop_grade(db, world.e["a"], world.day)
    assert (honour.flag, honour.flagged_grade, honour.flagged_on) == ("suspend", "C", world.day)
    assert history(honour) == ["register", "flag"]
    assert [h.id for h in flagged_honours(world.u["publisher"])] == [honour.id]
    assert flagged_honours(world.u["publisher_h"]) == []
    assert flagged_honours(world.u["evaluator"]) == []
    with pytest.raises(NotPermitted):
        decide_honour(world.u["recorder"], honour, "suspend", note="C级")
    with pytest.raises(InvalidInput, match="reasons"):
        decide_honour(world.u["publisher"], honour, "suspend", note=" ")
    decide_honour(world.u["publisher"], honour, "suspend", note="依42号文四(三)暂停",
                  version=honour.version)
    assert (honour.state, honour.flag) == ("suspended", None)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "honour.suspend"))
    assert entry.after["note"] == "依42号文四(三)暂停" and entry.after["grade"] == "C"
    assert entry.actor == "publisher"
    # a C whose reasons change is not flagged again
    db.session.add(Record(enterprise_id=world.e["a"].id, type="complaint", ref="CP-1",
                          date=dt.date(2026, 9, 5), resolution="late"))
    db.session.flush()
    assert regrade([world.e["a"].id], as_of=world.day, cause=GradeTrigger.RECORD_ADDED).changed
    db.session.refresh(honour)
    assert (honour.state, honour.flag) == ("suspended", None)


def test_grade_d_flags_for_revocation_even_when_suspended(db, world):
    honour = register(world)
    drop_grade(db, world.e["a"], world.day)
    decide_honour(world.u["publisher"], honour, "suspend", note="C")
    db.session.add(Record(enterprise_id=world.e["a"].id, **{**COUNTERFEIT, "ref": "V-a",
                                                             "date": dt.date(2026, 9, 2)}))
    db.session.flush()
    regrade([world.e["a"].id], as_of=world.day, cause=GradeTrigger.RECORD_ADDED)
    db.session.refresh(honour)
    assert (honour.state, honour.flag, honour.flagged_grade) == ("suspended", "revoke", "D")
    decide_honour(world.u["admin"], honour, "revoke", note="D级，撤销")
    assert honour.state == "revoked"
    with pytest.raises(InvalidTransition):
        decide_honour(world.u["admin"], honour, "reinstate", note="x")


def test_recovery_withdraws_a_pending_flag_and_asks_to_reinstate(db, world):
    kept = register(world)
    suspended = register(world, title="佳木斯市质量奖", kind="quality_award")
    drop_grade(db, world.e["a"], world.day)
    decide_honour(world.u["publisher"], suspended, "suspend", note="C")
    record = db.session.scalar(select(Record).where(Record.enterprise_id == world.e["a"].id))
    remove_record(world.u["recorder"], record, reason="录入错误")  # the grade is A again
    db.session.refresh(kept)
    db.session.refresh(suspended)
    assert kept.flag is None and history(kept)[-1] == "unflag"
    assert suspended.flag == "reinstate"
    decide_honour(world.u["publisher"], suspended, "reinstate", note="已恢复A级")
    assert (suspended.state, suspended.flag) == ("active", None)


def test_keep_needs_a_flag_and_leaves_the_state(db, world):
    honour = register(world)
    with pytest.raises(InvalidTransition, match="not flagged"):
        decide_honour(world.u["publisher"], honour, "keep", note="x")
    drop_grade(db, world.e["a"], world.day)
    decide_honour(world.u["publisher"], honour, "keep", note="奖项与失信产品无关")
    assert (honour.state, honour.flag) == ("active", None)
    with pytest.raises(InvalidInput, match="choose one of"):
        decide_honour(world.u["publisher"], honour, "delete", note="x")


def test_registering_for_a_c_enterprise_flags_at_once(db, world):
    honour = register(world, "c")
    assert (honour.flag, honour.flagged_grade) == ("suspend", "C")
    remove_honour(world.u["recorder"], honour, note="录入错误")
    assert (honour.state, honour.flag) == ("removed", None)
    assert history(honour) == ["register", "flag", "remove"]


def test_a_batch_of_a_thousand_changes_takes_a_few_statements(db, world):
    """The listener during a regrade of a million: called per batch of 1,000 changes."""
    rows = [{"uscc": f"92230800{i:010d}", "name": f"批量{i}", "district": "郊区",
             "established_on": dt.date(2015, 1, 1), "qualification": "valid", "products": [],
             **pinyin_columns(f"批量{i}")} for i in range(1000)]
    ids = db.session.scalars(insert(Enterprise).returning(Enterprise.id), rows).all()
    db.session.execute(insert(Honour), [
        {"enterprise_id": eid, "kind": "famous_brand", "title": "名牌", "awarded_by": "省局",
         "awarded_on": dt.date(2024, 1, 1), "state": "active", "version": 1} for eid in ids])
    history_rows = [{"enterprise_id": eid, "old_grade": "A", "new_grade": "C" if i % 2 else "D",
                     "changed_on": world.day, "reasons": [], "rulebook": "JMS-2020-42/1",
                     "cause": "time_passed", "actor_id": None} for i, eid in enumerate(ids)]
    statements = []
    engine = db.session.get_bind()

    def count(conn, cursor, statement, *args):
        statements.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", count)
    try:
        on_grade_changes(history_rows)
        db.session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 8, statements
    flags = dict(db.session.execute(select(Honour.flag, func.count()).group_by(Honour.flag))
                 .all())
    assert flags == {"suspend": 500, "revoke": 500}
    assert db.session.scalar(select(func.count()).select_from(HonourActionEntry)) == 1000
    logged = db.session.scalars(select(AuditEntry.after).where(
        AuditEntry.action == "honour.flags")).all()
    assert len(logged) == 1 and len(logged[0]["changes"]) == 1000
