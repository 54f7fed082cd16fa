"""Staff edits of the archive: every service checks the actor's right itself, a correction or
removal says why, and the enterprise is regraded in the same transaction."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from credit.models import AuditEntry, Enterprise, Grade, GradeChange, Record, Role
from credit.services.accounts import create_user
from credit.services.archive import (
    InvalidEnterprise,
    InvalidRecord,
    add_record,
    change_record,
    create_enterprise,
    manual_regrade,
    remove_record,
    update_enterprise,
)
from credit.services.importer import write_enterprises
from credit.workflows.errors import InvalidInput, NotPermitted

FIRM = {"uscc": "912308041043321813", "name": "佳木斯市松江乳业有限公司", "district": "前进区",
        "established_on": "2012-05-20", "records": []}
NEW_FIRM = {"uscc": "91230800000000019K", "name": "向阳守信食品有限公司", "district": "向阳区",
            "established_on": "2012-05-20", "qualification": "valid", "industry": "C1441",
            "address": "佳木斯市向阳区长安路 1 号", "products": ["液态奶"]}
FAIL = {"type": "spot_check", "ref": "CC-1", "date": "2026-04-02", "subject": "product",
        "result": "fail"}


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch):
    monkeypatch.setattr("credit.models.users.generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"))


@pytest.fixture
def firm(db, today):
    day = today("2026-10-15")
    write_enterprises([dict(FIRM)], today=day, source="test")
    db.session.commit()
    return db.session.scalar(select(Enterprise))


@pytest.fixture
def users(db, firm):
    u = SimpleNamespace()
    for name, role, jurisdiction in [
        ("recorder", Role.RECORDER, "前进区"), ("recorder_x", Role.RECORDER, "向阳区"),
        ("recorder_h", Role.RECORDER, "桦南县"), ("admin", Role.CITY_ADMIN, None),
        ("reviewer", Role.REVIEWER, "前进区"), ("auditor", Role.AUDITOR, None),
    ]:
        setattr(u, name, create_user(name, "password-123", role=role,
                                     jurisdiction=jurisdiction))
    u.ent = create_user("ent", "password-123", role=Role.ENTERPRISE, uscc=FIRM["uscc"])
    db.session.commit()
    return u


def history(db, firm):
    return [(h.old_grade, h.new_grade, h.cause, [r["code"] for r in h.reasons])
            for h in db.session.scalars(select(GradeChange).where(
                GradeChange.enterprise_id == firm.id).order_by(GradeChange.id))]


def test_add_change_remove_regrade_at_once(db, firm, users):
    actor = users.recorder
    assert db.session.get(Grade, firm.id).grade == "A"
    record = add_record(actor, firm, dict(FAIL))
    assert db.session.get(Grade, firm.id).grade == "C"  # before any commit: same transaction
    change_record(actor, record, {**FAIL, "result": "pass"}, reason="录入错误，实为合格")
    assert db.session.get(Grade, firm.id).grade == "A"  # a passed check breaks nothing
    second = add_record(actor, firm, {**FAIL, "ref": "CC-2", "date": "2026-05-01"})
    third = add_record(users.admin, firm, {**FAIL, "ref": "CC-3", "date": "2026-06-01"})
    assert db.session.get(Grade, firm.id).grade == "D"
    remove_record(actor, third, reason="重复录入")
    remove_record(actor, second, reason="重复录入")
    db.session.commit()
    assert db.session.get(Grade, firm.id).grade == "A"
    assert history(db, firm) == [
        (None, "A", "import", []),
        ("A", "C", "record_added", ["C2"]),
        ("C", "A", "record_changed", []),
        ("A", "C", "record_added", ["C2"]),
        ("C", "D", "record_added", ["D4"]),
        ("D", "C", "record_removed", ["C2"]),
        ("C", "A", "record_removed", []),
    ]
    entries = db.session.execute(select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.after)
                                 .where(AuditEntry.object_type == "record")
                                 .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["record.create", "record.update", "record.create",
                                          "record.create", "record.delete", "record.delete"]
    assert [e.actor_id for e in entries] == [actor.id, actor.id, actor.id, users.admin.id,
                                            actor.id, actor.id]
    assert entries[1].after["reason"] == "录入错误，实为合格"
    assert entries[4].after == {"reason": "重复录入"}
    assert db.session.get(Record, record.id).recorded_by_id == actor.id


@pytest.mark.parametrize(("user", "allowed"), [
    ("recorder", True), ("admin", True),
    ("recorder_h", False),  # another county's recorder
    ("ent", False),  # the enterprise's own account
    ("reviewer", False), ("auditor", False),
])
def test_every_archive_write_checks_the_actor(db, firm, users, user, allowed):
    actor = getattr(users, user)
    existing = add_record(users.recorder, firm, {**FAIL, "ref": "CC-0", "result": "pass"})
    db.session.commit()
    writes = [
        lambda: add_record(actor, firm, dict(FAIL)),
        lambda: change_record(actor, existing, {**FAIL, "ref": "CC-0"}, reason="更正"),
        lambda: update_enterprise(actor, firm, _facts(name="改名有限公司"), reason="更名"),
        lambda: remove_record(actor, existing, reason="录入错误"),
    ]
    for write in writes:
        if allowed:
            write()
        else:
            with pytest.raises(NotPermitted):
                write()
    db.session.rollback()


def test_an_inactive_recorder_may_not_write(db, firm, users):
    users.recorder.active = False
    with pytest.raises(NotPermitted):
        add_record(users.recorder, firm, dict(FAIL))


@pytest.mark.parametrize("reason", [None, "", "   ", 42])
def test_a_correction_or_removal_needs_its_reason(db, firm, users, reason):
    record = add_record(users.recorder, firm, dict(FAIL))
    db.session.commit()
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(InvalidRecord) as refused:
        change_record(users.recorder, record, {**FAIL, "result": "pass"}, reason=reason)
    assert [p.split(":")[0] for p in refused.value.problems.items] == ["reason"]
    with pytest.raises(InvalidInput, match="reason"):  # the same refusal, by its base class
        remove_record(users.recorder, record, reason=reason)
    db.session.rollback()
    assert db.session.get(Record, record.id).result == "fail"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_a_refused_record_changes_nothing(db, firm, users):
    with pytest.raises(InvalidRecord) as refused:
        add_record(users.recorder, firm, {**FAIL, "result": "failed", "date": "2030-01-01"})
    assert refused.value.problems.items == [
        "record.date: 2030-01-01 is in the future",
        "record.result: 'failed' is not one of pass, fail",
    ]
    db.session.rollback()
    assert db.session.scalars(select(Record)).all() == []
    assert history(db, firm) == [(None, "A", "import", [])]


def test_a_duplicate_ref_is_refused_with_its_place(db, firm, users):
    add_record(users.recorder, firm, dict(FAIL))
    with pytest.raises(InvalidRecord, match=r"record\.ref: 'CC-1' is already recorded"):
        add_record(users.recorder, firm, dict(FAIL))


def test_unchanged_correction_writes_no_history(db, firm, users):
    record = add_record(users.recorder, firm, dict(FAIL))
    before = history(db, firm)
    change_record(users.recorder, record, dict(FAIL), reason="核对无误")
    assert history(db, firm) == before


def test_year_rollover_regrade(db, firm, users, cli):
    add_record(users.recorder, firm, dict(FAIL))
    db.session.commit()
    firm = db.session.get(Enterprise, firm.id)
    firm_id = firm.id
    assert cli("regrade", "--as-of", "2026-12-31").exit_code == 0
    result = cli("regrade", "--as-of", "2027-01-01")
    assert "1 changed (year_rollover)" in result.output
    firm = db.session.get(Enterprise, firm_id)
    assert history(db, firm)[-1] == ("C", "B", "year_rollover", [])
    grade = db.session.get(Grade, firm_id)
    assert (grade.grade, str(grade.since)) == ("B", "2027-01-01")
    assert grade.unmet == [{"code": "A1", "refs": ["CC-1"]}]


def test_manual_regrade_records_its_cause(db, firm, users):
    db.session.execute(Grade.__table__.update().values(grade="B"))
    with pytest.raises(NotPermitted):
        manual_regrade(users.recorder_h, [firm.id])
    assert manual_regrade(users.recorder, [firm.id]) == 1
    assert history(db, firm)[-1] == ("B", "A", "manual_regrade", [])


# -- registration facts ------------------------------------------------------------------------


def test_create_enterprise_validates_audits_and_grades(db, firm, users):
    enterprise = create_enterprise(users.recorder_x, dict(NEW_FIRM))
    db.session.commit()
    assert (enterprise.name, enterprise.recorded_by_id) == (NEW_FIRM["name"],
                                                            users.recorder_x.id)
    assert db.session.get(Grade, enterprise.id).grade == "A"
    assert history(db, enterprise) == [(None, "A", "enterprise_added", [])]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "enterprise"))
    assert (entry.action, entry.actor_id, entry.after["established_on"]) == (
        "enterprise.create", users.recorder_x.id, "2012-05-20")


@pytest.mark.parametrize(("user", "district"), [
    ("recorder", "向阳区"), ("recorder_h", "向阳区"), ("ent", "向阳区"), ("reviewer", "前进区"),
])
def test_create_enterprise_is_refused_outside_the_actors_right(db, firm, users, user, district):
    with pytest.raises(NotPermitted):
        create_enterprise(getattr(users, user), {**NEW_FIRM, "district": district})


def test_create_enterprise_reports_every_problem_with_its_place(db, firm, users):
    with pytest.raises(InvalidEnterprise) as refused:
        create_enterprise(users.admin, {**NEW_FIRM, "uscc": FIRM["uscc"], "name": " ",
                                        "qualification": "lapsed", "records": []})
    assert refused.value.problems.items == [
        "enterprise.name: must not be empty",
        "enterprise.qualification: 'lapsed' is not one of valid, invalid",
        "enterprise.records: records are added one at a time, not with the registration facts",
    ]
    with pytest.raises(InvalidEnterprise, match=r"enterprise\.uscc: '912308041043321813' is "
                                                r"already registered"):
        create_enterprise(users.admin, {**NEW_FIRM, "uscc": FIRM["uscc"]})


def _facts(**changes):
    return {**{k: v for k, v in FIRM.items() if k != "records"}, **changes}


def test_update_enterprise_regrades_when_a_graded_fact_changes(db, firm, users):
    update_enterprise(users.recorder, firm, _facts(name="松江乳业集团有限公司"), reason="更名")
    assert history(db, firm) == [(None, "A", "import", [])]  # a name is not graded
    update_enterprise(users.recorder, firm, _facts(name="松江乳业集团有限公司",
                                                   qualification="invalid"), reason="许可证过期")
    db.session.commit()
    assert history(db, firm)[-1] == ("A", "D", "enterprise_changed", ["D1"])
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "enterprise").order_by(AuditEntry.id)).all()
    assert [(e.before["qualification"], e.after["qualification"], e.after["reason"])
            for e in entries] == [("valid", "valid", "更名"), ("valid", "invalid", "许可证过期")]


def test_update_enterprise_refusals(db, firm, users):
    add_record(users.recorder, firm, dict(FAIL))
    with pytest.raises(InvalidEnterprise) as refused:
        update_enterprise(users.recorder, firm, _facts(uscc=NEW_FIRM["uscc"],
                                                       established_on="2026-05-01"), reason="")
    assert refused.value.problems.items == [
        "reason: is required: say why the registration facts are corrected",
    ]
    with pytest.raises(InvalidEnterprise) as refused:
        update_enterprise(users.recorder, firm, _facts(uscc=NEW_FIRM["uscc"],
                                                       established_on="2026-05-01"), reason="x")
    assert refused.value.problems.items == [
        "enterprise.uscc: the USCC identifies the enterprise and cannot be changed "
        "(it is '912308041043321813')",
        "enterprise.established_on: 2026-05-01 is after the enterprise's first record "
        "(2026-04-02)",
    ]
    # moving it needs the right to record in both jurisdictions
    with pytest.raises(NotPermitted):
        update_enterprise(users.recorder, firm, _facts(district="向阳区"), reason="迁址")
    update_enterprise(users.admin, firm, _facts(district="向阳区"), reason="迁址")
    assert firm.district == "向阳区"
