"""Named permission checks and jurisdiction scoping."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from credit.models import DCase, Enterprise
from credit.permissions import (
    can_act_for_enterprise,
    can_publish,
    can_record,
    can_review,
    can_view_audit,
    can_view_internal,
)
from credit.services.scoping import scope_to_jurisdiction
from tests.workflows.conftest import _fast_password_hashes, world  # noqa: F401

# (user, firm key) -> expected, for firm "a" in 向阳区 and "a_h" in 桦南县
VIEW = [
    ("admin", "a", True), ("admin", "a_h", True),
    ("recorder", "a", True), ("recorder", "a_h", False),
    ("reviewer", "a", True), ("publisher_h", "a", False), ("publisher_h", "a_h", True),
    ("auditor", "a_h", True),
    ("evaluator", "a", False), ("inspector", "a", False),  # no internal grades
    ("ent_a", "a", False), ("ent_b", "a", False),
]


@pytest.mark.parametrize(("user", "key", "expected"), VIEW)
def test_can_view_internal(db, world, user, key, expected):  # noqa: F811
    assert can_view_internal(world.u[user], world.e[key]) is expected


@pytest.mark.parametrize(("user", "expected"), [
    ("recorder", True), ("admin", True), ("reviewer", False), ("auditor", False),
    ("ent_a", False),
])
def test_can_record(db, world, user, expected):  # noqa: F811
    assert can_record(world.u[user], world.e["a"]) is expected


def test_auditor_reads_but_acts_on_nothing(db, world):  # noqa: F811
    auditor = world.u["auditor"]
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    assert can_view_audit(auditor) and can_view_internal(auditor, world.e["d"])
    assert not can_review(auditor, case) and not can_publish(auditor, case)
    assert not can_record(auditor, world.e["d"])


def test_four_eyes_applies_to_city_admin_too(db, world):  # noqa: F811
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    assert can_review(world.u["admin"], case)
    assert not can_review(world.u["reviewer"], case)  # recorded the case's record
    from sqlalchemy import update

    from credit.models import Record

    db.session.execute(update(Record).values(recorded_by_id=world.u["admin"].id))
    assert not can_review(world.u["admin"], case)


def test_inactive_users_may_do_nothing(db, world):  # noqa: F811
    world.u["admin"].active = False
    world.u["ent_a"].active = False
    assert not can_view_internal(world.u["admin"], world.e["a"])
    assert not can_act_for_enterprise(world.u["ent_a"], world.e["a"])


@pytest.mark.parametrize(("user", "expected"), [
    ("admin", {"a", "a_tested", "a_h", "b", "c", "d", "d_h"}),
    ("auditor", {"a", "a_tested", "a_h", "b", "c", "d", "d_h"}),
    ("recorder", {"a", "a_tested", "b", "c", "d"}),
    ("publisher_h", {"a_h", "d_h"}),
    ("ent_a", set()),
    (None, set()),
])
def test_scope_to_jurisdiction(db, world, user, expected):  # noqa: F811
    query = scope_to_jurisdiction(select(Enterprise.uscc), world.u[user] if user else None,
                                  Enterprise.district)
    usccs = set(db.session.scalars(query))
    assert usccs == {world.e[k].uscc for k in expected}


# -- four eyes: whoever made a case's facts may not review it ---------------------------------


def _user(db, username):
    """A user of the world by name (an import's batches detach the others)."""
    from credit.models import User

    return db.session.scalar(select(User).where(User.username == username))


def _case(db, enterprise):
    return db.session.scalar(select(DCase).where(DCase.enterprise_id == enterprise.id)
                             .order_by(DCase.id.desc()))


GENERAL = {"type": "violation", "ref": "V-9", "date": "2026-03-15", "category": "quality",
           "severity": "general"}


def test_a_correction_makes_its_author_a_party(db, world):  # noqa: F811
    """The issue's case: a recorder enters a general violation, the city administrator
    corrects it to counterfeit; the grade becomes D and the administrator may not review."""
    from credit.services.archive import add_record, change_record
    from credit.workflows.d_listing import confirm_case
    from credit.workflows.errors import NotPermitted

    firm, admin = world.e["b"], world.u["admin"]
    record = add_record(world.u["recorder"], firm, dict(GENERAL))
    assert _case(db, firm) is None
    change_record(admin, record, {**GENERAL, "category": "counterfeit"}, reason="定性有误")
    case = _case(db, firm)
    assert case.record_ids == [record.id]
    db.session.commit()
    assert not can_review(admin, case)
    with pytest.raises(NotPermitted):
        confirm_case(admin, case)
    assert can_review(world.u["reviewer_city"], case)


def test_an_import_by_a_user_makes_them_a_party(db, world, write_json):  # noqa: F811
    from credit.services.importer import import_archive
    from tests.workflows.conftest import COUNTERFEIT, firm

    doc = {"format": "jms-quality-archive/1",
           "enterprises": [firm(21, "向阳区", {**COUNTERFEIT, "ref": "V-21"})]}
    import_archive(str(write_json(doc)), today=world.day, source="upload",
                   actor=world.u["admin"])
    case = db.session.scalar(select(DCase).join(Enterprise).where(
        Enterprise.uscc == doc["enterprises"][0]["uscc"]))
    assert case is not None and not can_review(world.u["admin"], case)
    assert can_review(_user(db, "reviewer_city"), case)


def test_a_removal_that_makes_a_d_makes_its_author_a_party(db, world):  # noqa: F811
    """Failed, passed, failed: removing the pass makes two failures in a row (D4)."""
    from credit.services.archive import add_record, remove_record

    firm, recorder = world.e["b"], world.u["recorder"]
    check = {"type": "spot_check", "subject": "product"}
    add_record(recorder, firm, {**check, "ref": "S-1", "date": "2026-02-01", "result": "fail"})
    passed = add_record(recorder, firm, {**check, "ref": "S-2", "date": "2026-03-01",
                                         "result": "pass"})
    add_record(recorder, firm, {**check, "ref": "S-3", "date": "2026-04-01", "result": "fail"})
    remove_record(world.u["admin"], passed, reason="录入错误")
    case = _case(db, firm)
    assert [r["code"] for r in case.reasons] == ["D4"]
    assert not can_review(world.u["admin"], case)


def test_a_qualification_case_lists_its_fact_and_excludes_who_set_it(db, world):  # noqa: F811
    from credit.services.archive import update_enterprise

    firm = world.e["b"]
    facts = {"uscc": firm.uscc, "name": firm.name, "district": firm.district,
             "established_on": firm.established_on.isoformat(), "qualification": "invalid"}
    update_enterprise(world.u["admin"], firm, facts, reason="资质证书已过期")
    case = _case(db, firm)
    assert case.facts == [{"code": "D1", "qualification": "invalid"}]
    assert case.reasons == [{"code": "D1", "refs": []}] and case.record_ids == []
    assert case.rests_on_qualification
    assert not can_review(world.u["admin"], case)
    assert can_review(world.u["reviewer_city"], case)


def test_an_enterprise_registered_invalid_excludes_its_registrar(db, world):  # noqa: F811
    from credit.services.archive import create_enterprise
    from tests.workflows.conftest import firm

    facts = {k: v for k, v in firm(22, "向阳区").items() if k != "records"}
    enterprise = create_enterprise(world.u["admin"], {**facts, "qualification": "invalid"})
    case = _case(db, enterprise)
    assert case.facts == [{"code": "D1", "qualification": "invalid"}]
    assert not can_review(world.u["admin"], case)


def test_review_excluded_is_a_few_queries_for_a_whole_queue(db, world):  # noqa: F811
    from sqlalchemy import event

    from credit.permissions import review_excluded
    from credit.services.importer import write_enterprises
    from tests.workflows.conftest import COUNTERFEIT, firm

    docs = [firm(100 + n, "郊区", {**COUNTERFEIT, "ref": f"V-{n}"},
                 {**COUNTERFEIT, "ref": f"W-{n}", "date": "2026-04-01"}) for n in range(40)]
    write_enterprises(docs, today=world.day, source="upload", actor=world.u["admin"])
    cases = db.session.scalars(select(DCase).order_by(DCase.id)).all()
    assert len(cases) == 42
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        excluded = review_excluded(cases)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 4
    assert excluded[cases[0].id] == {_user(db, "reviewer").id}  # world's firm d
    assert all(excluded[c.id] == {world.u["admin"].id} for c in cases[2:])
    assert [can_review(world.u["admin"], c, excluded=excluded) for c in cases[:3]] == [
        True, True, False]
