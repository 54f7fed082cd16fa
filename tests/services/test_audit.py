"""The audit log: intact when untouched; every tampering that someone with the database alone can
do is found, by the keyed seals, the grade digests or the checkpoints kept outside the database.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, text

from credit.models import AuditEntry, GradeChange
from credit.services import audit
from credit.services.importer import write_enterprises
from credit.uscc import make_uscc

DAY = "2026-10-15"
FAIL = {"type": "spot_check", "date": "2026-04-11", "subject": "product", "result": "fail"}
COUNTERFEIT = {"type": "violation", "date": "2026-03-15", "category": "counterfeit",
               "severity": "general"}


def firm(n: int, *records: dict) -> dict:
    return {"uscc": make_uscc("91", "230800", f"{n:08d}"), "name": f"审计测试企业{n}号有限公司",
            "district": "向阳区", "established_on": "2012-05-20", "records": list(records)}


def ids(db) -> list[int]:
    return list(db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


@pytest.fixture
def chain(db):
    for i in range(5):
        audit.record("test.step", "thing", i, before={"n": i}, after={"n": i + 1})
    db.session.commit()
    return ids(db)


@pytest.fixture
def graded(db, today, app, monkeypatch):
    """Three batches of grade changes (each covered by an entry) among other entries."""
    monkeypatch.setitem(app.config, "BATCH_SIZE", 2)
    day = today(DAY)
    audit.record("test.step", "thing", 0)
    write_enterprises([firm(1), firm(2, {**FAIL, "ref": "F-2"}),
                       firm(3, {**COUNTERFEIT, "ref": "V-3"}), firm(4)], today=day, source="t")
    write_enterprises([firm(1, {**FAIL, "ref": "F-1"})], today=day, source="t")
    audit.record("test.step", "thing", 1)
    db.session.commit()
    return day


def first_break(db) -> audit.Break | None:
    db.session.commit()
    return next(audit.verify(), None)


def reseal_from(db, start_id: int, key: bytes | None) -> None:
    """What an attacker does after editing: recompute every hash from ``start_id`` on, with
    the old unkeyed SHA-256 (key None) or with a key of their own."""
    rows = db.session.execute(select(AuditEntry).where(AuditEntry.id >= start_id)
                              .order_by(AuditEntry.id)).scalars().all()
    prev = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id < start_id)
                             .order_by(AuditEntry.id.desc()).limit(1)) or audit.GENESIS
    for row in rows:
        row.prev_hash = prev
        row.hash = prev = audit.entry_hash(key, prev, row.at, row.actor, row.action,
                                           row.object_type, row.object_id, row.before,
                                           row.after)
    db.session.commit()


def test_intact_chain_has_no_break(db, chain):
    assert list(audit.verify()) == []
    assert audit.check().entries == 5


def test_entries_are_keyed_and_name_their_key(db, chain, app):
    row = db.session.get(AuditEntry, chain[0])
    assert row.key_id == audit.key_id(b"test-audit-key")
    unkeyed = audit.entry_hash(None, row.prev_hash, row.at, row.actor, row.action,
                               row.object_type, row.object_id, row.before, row.after)
    assert row.hash != unkeyed


@pytest.mark.parametrize("sql", [
    "UPDATE audit_entries SET after = '{\"n\": 99}' WHERE id = :id",
    "UPDATE audit_entries SET actor = 'mallory' WHERE id = :id",
    "UPDATE audit_entries SET action = 'test.other' WHERE id = :id",
])
def test_edited_row_is_reported(db, chain, sql):
    db.session.execute(text(sql), {"id": chain[2]})
    db.session.commit()
    breaks = list(audit.verify())
    assert [(b.entry_id, "edited" in b.problem) for b in breaks] == [(chain[2], True)]


def test_removed_row_is_reported_at_the_next_one(db, chain):
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": chain[2]})
    db.session.commit()
    assert [b.entry_id for b in audit.verify()] == [chain[3]]


@pytest.mark.parametrize("key", [None, b"a-key-the-attacker-chose"], ids=["unkeyed", "own-key"])
def test_edit_with_every_later_hash_recomputed_is_caught(db, chain, key):
    db.session.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE id = :id"),
                       {"id": chain[2]})
    reseal_from(db, chain[2], key)
    assert [(b.entry_id, "edited" in b.problem) for b in audit.verify()] == [(chain[2], True)]


def test_entries_made_to_look_unkeyed_are_caught(db, chain):
    db.session.execute(text("UPDATE audit_entries SET key_id = NULL"))
    reseal_from(db, chain[0], None)
    broken = first_break(db)
    assert broken.entry_id == chain[0] and "not sealed with this audit key" in broken.problem


def test_a_whole_new_log_is_caught(db, chain):
    """Someone replaces the log with one of their own making: not sealed with the key."""
    db.session.execute(text("DELETE FROM audit_entries WHERE id > :id"), {"id": chain[0]})
    db.session.execute(text("UPDATE audit_entries SET after = '{\"n\": 7}'"))
    reseal_from(db, chain[0], b"guess")
    assert first_break(db).entry_id == chain[0]


def test_last_entries_removed_after_a_checkpoint_are_caught(db, chain):
    point = audit.append_checkpoint(audit.check())
    assert (point.entries, point.last_id) == (5, chain[-1])
    db.session.execute(text("DELETE FROM audit_entries WHERE id >= :id"), {"id": chain[3]})
    broken = first_break(db)
    assert broken.entry_id == chain[-1]
    assert "removed from the end" in broken.problem and point.at in broken.problem


def test_the_whole_log_removed_after_a_checkpoint_is_caught(db, chain):
    audit.append_checkpoint(audit.check())
    db.session.execute(text("DELETE FROM audit_entries"))
    assert "removed from the end" in first_break(db).problem


def test_log_rebuilt_from_an_earlier_entry_is_caught(db, chain):
    """Cut at entry 3 and write new entries (with this very code, i.e. the key) after it."""
    audit.append_checkpoint(audit.check())
    db.session.execute(text("DELETE FROM audit_entries WHERE id >= :id"), {"id": chain[3]})
    db.session.commit()
    for i in range(3):
        audit.record("test.other", "thing", i)
    db.session.commit()
    broken = first_break(db)
    assert "is missing" in broken.problem or "rewritten" in broken.problem


def test_checkpoints_pass_when_the_log_only_grew(db, chain):
    audit.append_checkpoint(audit.check())
    assert audit.append_checkpoint(audit.check()) is None  # nothing new: no second line
    audit.record("test.more", "thing", 9)
    db.session.commit()
    report = audit.check()
    assert report.broken is None and report.checkpoints == 1
    audit.append_checkpoint(report)
    report = audit.check()
    assert report.broken is None and report.checkpoints == 2 and report.entries == 6


@pytest.mark.parametrize("damage", ["deleted", "emptied"])
def test_registered_checkpoint_missing_from_the_file_is_caught(db, chain, damage):
    """The cron's checkpoints are logged too: a lost or swapped checkpoint file shows."""
    audit.append_checkpoint(audit.check(), register=True)
    db.session.commit()
    path = audit.checkpoint_path()
    if damage == "deleted":
        path.unlink()
    else:
        path.write_text("")
    registration = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == audit.CHECKPOINT_ACTION))
    broken = first_break(db)
    assert broken.entry_id == registration.id and "does not hold" in broken.problem


def test_forged_checkpoint_line_is_caught(db, chain, app):
    audit.append_checkpoint(audit.check())
    path = audit.checkpoint_path()
    line = json.loads(path.read_text())
    line["entries"] = 3
    path.write_text(json.dumps(line) + "\n")
    broken = first_break(db)
    assert broken.where.endswith(":1") and "not sealed with the audit key" in broken.problem


def test_another_key_is_named_and_refuses_to_write(db, chain, app, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_KEY", "another-machine")
    broken = first_break(db)
    assert broken.entry_id == chain[0] and "AUDIT_KEY differs" in broken.problem
    with pytest.raises(audit.AuditKeyMismatch, match="same AUDIT_KEY"):
        audit.record("test.step", "thing", 6)


def test_an_entry_survives_the_session_being_emptied(db, chain):
    audit.record("test.step", "thing", 6)
    db.session.expunge_all()
    audit.record("test.step", "thing", 7)
    db.session.commit()
    assert first_break(db) is None
    assert len(ids(db)) == 7


def test_a_rolled_back_savepoint_takes_its_entries_and_the_chain_goes_on(db, chain):
    audit.record("test.step", "thing", 6)
    savepoint = db.session.begin_nested()
    audit.record("test.step", "thing", 7)
    savepoint.rollback()
    audit.record("test.step", "thing", 8)
    db.session.commit()
    assert first_break(db) is None
    assert db.session.scalars(select(AuditEntry.object_id).order_by(AuditEntry.id)).all()[-2:] \
        == ["6", "8"]


# --- grade history ----------------------------------------------------------------------


def test_every_grade_change_is_covered_by_one_entry_per_batch(db, graded):
    assert first_break(db) is None
    batches = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == audit.GRADE_ACTION).order_by(AuditEntry.id)).all()
    assert [b.after["changes"] for b in batches] == [2, 2, 1]
    covered = db.session.execute(select(GradeChange.audit_entry_id, func.count())
                                 .group_by(GradeChange.audit_entry_id)
                                 .order_by(GradeChange.audit_entry_id)).all()
    assert covered == [(b.id, b.after["changes"]) for b in batches]


def grade_change(db, n: int) -> GradeChange:
    return db.session.scalars(select(GradeChange).order_by(GradeChange.id)).all()[n]


@pytest.mark.parametrize("sql", [
    "UPDATE grade_changes SET new_grade = 'A' WHERE id = :id",
    "UPDATE grade_changes SET old_grade = NULL, changed_on = '2026-01-01' WHERE id = :id",
    "UPDATE grade_changes SET reasons = '[]' WHERE id = :id",
    "DELETE FROM grade_changes WHERE id = :id",
], ids=["grade", "dates", "reasons", "deleted"])
def test_grade_change_edited_or_removed_is_caught(db, graded, sql):
    row = grade_change(db, 2)
    entry_id = row.audit_entry_id
    db.session.execute(text(sql), {"id": row.id})
    broken = first_break(db)
    assert broken.entry_id == entry_id and "grade change" in broken.problem


def test_grade_change_moved_to_another_batch_is_caught(db, graded):
    first, last = grade_change(db, 0), grade_change(db, -1)
    row_id, own, other = first.id, first.audit_entry_id, last.audit_entry_id
    db.session.execute(text("UPDATE grade_changes SET audit_entry_id = :e WHERE id = :id"),
                       {"e": other, "id": row_id})
    assert first_break(db).entry_id == own  # the first of the two batches that no longer match


def add_grade_change(db, like: GradeChange, entry_id: int) -> int:
    db.session.execute(text(
        "INSERT INTO grade_changes (enterprise_id, changed_on, old_grade, new_grade, reasons, "
        "rulebook, cause, audit_entry_id) VALUES (:e, :d, 'C', 'A', '[]', :r, 'import', :a)"),
        {"e": like.enterprise_id, "d": like.changed_on, "r": like.rulebook, "a": entry_id})
    return db.session.scalar(select(func.max(GradeChange.id)))


def test_grade_change_added_to_a_batch_is_caught(db, graded):
    row = grade_change(db, -1)
    entry_id = row.audit_entry_id
    add_grade_change(db, row, entry_id)
    assert first_break(db).entry_id == entry_id


@pytest.mark.parametrize("which", ["first", "last"])
def test_grade_change_pinned_to_an_entry_that_covers_none_is_caught(db, graded, which):
    other = db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "test.step")
                              .order_by(AuditEntry.id.desc() if which == "last" else AuditEntry.id))
    added = add_grade_change(db, grade_change(db, 0), other)
    broken = first_break(db)
    assert (broken.where, "covers no grade changes" in broken.problem) == (
        f"grade change {added}", True)


def test_grade_history_rewritten_consistently_is_caught(db, graded):
    """Someone makes firm 3 never have been D: history and current grade edited together."""
    row = db.session.scalar(select(GradeChange).where(GradeChange.new_grade == "D"))
    db.session.execute(text("UPDATE grade_changes SET new_grade = 'B', reasons = '[]' "
                            "WHERE id = :id"), {"id": row.id})
    db.session.execute(text("UPDATE grades SET grade = 'B', reasons = '[]' "
                            "WHERE enterprise_id = :e"), {"e": row.enterprise_id})
    assert first_break(db).entry_id == row.audit_entry_id


def test_current_grade_edited_is_caught(db, graded):
    db.session.execute(text("UPDATE grades SET grade = 'A' WHERE grade = 'D'"))
    broken = first_break(db)
    assert broken.where.startswith("the grade of enterprise ")
    assert "stored grade was edited" in broken.problem


# --- logs from before the key -----------------------------------------------------------


OLD_ENTRIES = sa.table("audit_entries", *[sa.column(name, type_) for name, type_ in [
    ("id", sa.Integer()), ("at", sa.DateTime()), ("actor", sa.String()),
    ("action", sa.String()), ("object_type", sa.String()), ("object_id", sa.String()),
    ("before", sa.JSON()), ("after", sa.JSON()), ("prev_hash", sa.String()),
    ("hash", sa.String())]])


def rehash_unkeyed(conn) -> tuple[int, str]:
    """The log as the code before the key wrote it (schema of that revision); count, head."""
    prev, t = audit.GENESIS, OLD_ENTRIES
    rows = conn.execute(sa.select(t).order_by(t.c.id)).all()
    for row in rows:
        digest = audit.entry_hash(None, prev, row.at, row.actor, row.action, row.object_type,
                                  row.object_id, row.before, row.after)
        conn.execute(sa.update(t).where(t.c.id == row.id).values(prev_hash=prev, hash=digest))
        prev = digest
    return len(rows), prev


def make_unkeyed(db) -> str:
    """Turn the log into what the code before the key wrote; its unkeyed head."""
    db.session.execute(text("UPDATE audit_entries SET key_id = NULL"))
    first = db.session.scalar(select(func.min(AuditEntry.id)))
    reseal_from(db, first, None)
    return db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))


def test_an_intact_unkeyed_log_is_sealed_in_place(db, graded):
    before = db.session.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.after)
                                .order_by(AuditEntry.id)).all()
    head = make_unkeyed(db)
    assert "not sealed with this audit key" in first_break(db).problem
    result = audit.reseal_unkeyed(db.session.connection(), audit.audit_key(), batch=3)
    assert (result.entries, result.grade_changes, result.broken_at) == (len(before), 0, None)
    db.session.commit()
    assert first_break(db) is None
    rows = db.session.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.after)
                              .order_by(AuditEntry.id)).all()
    assert rows[:-1] == before
    assert (rows[-1].action, rows[-1].after) == ("audit.reseal", {"entries": len(before),
                                                                  "unkeyed_head": head})


def test_a_broken_unkeyed_log_is_left_as_it_was(db, chain):
    make_unkeyed(db)
    db.session.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE id = :id"),
                       {"id": chain[3]})
    db.session.commit()
    result = audit.reseal_unkeyed(db.session.connection(), audit.audit_key())
    assert (result.entries, result.broken_at) == (0, chain[3])
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(AuditEntry.key_id.is_not(None))) == 0
    assert first_break(db).entry_id == chain[0]


def test_the_migration_seals_an_existing_log_and_grade_history(db, graded, app):
    """Down to the revision before the key, a log as the old code wrote it, and up again."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    config = app.extensions["migrate"].migrate.get_config()
    before_key = ScriptDirectory.from_config(config).get_revision("a7c3e91d5b20").down_revision
    changes = db.session.scalar(select(func.count()).select_from(GradeChange))
    db.session.remove()
    downgrade(revision=before_key)
    try:
        assert "audit_entry_id" not in {
            c["name"] for c in sa.inspect(db.engine).get_columns("grade_changes")}
        with db.engine.begin() as conn:  # the old code wrote no grade entries, no keyed hash
            conn.execute(text("DELETE FROM audit_entries WHERE action = :a"),
                         {"a": audit.GRADE_ACTION})
            entries, head = rehash_unkeyed(conn)
    finally:
        upgrade()
    assert first_break(db) is None
    tail = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()
    assert [(e.action, e.actor) for e in tail] == [(audit.GRADE_ACTION, "migration"),
                                                   ("audit.reseal", "migration")]
    assert tail[1].after == {"entries": entries, "unkeyed_head": head}
    assert tail[0].after["changes"] == changes
    assert db.session.scalar(select(func.count()).where(
        GradeChange.audit_entry_id == tail[0].id)) == changes


@pytest.mark.postgresql
def test_workers_appending_at_once_keep_one_chain(app, db):
    """Several workers (threads with their own connections) append and roll back at once."""
    import threading

    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has a single writer); "
                    "run with TEST_DATABASE_URL pointing at PostgreSQL")
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                for i in range(10):
                    for j in range(3):
                        audit.record("test.step", "worker", f"{n}.{i}.{j}")
                    if i % 4 == 3:
                        db.session.rollback()
                    else:
                        db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert first_break(db) is None
    assert len(ids(db)) == 4 * 8 * 3
