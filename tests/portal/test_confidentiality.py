"""No oracle: whatever an enterprise's internal state (grade B or C, A without a listing, an A
application at any step, a D case at any step, a listing that ended), its public page, API
object and search item are those of any enterprise without listings, once its name and USCC
are put aside; so are the status codes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from credit.models import DCase, Grade, Role
from credit.services.accounts import create_user
from credit.services.importer import write_enterprises
from credit.uscc import make_uscc
from credit.workflows import a_publication as apub
from credit.workflows import d_listing

DAY = dt.date(2026, 10, 15)
COUNTERFEIT = {"type": "violation", "date": "2026-03-15", "category": "counterfeit",
               "severity": "general"}
FAIL = {"type": "spot_check", "date": "2026-04-11", "subject": "product", "result": "fail"}
COMPLAINT = {"type": "complaint", "date": "2026-05-02", "resolution": "timely"}

# key -> the records that give its grade
FIRMS = {
    "a_plain": "A", "a_evaluating": "A", "a_approved": "A", "a_rejected": "A",
    "a_withdrawn": "A", "a_removed": "A",
    "b": "B", "c": "C",
    "d_proposed": "D", "d_confirmed": "D", "d_notified": "D", "d_answered": "D",
    "d_dismissed": "D", "d_not_published": "D", "d_removed": "D",
}
RECORDS = {"A": [], "B": [COMPLAINT], "C": [FAIL], "D": [COUNTERFEIT]}


@pytest.fixture
def city(db, today, monkeypatch):
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr("credit.models.users.generate_password_hash",
                        lambda p: generate_password_hash(p, "pbkdf2:sha256:1"))
    day = today(DAY)
    firms = {}
    for n, (key, grade) in enumerate(FIRMS.items(), start=1):
        firms[key] = {"uscc": make_uscc("91", "230803", f"{n:08d}"),
                      "name": f"同城第{n}号食品有限公司", "district": "向阳区",
                      "established_on": "2012-05-20", "industry": "C1311",
                      "address": "佳木斯市向阳区长安路 1 号",
                      "records": [{**r, "ref": f"R-{n}-{i}"}
                                  for i, r in enumerate(RECORDS[grade])]}
    write_enterprises(list(firms.values()), today=day, source="test")
    from credit.models import Enterprise

    ents = {k: db.session.scalar(select(Enterprise).where(Enterprise.uscc == f["uscc"]))
            for k, f in firms.items()}
    grades = dict(db.session.execute(select(Grade.enterprise_id, Grade.grade)).all())
    assert {k: grades[e.id] for k, e in ents.items()} == FIRMS
    staff = {role.value: create_user(role.value, "password-123", role=role)
             for role in (Role.CITY_ADMIN, Role.REVIEWER, Role.EVALUATOR)}
    admin, reviewer, evaluator = staff["city_admin"], staff["reviewer"], staff["evaluator"]
    owner = {k: create_user(f"ent-{k}", "password-123", role=Role.ENTERPRISE, uscc=e.uscc)
             for k, e in ents.items()}

    def application(key):
        return apub.apply_for_publication(owner[key])

    application("a_evaluating")
    app = application("a_approved")
    apub.evaluate_application(evaluator, app, approve=True, reasons="ok")
    app = application("a_rejected")
    apub.evaluate_application(evaluator, app, approve=False, reasons="no")
    for key in ("a_withdrawn", "a_removed"):
        app = application(key)
        apub.evaluate_application(evaluator, app, approve=True, reasons="ok")
        listing = apub.publish_application(admin, app)
        if key == "a_withdrawn":
            apub.withdraw_consent(owner[key], app)
        else:
            d_listing.remove_listing(admin, listing, note="核查")

    def case(key) -> DCase:
        return db.session.scalar(select(DCase).where(DCase.enterprise_id == ents[key].id))

    for key in ("d_confirmed", "d_notified", "d_answered", "d_not_published", "d_removed"):
        d_listing.confirm_case(reviewer, case(key))
    d_listing.dismiss_case(reviewer, case("d_dismissed"), note="程度不足")
    for key in ("d_notified", "d_answered", "d_not_published", "d_removed"):
        d_listing.send_notice(admin, case(key))
    for key in ("d_answered", "d_not_published", "d_removed"):
        d_listing.answer_notice(owner[key], case(key), "申辩")
    d_listing.decide_case(admin, case("d_not_published"), publish=False, note="不予公示")
    listing = d_listing.decide_case(admin, case("d_removed"), publish=True, reasons=["D2"])
    d_listing.remove_listing(admin, listing, note="决定撤下")
    db.session.commit()
    return ents


def neutral(text: str, enterprise) -> str:
    """The answer with this enterprise's name and USCC (and derived values) put aside."""
    text = text.replace(enterprise.uscc, "<USCC>").replace(enterprise.name, "<NAME>")
    return re.sub(r'"[0-9a-f]{40}"', "<ETAG>", text)


def views(client, enterprise) -> dict[str, tuple[int, str]]:
    out = {}
    for label, path in {
        "page": f"/enterprises/{enterprise.uscc}",
        "api": f"/api/v1/enterprises/{enterprise.uscc}",
        "search_api": f"/api/v1/search?q={enterprise.uscc}",
        "search_page": f"/search?q={enterprise.uscc}",
        "search_name_api": f"/api/v1/search?q={enterprise.name}",
    }.items():
        response = client.get(path)
        out[label] = (response.status_code, neutral(response.get_data(as_text=True), enterprise))
    return out


def test_every_internal_state_looks_the_same_in_public(client, city):
    baseline = views(client, city["a_plain"])
    assert baseline["page"][0] == 200 and "该企业目前没有公示信息" in baseline["page"][1]
    assert '"listings":[]' in baseline["api"][1].replace(" ", "")
    for key, enterprise in city.items():
        assert views(client, enterprise) == baseline, key


def test_nothing_internal_is_listed_or_fed(client, city):
    assert client.get("/api/v1/listings?kind=A").get_json()["items"] == []
    assert client.get("/api/v1/listings?kind=D").get_json()["items"] == []
    for kind in ("A", "D"):
        body = client.get(f"/api/v1/listings.csv?kind={kind}").data.decode("utf-8-sig")
        assert body.count("\n") == 1
    # The feed shows only what was published and then removed, never a case or application.
    changes = client.get("/api/v1/changes").get_json()["items"]
    published = {c["uscc"] for c in changes}
    assert published == {city[k].uscc for k in ("a_withdrawn", "a_removed", "d_removed")}
