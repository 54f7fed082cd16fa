"""The database refuses bad rows on its own, even when Python's checks are bypassed."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

ENTERPRISE = ("INSERT INTO enterprises (id, uscc, name, district, established_on, qualification,"
              " products, name_pinyin, name_initials)"
              " VALUES (:id, :uscc, :name, :district, '2015-01-01', :q, '[]',"
              " 'mou gong si', 'mgs')")
RECORD = ("INSERT INTO records (enterprise_id, type, ref, date, subject, result, category,"
          " severity, status, deadline, finding, rate, resolved_on, source)"
          " VALUES (1, :type, :ref, '2026-03-01', :subject, :result, :category, :severity,"
          " :status, :deadline, :finding, :rate, :resolved_on, 'sql')")


def insert_enterprise(db, **values):
    params = {"id": 1, "uscc": "912308041043321813", "name": "某公司", "district": "郊区",
              "q": "valid", **values}
    db.session.execute(text(ENTERPRISE), params)


def insert_record(db, **values):
    params = dict.fromkeys(("subject", "result", "category", "severity", "status", "deadline",
                            "finding", "rate", "resolved_on"))
    params.update({"type": "spot_check", "ref": "R1", "subject": "product", "result": "pass"})
    params.update(values)
    db.session.execute(text(RECORD), params)


def test_good_rows_are_accepted(db):
    insert_enterprise(db)
    insert_record(db)
    insert_record(db, type="permit", ref="P", subject=None, result=None, status="rectifying",
                  deadline="2026-12-31")
    insert_record(db, type="pass_rate", ref="H", subject=None, result=None, rate=0.5)
    db.session.commit()


@pytest.mark.parametrize("values", [
    {"uscc": "91230804104332181"},  # 17 characters
    {"district": "哈尔滨市"},
    {"q": "lapsed"},
    {"name": ""},
], ids=["uscc-length", "district", "qualification", "empty-name"])
def test_bad_enterprise_rows_are_refused(db, values):
    with pytest.raises(IntegrityError):
        insert_enterprise(db, **values)
        db.session.flush()
    db.session.rollback()


def test_duplicate_uscc_is_refused(db):
    insert_enterprise(db)
    with pytest.raises(IntegrityError):
        insert_enterprise(db, id=2)
    db.session.rollback()


@pytest.mark.parametrize("values", [
    {"type": "audit"},
    {"result": "failed"},
    {"subject": None},
    {"status": "held"},  # a field of another type
    {"resolved_on": "2026-04-01"},  # events are never resolved
    {"type": "inspection", "subject": None, "result": "severe"},
    {"type": "violation", "subject": None, "result": None, "category": "tax",
     "severity": "general"},
    {"type": "permit", "subject": None, "result": None, "status": "rectifying"},  # no deadline
    {"type": "pass_rate", "subject": None, "result": None, "rate": 1.5},
    {"type": "standard", "subject": None, "result": None, "finding": "deficient"},
    {"type": "standard", "subject": None, "result": None, "finding": "no_standard",
     "resolved_on": "2026-02-01"},  # resolved before its date
    {"ref": ""},
], ids=["type", "enum", "required", "foreign-field", "event-resolved", "inspection-result",
        "category", "rectifying-needs-deadline", "rate-range", "finding-of-other-type",
        "resolved-before-date", "empty-ref"])
def test_bad_record_rows_are_refused(db, values):
    insert_enterprise(db)
    with pytest.raises(IntegrityError):
        insert_record(db, **values)
        db.session.flush()
    db.session.rollback()


def test_type_and_ref_are_unique_per_enterprise(db):
    insert_enterprise(db)
    insert_record(db)
    insert_record(db, type="inspection", subject=None)  # same ref, other type: fine
    with pytest.raises(IntegrityError):
        insert_record(db)
    db.session.rollback()


def test_grade_letters_and_user_bindings_are_checked(db):
    insert_enterprise(db)
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO grades (enterprise_id, grade, reasons, unmet,"
                                " rulebook, since) VALUES (1, 'E', '[]', '[]', 'x',"
                                " '2026-01-01')"))
    db.session.rollback()
    insert_enterprise(db)
    with pytest.raises(IntegrityError):  # an enterprise account must be bound
        db.session.execute(text("INSERT INTO users (username, name, password_hash, role,"
                                " active) VALUES ('u', '', 'h', 'enterprise', true)"))
    db.session.rollback()
