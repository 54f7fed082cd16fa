"""The access matrix: every admin endpoint and method, as anonymous, as an enterprise account,
as each staff role, inside and outside its jurisdiction, checked against one table.

A new admin endpoint that is not in TABLE fails ``test_every_endpoint_is_in_the_table``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from flask import url_for

from credit.models import AuditEntry
from tests.admin.conftest import PASSWORD

READERS = frozenset({"admin", "recorder", "reviewer", "publisher", "auditor"})
STAFF = READERS | {"evaluator", "inspector"}
RECORDERS = frozenset({"admin", "recorder"})
PUBLISHERS = frozenset({"admin", "publisher"})
REVIEWERS = frozenset({"admin", "reviewer"})
AUDIT = frozenset({"admin", "auditor"})  # whole-city accounts only
NOBODY: frozenset[str] = frozenset()

#: The accounts each request is made as: (username, role). District accounts are in 向阳区.
ACCOUNTS = [("admin", "admin"), ("recorder", "recorder"), ("reviewer", "reviewer"),
            ("publisher", "publisher"), ("evaluator", "evaluator"),
            ("evaluator_h", "evaluator"), ("inspector", "inspector"),
            ("inspector_h", "inspector"), ("auditor", "auditor"), ("auditor_h", "auditor")]


@dataclass(frozen=True)
class Rule:
    ok: frozenset[str]  # roles that may use it (in their jurisdiction)
    missing: frozenset[str] = NOBODY  # roles that get 404 anyway (a feature that is off)
    item: str | None = None  # which object the URL names (jurisdiction applies)
    args: dict = field(default_factory=dict)  # fixed URL arguments
    district_only: bool = False  # whole-city accounts only (district accounts get 403)


def _obj(w, item: str, k: str):
    """The object an item URL names, in 向阳区 (k="") or 桦南县 (k="_h")."""
    return {
        "app": lambda: w.apps["a_tested" + k],
        "case": lambda: w.cases[k],
        "repair": lambda: w.repairs[k],
        "listing": lambda: w.listings[k],
        "enterprise": lambda: w.e["c" + k],
        "record": lambda: w.records[k],
        "user": lambda: w.u["reviewer_h"],  # not one of ACCOUNTS: it may be deactivated
        "audit": lambda: None,
        "plan": lambda: w.plans[k],
        "plan_item": lambda: w.plan_items[k],
        "inspector": lambda: w.inspectors[k][0],
        "c_enterprise": lambda: w.e["c" + k],
        "warning": lambda: w.warnings[k],
        "honour": lambda: w.honours[k],
        "report": lambda: w.reports[k],
    }[item]()


def _disabled(readers=READERS):
    return Rule(ok=NOBODY, missing=frozenset(readers))


TABLE: dict[tuple[str, str], Rule] = {
    ("admin.index", "GET"): Rule(STAFF),
    ("queues.index", "GET"): Rule(STAFF),
    ("queues.application", "GET"): Rule(STAFF, item="app"),
    ("queues.application_inspect", "POST"): Rule(frozenset({"admin", "inspector"}), item="app"),
    ("queues.application_evaluate", "POST"): Rule(frozenset({"admin", "evaluator"}),
                                                  item="app"),
    ("queues.application_publish", "POST"): Rule(PUBLISHERS, item="app"),
    ("queues.case", "GET"): Rule(READERS, item="case"),
    ("queues.case_confirm", "POST"): Rule(REVIEWERS, item="case"),
    ("queues.case_dismiss", "POST"): Rule(REVIEWERS, item="case"),
    ("queues.case_notify", "POST"): Rule(PUBLISHERS, item="case"),
    ("queues.case_decide", "POST"): Rule(PUBLISHERS, item="case"),
    ("queues.repair", "GET"): Rule(READERS, item="repair"),
    ("queues.repair_accept", "POST"): Rule(PUBLISHERS, item="repair"),
    ("queues.repair_refuse", "POST"): Rule(PUBLISHERS, item="repair"),
    ("queues.repair_approve", "POST"): Rule(PUBLISHERS, item="repair"),
    ("queues.repair_reject", "POST"): Rule(PUBLISHERS, item="repair"),
    ("queues.listing", "GET"): Rule(READERS, item="listing"),
    ("queues.listing_remove", "POST"): Rule(PUBLISHERS, item="listing"),
    ("enterprises.index_view", "GET"): Rule(READERS),
    ("enterprises.details_view", "GET"): Rule(READERS, item="enterprise"),
    ("enterprises.create_view", "GET"): Rule(RECORDERS),
    ("enterprises.create_view", "POST"): Rule(RECORDERS),
    ("enterprises.edit_view", "GET"): Rule(RECORDERS, item="enterprise"),
    ("enterprises.edit_view", "POST"): Rule(RECORDERS, item="enterprise"),
    ("enterprises.delete_view", "POST"): _disabled(),
    ("enterprises.action_view", "POST"): _disabled(),
    ("enterprises.export", "GET"): _disabled(),
    ("enterprises.ajax_lookup", "GET"): _disabled(),
    ("enterprises.ajax_update", "POST"): _disabled(),
    ("records.index_view", "GET"): Rule(READERS),
    ("records.details_view", "GET"): Rule(READERS, item="record"),
    ("records.create_view", "GET"): Rule(RECORDERS, item="enterprise",
                                         args={"type": "spot_check"}),
    ("records.create_view", "POST"): Rule(RECORDERS, item="enterprise",
                                          args={"type": "spot_check"}),
    ("records.edit_view", "GET"): Rule(RECORDERS, item="record"),
    ("records.edit_view", "POST"): Rule(RECORDERS, item="record"),
    ("records.remove", "GET"): Rule(RECORDERS, item="record"),
    ("records.remove", "POST"): Rule(RECORDERS, item="record"),
    ("records.delete_view", "POST"): _disabled(),
    ("records.action_view", "POST"): _disabled(),
    ("records.export", "GET"): _disabled(),
    ("records.ajax_lookup", "GET"): _disabled(),
    ("records.ajax_update", "POST"): _disabled(),
    ("imports.index", "GET"): Rule(RECORDERS),
    ("imports.template", "GET"): Rule(RECORDERS),
    ("imports.check", "POST"): Rule(RECORDERS),
    ("imports.run", "POST"): Rule(RECORDERS),
    ("exports.index", "GET"): Rule(READERS),
    ("exports.grades", "POST"): Rule(READERS),
    ("users.index_view", "GET"): Rule(frozenset({"admin"})),
    ("users.create_view", "GET"): Rule(frozenset({"admin"})),
    ("users.create_view", "POST"): Rule(frozenset({"admin"})),
    ("users.edit_view", "GET"): Rule(frozenset({"admin"}), item="user"),
    ("users.edit_view", "POST"): Rule(frozenset({"admin"}), item="user"),
    ("users.password", "POST"): Rule(frozenset({"admin"}), item="user"),
    ("users.active", "POST"): Rule(frozenset({"admin"}), item="user"),
    ("users.details_view", "GET"): Rule(NOBODY, missing=frozenset({"admin"}), item="user"),
    ("users.delete_view", "POST"): Rule(NOBODY, missing=frozenset({"admin"})),
    ("users.action_view", "POST"): Rule(NOBODY, missing=frozenset({"admin"})),
    ("users.export", "GET"): Rule(NOBODY, missing=frozenset({"admin"})),
    ("users.ajax_lookup", "GET"): Rule(NOBODY, missing=frozenset({"admin"})),
    ("users.ajax_update", "POST"): Rule(NOBODY, missing=frozenset({"admin"})),
    ("calendar.index", "GET"): Rule(frozenset({"admin"})),
    ("calendar.day", "POST"): Rule(frozenset({"admin"})),
    ("calendar.confirm", "POST"): Rule(frozenset({"admin"})),
    ("calendar.unconfirm", "POST"): Rule(frozenset({"admin"})),
    ("audit.index_view", "GET"): Rule(AUDIT, district_only=True),
    ("audit.details_view", "GET"): Rule(AUDIT, item="audit", district_only=True),
    ("audit.verify", "POST"): Rule(AUDIT, district_only=True),
    ("audit.create_view", "GET"): Rule(NOBODY, missing=AUDIT, district_only=True),
    ("audit.create_view", "POST"): Rule(NOBODY, missing=AUDIT, district_only=True),
    ("audit.edit_view", "GET"): Rule(NOBODY, missing=AUDIT, district_only=True),
    ("audit.edit_view", "POST"): Rule(NOBODY, missing=AUDIT, district_only=True),
    ("audit.delete_view", "POST"): Rule(NOBODY, missing=AUDIT, district_only=True),
    ("audit.action_view", "POST"): Rule(NOBODY, missing=AUDIT, district_only=True),
    ("audit.export", "GET"): Rule(NOBODY, missing=AUDIT, district_only=True),
    ("audit.ajax_lookup", "GET"): Rule(NOBODY, missing=AUDIT, district_only=True),
    ("audit.ajax_update", "POST"): Rule(NOBODY, missing=AUDIT, district_only=True),
    # graded supervision
    ("plans.index", "GET"): Rule(READERS),
    ("plans.create", "GET"): Rule(PUBLISHERS),
    ("plans.create", "POST"): Rule(PUBLISHERS),
    ("plans.plan", "GET"): Rule(READERS, item="plan"),
    ("plans.draw", "POST"): Rule(PUBLISHERS, item="plan"),
    ("plans.verify", "POST"): Rule(READERS, item="plan"),
    ("plans.cancel", "POST"): Rule(PUBLISHERS, item="plan"),
    ("plans.close", "POST"): Rule(PUBLISHERS, item="plan"),
    ("plans.export", "POST"): Rule(READERS, item="plan"),
    ("plans.results_check", "POST"): Rule(RECORDERS, item="plan"),
    ("plans.results_run", "POST"): Rule(RECORDERS, item="plan"),
    ("plans.item", "GET"): Rule(READERS, item="plan_item"),
    ("plans.item_result", "POST"): Rule(RECORDERS, item="plan_item"),
    ("inspectors.index", "GET"): Rule(READERS),
    ("inspectors.create", "GET"): Rule(PUBLISHERS),
    ("inspectors.create", "POST"): Rule(PUBLISHERS),
    ("inspectors.edit", "GET"): Rule(READERS, item="inspector"),
    ("inspectors.edit", "POST"): Rule(PUBLISHERS, item="inspector"),
    ("inspectors.active", "POST"): Rule(PUBLISHERS, item="inspector"),
    ("warnings.index", "GET"): Rule(READERS),
    ("warnings.candidates", "GET"): Rule(READERS),
    ("warnings.issue", "GET"): Rule(PUBLISHERS, item="c_enterprise"),
    ("warnings.issue", "POST"): Rule(PUBLISHERS, item="c_enterprise"),
    ("warnings.warning", "GET"): Rule(READERS, item="warning"),
    ("warnings.follow_up", "POST"): Rule(PUBLISHERS, item="warning"),
    ("warnings.close", "POST"): Rule(PUBLISHERS, item="warning"),
    ("warnings.withdraw", "POST"): Rule(PUBLISHERS, item="warning"),
    ("warnings.notice", "GET"): Rule(READERS, item="warning"),
    ("honours.index", "GET"): Rule(READERS),
    ("honours.honour", "GET"): Rule(READERS, item="honour"),
    ("honours.decide", "POST"): Rule(PUBLISHERS, item="honour"),
    ("honours.register", "GET"): Rule(RECORDERS | PUBLISHERS, item="c_enterprise"),
    ("honours.register", "POST"): Rule(RECORDERS | PUBLISHERS, item="c_enterprise"),
    ("public_reports.index", "GET"): Rule(READERS),
    ("public_reports.report", "GET"): Rule(READERS, item="report"),
    ("public_reports.handle", "POST"): Rule(RECORDERS | PUBLISHERS, item="report"),
    ("supervision_reports.index", "GET"): Rule(READERS),
    ("supervision_reports.d_report", "GET"): Rule(READERS),
    ("supervision_reports.monthly", "GET"): Rule(READERS, args={"month": "2027-10"}),
    ("supervision_reports.monthly_export", "POST"): Rule(READERS),
    ("supervision_settings.index", "GET"): Rule(frozenset({"admin"})),
    ("supervision_settings.save", "POST"): Rule(frozenset({"admin"})),
}


def admin_endpoints(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint == "admin.static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.endpoint, method))
    return found


def test_every_endpoint_is_in_the_table(app):
    endpoints = admin_endpoints(app)
    assert endpoints - set(TABLE) == set(), "admin endpoints missing from the access table"
    assert set(TABLE) - endpoints == set(), "the access table names endpoints that are gone"


def build_url(app, w, endpoint: str, method: str, k: str = "") -> str:
    """The URL of an endpoint naming the object of jurisdiction ``k`` ("" 向阳区, "_h" 桦南县)."""
    rule = TABLE[(endpoint, method)]
    path_args: dict = {}
    query = dict(rule.args)
    arguments = next(r.arguments for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    if "export_type" in arguments:
        path_args["export_type"] = "csv"
    if rule.item is not None:
        if rule.item == "audit":
            from credit.extensions import db

            ident = db.session.query(AuditEntry.id).order_by(AuditEntry.id).first()[0]
        else:
            ident = _obj(w, rule.item, k).id
        if "item_id" in arguments:
            path_args["item_id"] = ident
        elif endpoint == "records.create_view":
            query["enterprise_id"] = ident
        else:
            query["id"] = ident
    with app.test_request_context():
        url = url_for(endpoint, **path_args)
    return url + ("?" + urlencode(query) if query else "")


def classify(response) -> str:
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        return "login"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404:
        return "missing"
    if response.status_code >= 500:
        return "error"
    return "ok"


def expected(rule: Rule, role: str, user, k: str) -> str:
    if rule.district_only and user.jurisdiction is not None:
        return "forbidden"
    if role in rule.missing:
        return "missing"
    if role not in rule.ok:
        return "forbidden"
    district = "桦南县" if k else "向阳区"
    if rule.item is not None and user.jurisdiction not in (None, district) \
            and rule.item not in ("audit", "user"):
        return "missing"
    return "ok"


def _call(client, method: str, url: str):
    return client.get(url) if method == "GET" else client.post(url, data={})


@pytest.mark.parametrize(("endpoint", "method"), sorted(TABLE))
def test_access_matrix(app, world, sign_in, endpoint, method):
    problems = []
    jurisdictions = ("", "_h") if TABLE[(endpoint, method)].item else ("",)
    for k in jurisdictions:
        url = build_url(app, world, endpoint, method, k)
        got = classify(_call(sign_in(None), method, url))
        if got != "login":
            problems.append(f"anonymous {method} {url}: {got}, expected login")
        got = classify(_call(sign_in(world.u["ent_a"]), method, url))
        if got != "forbidden":
            problems.append(f"enterprise {method} {url}: {got}, expected forbidden")
        for username, role in ACCOUNTS:
            user = world.u[username]
            want = expected(TABLE[(endpoint, method)], role, user, k)
            got = classify(_call(sign_in(user), method, url))
            if got != want:
                problems.append(f"{username} {method} {url}: {got}, expected {want}")
    assert not problems, "\n".join(problems)


def test_inspector_sees_only_applications_that_need_inspection(world, sign_in):
    client = sign_in(world.u["inspector"])
    assert client.get(f"/admin/queues/a/{world.apps['a_tested'].id}").status_code == 200
    assert client.get(f"/admin/queues/a/{world.apps['a'].id}").status_code == 404


@pytest.mark.parametrize("url", ["/admin/enterprises/details/?id=abc",
                                 "/admin/queues/d/0", "/admin/queues/a/99999999999999999999",
                                 "/admin/records/edit/?id=-1"])
def test_malformed_ids_are_not_found(world, sign_in, url):
    assert sign_in(world.u["admin"]).get(url).status_code == 404


def test_deactivated_user_is_signed_out_on_the_next_request(db, world, sign_in):
    client = sign_in(world.u["recorder"])
    assert client.get("/admin/enterprises/").status_code == 200
    world.u["recorder"].active = False
    db.session.commit()
    response = client.get("/admin/enterprises/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_new_password_signs_out_every_other_session(db, world, client):
    from credit.services.accounts import reset_password

    other = client.application.test_client()
    for c in (client, other):
        c.post("/login", data={"username": "recorder", "password": PASSWORD})
        assert c.get("/admin/enterprises/").status_code == 200
    reset_password(world.u["admin"], world.u["recorder"], "a-brand-new-password")
    db.session.commit()
    for c in (client, other):
        response = c.get("/admin/enterprises/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    client.post("/login", data={"username": "recorder", "password": "a-brand-new-password"})
    assert client.get("/admin/enterprises/").status_code == 200


def test_menu_shows_each_role_only_what_it_may_open(world, sign_in):
    menus = {}
    for username in ("admin", "recorder", "reviewer", "evaluator", "auditor", "auditor_h"):
        html = sign_in(world.u[username]).get("/admin/").get_data(as_text=True)
        menus[username] = {label for label, href in [
            ("待办事项", "/admin/queues/"), ("企业", "/admin/enterprises/"),
            ("批量导入", "/admin/import/"), ("导出", "/admin/exports/"),
            ("账户", "/admin/users/"), ("工作日历", "/admin/calendar/"),
            ("审计日志", "/admin/audit/")] if f'href="{href}"' in html}
    assert menus["admin"] == {"待办事项", "企业", "批量导入", "导出", "账户", "工作日历",
                              "审计日志"}
    assert menus["recorder"] == {"企业", "批量导入", "导出"}
    assert menus["reviewer"] == {"待办事项", "企业", "导出"}
    assert menus["evaluator"] == {"待办事项"}
    assert menus["auditor"] == {"待办事项", "企业", "导出", "审计日志"}
    assert menus["auditor_h"] == {"待办事项", "企业", "导出"}
