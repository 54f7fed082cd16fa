"""Record edits regrade their enterprise in the same transaction; the history tells the story."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from credit.models import AuditEntry, Enterprise, Grade, GradeChange, Record
from credit.services.archive import (
    InvalidRecord,
    add_record,
    change_record,
    manual_regrade,
    remove_record,
)
from credit.services.importer import write_enterprises

FIRM = {"uscc": "912308041043321813", "name": "佳木斯市松江乳业有限公司", "district": "前进区",
        "established_on": "2012-05-20", "records": []}
FAIL = {"type": "spot_check", "ref": "CC-1", "date": "2026-04-02", "subject": "product",
        "result": "fail"}


@pytest.fixture
def firm(db, today):
    day = today("2026-10-15")
    write_enterprises([dict(FIRM)], today=day, source="test")
    db.session.commit()
    return db.session.scalar(select(Enterprise))


def history(db, firm):
    return [(h.old_grade, h.new_grade, h.cause, [r["code"] for r in h.reasons])
            for h in db.session.scalars(select(GradeChange).where(
                GradeChange.enterprise_id == firm.id).order_by(GradeChange.id))]


def test_add_change_remove_regrade_at_once(db, firm):
    assert db.session.get(Grade, firm.id).grade == "A"
    record = add_record(firm, dict(FAIL))
    assert db.session.get(Grade, firm.id).grade == "C"  # before any commit: same transaction
    change_record(record, {**FAIL, "result": "pass"})
    assert db.session.get(Grade, firm.id).grade == "A"  # a passed check breaks nothing
    second = add_record(firm, {**FAIL, "ref": "CC-2", "date": "2026-05-01"})
    third = add_record(firm, {**FAIL, "ref": "CC-3", "date": "2026-06-01"})
    assert db.session.get(Grade, firm.id).grade == "D"
    remove_record(third)
    remove_record(second)
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
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "record").order_by(AuditEntry.id)).all()
    assert actions == ["record.create", "record.update", "record.create", "record.create",
                       "record.delete", "record.delete"]


def test_a_refused_record_changes_nothing(db, firm):
    with pytest.raises(InvalidRecord) as refused:
        add_record(firm, {**FAIL, "result": "failed", "date": "2030-01-01"})
    assert refused.value.problems.items == [
        "record.date: 2030-01-01 is in the future",
        "record.result: 'failed' is not one of pass, fail",
    ]
    db.session.rollback()
    assert db.session.scalars(select(Record)).all() == []
    assert history(db, firm) == [(None, "A", "import", [])]


def test_a_duplicate_ref_is_refused_with_its_place(db, firm):
    add_record(firm, dict(FAIL))
    with pytest.raises(InvalidRecord, match=r"record\.ref: 'CC-1' is already recorded"):
        add_record(firm, dict(FAIL))


def test_unchanged_correction_writes_no_history(db, firm):
    record = add_record(firm, dict(FAIL))
    before = history(db, firm)
    change_record(record, dict(FAIL))
    assert history(db, firm) == before


def test_year_rollover_regrade(db, firm, today, cli):
    add_record(firm, dict(FAIL))
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


def test_manual_regrade_records_its_cause(db, firm):
    db.session.execute(Grade.__table__.update().values(grade="B"))
    assert manual_regrade([firm.id]) == 1
    assert history(db, firm)[-1] == ("B", "A", "manual_regrade", [])
