"""Test data for graded supervision: a generated archive of graded enterprises written straight
into the tables (no records: the draw reads only districts and stored grades), inspector pools,
and staff accounts."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from credit.extensions import db
from credit.models import Enterprise, Grade, Role
from credit.names import pinyin_columns
from credit.permissions import OPERATOR
from credit.services.accounts import create_user
from credit.services.bulk import insert_rows
from credit.services.inspectors import add_inspector
from credit.uscc import make_uscc

DAY = dt.date(2026, 10, 15)
PASSWORD = "password-123"
#: Grade shares of the generated archive (close to the demo data's).
SHARES = (("A", 0.6), ("B", 0.2), ("C", 0.15), ("D", 0.05))


def _pick(number: float) -> str:
    for grade, share in SHARES:
        number -= share
        if number < 0:
            return grade
    return SHARES[-1][0]


def generate_city(count: int, *, seed: int = 7, districts: tuple[str, ...] = ("向阳区", "桦南县"),
                  start: int = 0) -> dict[str, tuple[str, str]]:
    """Insert ``count`` enterprises with stored grades; returns uscc -> (district, grade)."""
    rng = random.Random(seed)
    grades = {}
    size = 2000
    for offset in range(0, count, size):
        enterprises, n = [], min(size, count - offset)
        for i in range(start + offset, start + offset + n):
            uscc = make_uscc("91", "230800", f"{i:08d}")
            name = f"测试企业{i}号有限公司"
            enterprises.append({"uscc": uscc, "name": name,
                                "district": districts[i % len(districts)],
                                "established_on": dt.date(2015, 1, 1), "qualification": "valid",
                                "products": [], **pinyin_columns(name)})
        ids = db.session.execute(insert(Enterprise.__table__).returning(
            Enterprise.__table__.c.id, Enterprise.__table__.c.uscc,
            sort_by_parameter_order=True), enterprises).all()
        rows = []
        district_of = {e["uscc"]: e["district"] for e in enterprises}
        for eid, uscc in ids:
            grade = _pick(rng.random())
            grades[uscc] = (district_of[uscc], grade)
            rows.append({"enterprise_id": eid, "grade": grade, "reasons": [], "unmet": [],
                         "rulebook": "JMS-2020-42/1", "since": DAY})
        insert_rows(Grade.__table__, rows)
    db.session.flush()
    return grades


def add_pool(jurisdiction: str, size: int, prefix: str | None = None) -> list[str]:
    """``size`` active inspectors in a jurisdiction; returns their badge numbers."""
    prefix = prefix or {"向阳区": "XY", "桦南县": "HN"}.get(jurisdiction, "ZF")
    badges = []
    for i in range(size):
        inspector = add_inspector(OPERATOR, badge_no=f"{prefix}-{i:03d}",
                                  name=f"{jurisdiction}检查员{i}", jurisdiction=jurisdiction)
        badges.append(inspector.badge_no)
    return badges


STAFF = [
    ("admin", Role.CITY_ADMIN, None), ("publisher", Role.PUBLISHER, "向阳区"),
    ("publisher_h", Role.PUBLISHER, "桦南县"), ("publisher_city", Role.PUBLISHER, None),
    ("recorder", Role.RECORDER, "向阳区"), ("recorder_h", Role.RECORDER, "桦南县"),
    ("reviewer", Role.REVIEWER, "向阳区"), ("auditor", Role.AUDITOR, None),
    ("evaluator", Role.EVALUATOR, None), ("inspector", Role.INSPECTOR, None),
]


def make_staff() -> dict:
    return {name: create_user(name, PASSWORD, role=role, jurisdiction=jurisdiction)
            for name, role, jurisdiction in STAFF}


@pytest.fixture
def fast_hashes(monkeypatch):
    """Staff accounts in every test: a cheap password hash here (the real one is scrypt)."""
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr("credit.models.users.generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"))


@pytest.fixture
def city(db, today, fast_hashes):
    """800 graded enterprises in 向阳区 and 桦南县, pools of 6 and 3, staff accounts."""
    day = today(DAY)
    grades = generate_city(800)
    pools = {"向阳区": add_pool("向阳区", 6), "桦南县": add_pool("桦南县", 3)}
    users = make_staff()
    db.session.commit()
    return SimpleNamespace(day=day, grades=grades, pools=pools, u=users)
