"""A small city for the workflow tests: firms graded A, B, C and D in two jurisdictions, and
one account per role (district staff in 向阳区 and 桦南县, city-wide staff, enterprises)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from credit.models import Enterprise, GradeTrigger, Record, Role
from credit.services.accounts import create_user
from credit.services.grading import regrade
from credit.services.importer import write_enterprises
from credit.uscc import make_uscc

PASSWORD = "password-123"
DAY = dt.date(2026, 10, 15)


def firm(n: int, district: str, *records: dict, name: str | None = None) -> dict:
    return {"uscc": make_uscc("91", "230800", f"{n:08d}"), "name": name or f"测试企业{n}号有限公司",
            "district": district, "established_on": "2012-05-20", "records": list(records)}


COUNTERFEIT = {"type": "violation", "date": "2026-03-15", "category": "counterfeit",
               "severity": "general"}
FAIL = {"type": "spot_check", "date": "2026-04-11", "subject": "product", "result": "fail"}
TESTED = {"type": "supervised_test", "date": "2025-06-01", "result": "pass"}


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch):
    """Eighteen accounts per test: a cheap hash here (the real one is scrypt)."""
    monkeypatch.setattr("credit.models.users.generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"))


@pytest.fixture
def world(db, today):
    day = today(DAY)
    firms = {
        "a": firm(1, "向阳区", name="向阳守信食品有限公司"),
        "a_tested": firm(2, "向阳区", {**TESTED, "ref": "T-2"}),
        "a_h": firm(3, "桦南县"),
        "b": firm(4, "向阳区", name="向阳基本守信有限公司"),
        "c": firm(5, "向阳区", {**FAIL, "ref": "F-5"}),
        "d": firm(6, "向阳区", {**COUNTERFEIT, "ref": "V-6"}, name="向阳失信有限公司"),
        "d_h": firm(7, "桦南县", {**COUNTERFEIT, "ref": "V-7"}),
    }
    firms["b"]["established_on"] = "2025-01-10"  # new, so B
    write_enterprises([dict(f) for f in firms.values()], today=day, source="test")
    ents = {key: db.session.scalar(select(Enterprise).where(Enterprise.uscc == f["uscc"]))
            for key, f in firms.items()}
    users = {}
    for name, role, jurisdiction in [
        ("admin", Role.CITY_ADMIN, None), ("recorder", Role.RECORDER, "向阳区"),
        ("reviewer", Role.REVIEWER, "向阳区"), ("reviewer_h", Role.REVIEWER, "桦南县"),
        ("reviewer_city", Role.REVIEWER, None), ("publisher", Role.PUBLISHER, "向阳区"),
        ("publisher_h", Role.PUBLISHER, "桦南县"), ("evaluator", Role.EVALUATOR, None),
        ("inspector", Role.INSPECTOR, None), ("inspector_h", Role.INSPECTOR, "桦南县"),
        ("auditor", Role.AUDITOR, None),
    ]:
        users[name] = create_user(name, PASSWORD, role=role, jurisdiction=jurisdiction)
    for key, ent in ents.items():
        users[f"ent_{key}"] = create_user(f"ent_{key}", PASSWORD, role=Role.ENTERPRISE,
                                          uscc=ent.uscc)
    # The reviewer of 向阳区 recorded the counterfeit violation of firm d (four eyes).
    db.session.execute(update(Record).where(Record.enterprise_id == ents["d"].id)
                       .values(recorded_by_id=users["reviewer"].id))
    db.session.commit()
    return SimpleNamespace(day=day, e=ents, u=users, pin=today)


def drop_grade(db, enterprise: Enterprise, day: dt.date, ref: str = "X-1") -> None:
    """Add a failed spot check (grade C) and regrade, as an archive edit would."""
    db.session.add(Record(enterprise_id=enterprise.id, **{**FAIL, "ref": ref,
                                                          "date": dt.date(2026, 9, 1)}))
    db.session.flush()
    regrade([enterprise.id], as_of=day, cause=GradeTrigger.RECORD_ADDED)
