"""Loading archives: atomic, idempotent, reproducible, and the grades follow."""

from __future__ import annotations

import copy
import io
import json

import pytest
from sqlalchemy import func, select

from credit.models import AuditEntry, Enterprise, Grade, GradeChange, Record
from credit.services.exchange import write_archive
from credit.services.exporter import iter_archive
from credit.services.importer import InvalidArchive, import_archive


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def load(db, path, today):
    result = import_archive(str(path), today=today, source="test")
    db.session.commit()
    return result


def export(db) -> dict:
    out = io.StringIO()
    write_archive(out, iter_archive())
    return json.loads(out.getvalue())


def test_sample_loads_and_grades(db, today, write_json, sample_archive, sample_expected):
    day = today(sample_expected["as_of"])
    result = load(db, write_json(sample_archive), day)
    assert (result.enterprises_added, result.records_added) == (8, 7)
    grades = dict(db.session.execute(select(Enterprise.uscc, Grade.grade).join(Grade)).all())
    assert grades == {g["uscc"]: g["grade"] for g in sample_expected["grades"]}
    assert count(db, GradeChange) == 8


def test_one_bad_record_writes_nothing(db, today, write_json, sample_archive):
    day = today()
    doc = copy.deepcopy(sample_archive)
    doc["enterprises"][-1]["records"].append(
        {"type": "complaint", "ref": "X", "date": "2026-05-01", "resolution": "soon"})
    with pytest.raises(InvalidArchive) as refused:
        import_archive(str(write_json(doc)), today=day, source="test")
    db.session.rollback()
    assert refused.value.problems.items == [
        "enterprises[7].records[1].resolution: 'soon' is not one of timely, late, unresolved"
    ]
    for model in (Enterprise, Record, Grade, GradeChange, AuditEntry):
        assert count(db, model) == 0


def test_refused_update_leaves_existing_archive_untouched(db, today, write_json, sample_archive):
    day = today()
    load(db, write_json(sample_archive), day)
    before = export(db)
    doc = copy.deepcopy(sample_archive)
    doc["enterprises"][0]["name"] = "改名后的企业"
    doc["enterprises"][1]["district"] = "外地"
    with pytest.raises(InvalidArchive):
        import_archive(str(write_json(doc)), today=day, source="test")
    db.session.rollback()
    assert export(db) == before


def test_loading_twice_changes_nothing(db, today, write_json, sample_archive):
    day = today()
    path = write_json(sample_archive)
    load(db, path, day)
    snapshot = (export(db), count(db, GradeChange), count(db, AuditEntry),
                db.session.execute(select(Record.id, Record.updated_at)).all())
    again = load(db, path, day)
    assert not again.changed and again.grades_changed == 0
    assert (export(db), count(db, GradeChange), count(db, AuditEntry),
            db.session.execute(select(Record.id, Record.updated_at)).all()) == snapshot


def test_existing_enterprise_is_updated_and_record_replaced(db, today, write_json,
                                                           sample_archive):
    day = today()
    load(db, write_json(sample_archive), day)
    doc = {"format": "jms-quality-archive/1", "enterprises": [copy.deepcopy(
        sample_archive["enterprises"][1])]}
    doc["enterprises"][0]["name"] = "桦南县北方粮油集团有限公司"
    doc["enterprises"][0]["records"][0]["result"] = "pass"  # same (type, ref): replaced
    result = load(db, write_json(doc), day)
    assert (result.enterprises_changed, result.records_changed, result.records_added) == (1, 1, 0)
    firm = db.session.scalar(select(Enterprise).where(Enterprise.uscc == "91230822196001338R"))
    assert firm.name == "桦南县北方粮油集团有限公司"
    assert [r.result for r in firm.records] == ["pass"]
    grade = db.session.get(Grade, firm.id)
    assert grade.grade == "A"
    history = db.session.scalars(select(GradeChange).where(
        GradeChange.enterprise_id == firm.id).order_by(GradeChange.id)).all()
    assert [(h.old_grade, h.new_grade, h.cause) for h in history] == [
        (None, "C", "import"), ("C", "A", "import")]
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-4:] == ["enterprise.update", "record.update", "grade.changes",
                            "archive.import"]


def test_records_absent_from_a_later_file_are_kept(db, today, write_json, sample_archive):
    day = today()
    load(db, write_json(sample_archive), day)
    doc = {"format": "jms-quality-archive/1",
           "enterprises": [dict(sample_archive["enterprises"][1], records=[])]}
    load(db, write_json(doc), day)
    assert count(db, Record) == 7


def test_export_then_import_reproduces_the_archive(db, today, write_json, sample_archive):
    day = today()
    load(db, write_json(sample_archive), day)
    first = export(db)
    db.session.execute(Record.__table__.delete())
    db.session.execute(Grade.__table__.delete())
    db.session.execute(GradeChange.__table__.delete())
    db.session.execute(Enterprise.__table__.delete())
    db.session.commit()
    load(db, write_json(first), day)
    assert export(db) == first
    by_uscc = {e["uscc"]: e for e in first["enterprises"]}
    for original in sample_archive["enterprises"]:
        exported = by_uscc[original["uscc"]]
        assert exported["name"] == original["name"]
        key = lambda r: (r["type"], r["ref"])  # noqa: E731
        assert sorted(exported["records"], key=key) == sorted(original["records"], key=key)


def test_large_batches_cross_batch_boundaries(app, db, today, write_json):
    """More enterprises than one batch: every one is written and graded once."""
    from credit.services.demo import generate_archive

    day = today()
    app.config["BATCH_SIZE"] = 7
    try:
        docs = list(generate_archive(30, 3, day))
        load(db, write_json({"format": "jms-quality-archive/1", "enterprises": docs}), day)
    finally:
        app.config["BATCH_SIZE"] = 1000
    assert count(db, Enterprise) == 30
    assert count(db, Grade) == 30
    assert count(db, Record) == sum(len(d["records"]) for d in docs)
