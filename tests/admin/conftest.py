"""A small city for the backend's tests: two jurisdictions (向阳区, 桦南县), one account per role
in each (plus whole-city staff), and in each jurisdiction an A application, a proposed D case, a
published D listing and a credit-repair application, all made through the workflows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from credit.models import DCase, Enterprise, Record, Role
from credit.services.accounts import create_user
from credit.services.importer import write_enterprises
from credit.uscc import make_uscc
from credit.workflows.a_publication import apply_for_publication
from credit.workflows.d_listing import answer_notice, confirm_case, decide_case, send_notice
from credit.workflows.repair import apply_for_repair

PASSWORD = "password-123"
DAY = dt.date(2026, 10, 15)
X, H = "向阳区", "桦南县"
AREA = {X: "230803", H: "230822"}

COUNTERFEIT = {"type": "violation", "date": "2025-03-15", "category": "counterfeit",
               "severity": "general"}
FAIL = {"type": "spot_check", "date": "2026-04-11", "subject": "product", "result": "fail"}
TESTED = {"type": "supervised_test", "date": "2025-06-01", "result": "pass"}

#: (username, role, jurisdiction)
STAFF = [
    ("admin", Role.CITY_ADMIN, None),
    ("recorder", Role.RECORDER, X), ("recorder_h", Role.RECORDER, H),
    ("reviewer", Role.REVIEWER, X), ("reviewer_h", Role.REVIEWER, H),
    ("reviewer_city", Role.REVIEWER, None),
    ("publisher", Role.PUBLISHER, X), ("publisher_h", Role.PUBLISHER, H),
    ("evaluator", Role.EVALUATOR, None), ("evaluator_h", Role.EVALUATOR, H),
    ("inspector", Role.INSPECTOR, None), ("inspector_h", Role.INSPECTOR, H),
    ("auditor", Role.AUDITOR, None), ("auditor_h", Role.AUDITOR, H),
]


def firm(n: int, district: str, *records: dict, name: str | None = None,
         established: str = "2012-05-20") -> dict:
    return {"uscc": make_uscc("91", AREA[district], f"{n:08d}"),
            "name": name or f"{district}测试{n}号有限公司", "district": district,
            "established_on": established, "industry": "C1311",
            "records": [{**r, "ref": r.get("ref") or f"R-{n}-{i}"} for i, r in enumerate(records)]}


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch):
    monkeypatch.setattr("credit.models.users.generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"))


def build_world(db, pin) -> SimpleNamespace:
    """The city as of 2027-10-15: listings published a year earlier, repairs just applied."""
    pin("2025-10-15")
    firms = {}
    for d, base in ((X, 100), (H, 200)):
        k = "" if d == X else "_h"
        firms[f"a{k}"] = firm(base + 1, d, name=f"{d}守信食品有限公司")
        firms[f"a_tested{k}"] = firm(base + 2, d, {**TESTED, "ref": f"T-{base}"})
        firms[f"c{k}"] = firm(base + 3, d, {**FAIL, "date": "2025-04-11", "ref": f"F-{base}"})
        firms[f"d{k}"] = firm(base + 4, d, {**COUNTERFEIT, "ref": f"V-{base}"},
                              name=f"{d}失信有限公司")
        firms[f"dl{k}"] = firm(base + 5, d, {**COUNTERFEIT, "ref": f"W-{base}"},
                               name=f"{d}已列入名单有限公司")
    write_enterprises([dict(f) for f in firms.values()], today=dt.date(2025, 10, 15),
                      source="test")
    ents = {key: db.session.scalar(select(Enterprise).where(Enterprise.uscc == f["uscc"]))
            for key, f in firms.items()}
    users = {name: create_user(name, PASSWORD, role=role, jurisdiction=j, name=name)
             for name, role, j in STAFF}
    for key in ("a", "a_h", "a_tested", "a_tested_h", "dl", "dl_h", "d"):
        users[f"ent_{key}"] = create_user(f"ent_{key}", PASSWORD, role=Role.ENTERPRISE,
                                          uscc=ents[key].uscc)
    # The 向阳区 reviewer entered the record behind firm d's case (four eyes).
    db.session.execute(update(Record).where(Record.enterprise_id == ents["d"].id)
                       .values(recorded_by_id=users["reviewer"].id))
    # Published D listings (a year ago), then credit repairs applied for today.
    listings = {}
    for k, pub in (("", "publisher"), ("_h", "publisher_h")):
        case = db.session.scalar(select(DCase).where(DCase.enterprise_id == ents[f"dl{k}"].id))
        confirm_case(users["admin"], case)
        send_notice(users[pub], case)
        answer_notice(users[f"ent_dl{k}"], case, "我公司已整改")
        listings[k] = decide_case(users[pub], case, publish=True, reasons=["D2"],
                                  summary="故意生产假冒伪劣产品")
    day = pin(dt.date(2027, 10, 15))
    repairs = {k: apply_for_repair(users[f"ent_dl{k}"], listings[k], "已整改到位")
               for k in ("", "_h")}
    apps = {}
    for key in ("a", "a_h", "a_tested", "a_tested_h"):
        apps[key] = apply_for_publication(users[f"ent_{key}"], ents[key])
    cases = {k: db.session.scalar(select(DCase).where(DCase.enterprise_id == ents[f"d{k}"].id))
             for k in ("", "_h")}
    records = {k: db.session.scalar(select(Record).where(Record.enterprise_id
                                                         == ents[f"c{k}"].id))
               for k in ("", "_h")}
    db.session.commit()
    w = SimpleNamespace(day=day, e=ents, u=users, apps=apps, cases=cases, listings=listings,
                        repairs=repairs, records=records, pin=pin)
    add_supervision(db, w)
    return w


def add_supervision(db, w) -> None:
    """Graded supervision in each jurisdiction: an inspector pool, a drawn plan for the
    month, a warning and a flagged honour for the C firm, a report from the public."""
    from credit.models import PlanItem
    from credit.services.inspectors import add_inspector
    from credit.services.plans import create_plan, draw_plan
    from credit.services.reports import Contact, submit_report
    from credit.workflows.honours import register_honour
    from credit.workflows.warning_notices import issue_warning

    w.inspectors, w.plans, w.plan_items, w.warnings, w.honours, w.reports = {}, {}, {}, {}, {}, {}
    for k, d, pub in (("", X, "publisher"), ("_h", H, "publisher_h")):
        n = 1 if d == X else 2
        w.inspectors[k] = [add_inspector(w.u["admin"], badge_no=f"JX{n}{i:03d}",
                                         name=f"{d}检查员{i}", jurisdiction=d)
                           for i in range(1, 4)]
        plan = create_plan(w.u[pub], period=w.day.strftime("%Y-%m"), jurisdictions=[d],
                           seed=f"seed-{d}")
        draw_plan(w.u[pub], plan)
        w.plans[k] = plan
        w.plan_items[k] = db.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id)
                                            .order_by(PlanItem.id).limit(1))
        w.warnings[k] = issue_warning(w.u[pub], w.e[f"c{k}"], expectations="限期整改抽查不合格问题",
                                      deadline=w.day + dt.timedelta(days=30))
        w.honours[k] = register_honour(w.u[pub], w.e[f"c{k}"], kind="famous_brand",
                                       title="黑龙江省名牌产品",
                                       awarded_by="黑龙江省市场监督管理局",
                                       awarded_on=dt.date(2024, 5, 1))
        w.reports[k] = submit_report(w.e[f"c{k}"].uscc, "quality",
                                     "买到的产品质量有问题，请查处。",
                                     contact=Contact(name="张三", phone="13800000000"))
    db.session.commit()


@pytest.fixture
def world(db, today):
    return build_world(db, today)


@pytest.fixture
def sign_in(client):
    """Sign the test client in as a user (no password round trip); None signs out."""

    def as_user(user):
        with client.session_transaction() as session:
            session.clear()
            if user is not None:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
        return client

    return as_user
