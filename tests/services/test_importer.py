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
    assert actions[-3:] == ["enterprise.update", "record.update", "archive.import"]


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


# -- loading as a user: every enterprise must be one they may record for ----------------------


@pytest.fixture
def staff(db):
    from werkzeug.security import generate_password_hash

    from credit.services.accounts import create_user

    def make(name, role, jurisdiction=None, uscc=None):
        user = create_user(name, "password-123", role=role, jurisdiction=jurisdiction,
                           uscc=uscc)
        user.password_hash = generate_password_hash("x", "pbkdf2:sha256:1")
        return user

    return make


def test_a_user_may_load_only_enterprises_of_their_jurisdiction(db, today, write_json,
                                                               sample_archive, staff):
    from credit.models import Role

    day = today()
    recorder = staff("recorder_h", Role.RECORDER, "桦南县")
    doc = copy.deepcopy(sample_archive)
    districts = [e["district"] for e in doc["enterprises"]]
    with pytest.raises(InvalidArchive) as refused:
        import_archive(str(write_json(doc)), today=day, source="upload", actor=recorder)
    assert refused.value.problems.items == [
        f"enterprises[{i}].district: {d} is outside your jurisdiction"
        for i, d in enumerate(districts) if d != "桦南县"
    ]
    db.session.rollback()
    assert count(db, Enterprise) == 0 and count(db, AuditEntry) == 0
    mine = {"format": doc["format"],
            "enterprises": [e for e in doc["enterprises"] if e["district"] == "桦南县"]}
    recorder = db.session.merge(recorder)
    result = import_archive(str(write_json(mine)), today=day, source="upload", actor=recorder)
    db.session.commit()
    assert result.enterprises_added == len(mine["enterprises"]) > 0
    assert set(db.session.scalars(select(Enterprise.recorded_by_id))) == {recorder.id}
    assert set(db.session.scalars(select(Record.recorded_by_id))) == {recorder.id}


def test_an_enterprise_registered_elsewhere_cannot_be_moved_in(db, today, write_json,
                                                              sample_archive, staff):
    from credit.models import Role

    day = today()
    load(db, write_json(sample_archive), day)
    recorder = staff("recorder_x", Role.RECORDER, "向阳区")
    db.session.commit()
    other = next(i for i, e in enumerate(sample_archive["enterprises"])
                 if e["district"] != "向阳区")
    moved = dict(sample_archive["enterprises"][other], district="向阳区")
    doc = {"format": "jms-quality-archive/1", "enterprises": [moved]}
    with pytest.raises(InvalidArchive) as refused:
        import_archive(str(write_json(doc)), today=day, source="upload", actor=recorder)
    district = sample_archive["enterprises"][other]["district"]
    assert refused.value.problems.items == [
        f"enterprises[0].uscc: {moved['uscc']} is registered in {district}, outside your "
        "jurisdiction"]


@pytest.mark.parametrize("role", ["reviewer", "publisher", "auditor", "enterprise"])
def test_only_recorders_load_files(db, today, write_json, sample_archive, staff, role):
    from credit.models import Role
    from credit.workflows.errors import NotPermitted

    day = today()
    load(db, write_json(sample_archive), day)
    uscc = sample_archive["enterprises"][0]["uscc"]
    user = staff("someone", Role(role), uscc=uscc if role == "enterprise" else None)
    with pytest.raises(NotPermitted):
        import_archive(str(write_json(sample_archive)), today=day, source="upload", actor=user)


def test_write_enterprises_checks_the_actor_itself(db, today, sample_archive, staff):
    from credit.models import Role
    from credit.services.importer import write_enterprises
    from credit.workflows.errors import NotPermitted

    day = today()
    recorder = staff("recorder_h", Role.RECORDER, "桦南县")
    with pytest.raises(NotPermitted, match="outside your jurisdiction"):
        write_enterprises(copy.deepcopy(sample_archive["enterprises"]), today=day,
                          source="script", actor=recorder)


def test_a_correction_by_import_keeps_who_entered_the_record(db, today, write_json,
                                                            sample_archive, staff):
    from credit.models import Role

    day = today()
    admin = staff("admin", Role.CITY_ADMIN)
    import_archive(str(write_json(sample_archive)), today=day, source="upload", actor=admin)
    db.session.commit()
    admin_id = admin.id
    doc = {"format": "jms-quality-archive/1",
           "enterprises": [copy.deepcopy(sample_archive["enterprises"][1])]}
    doc["enterprises"][0]["records"][0]["result"] = "pass"
    assert load(db, write_json(doc), day).records_changed == 1  # the CLI: no user
    firm = db.session.scalar(select(Enterprise).where(Enterprise.uscc == doc["enterprises"][0]
                                                      ["uscc"]))
    assert [(r.result, r.recorded_by_id) for r in firm.records] == [("pass", admin_id)]
