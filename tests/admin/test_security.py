"""Sign-in and request safety: CSRF on every form, throttled sign-in (counted in the database,
so every worker sees the same count), no open redirect through ``next``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from credit.config import TestConfig
from credit.extensions import db as _db
from credit.models import DCase, DCaseState, LoginFailure
from tests.admin.conftest import PASSWORD
from wsgi import create_app


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def login(client, username, password, address="10.0.0.1", next_=None):
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_workflow_post_without_csrf_token_is_refused(world, sign_in, csrf_on):
    case = world.cases["_h"]
    client = sign_in(world.u["reviewer_h"])
    refused = client.post(f"/admin/queues/d/{case.id}/confirm", data={"version": case.version})
    assert refused.status_code == 400
    _db.session.expire_all()
    assert _db.session.get(DCase, case.id).state == DCaseState.PROPOSED
    page = client.get(f"/admin/queues/d/{case.id}").get_data(as_text=True)
    accepted = client.post(f"/admin/queues/d/{case.id}/confirm",
                           data={"version": case.version, "csrf_token": token_from(page)})
    assert accepted.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(DCase, case.id).state == DCaseState.CONFIRMED


@pytest.mark.parametrize("url", ["/admin/audit/verify", "/admin/exports/grades.xlsx",
                                 "/admin/import/check", "/admin/users/new/"])
def test_every_kind_of_admin_form_needs_the_token(world, sign_in, csrf_on, url):
    assert sign_in(world.u["admin"]).post(url, data={}).status_code == 400


def test_forms_carry_the_token(world, sign_in, csrf_on):
    client = sign_in(world.u["admin"])
    for url in (f"/admin/queues/d/{world.cases['_h'].id}", "/admin/import/", "/admin/exports/",
                f"/admin/users/edit/?id={world.u['recorder'].id}",
                f"/admin/records/edit/?id={world.records[''].id}", "/admin/audit/"):
        html = client.get(url).get_data(as_text=True)
        forms = html.count('method="post"')
        assert forms and html.count('name="csrf_token"') >= forms, url


def test_sign_in_is_throttled_per_account(world, client):
    for _ in range(5):
        assert "用户名或密码不正确" in login(client, "recorder", "wrong").get_data(as_text=True)
    blocked = login(client, "recorder", PASSWORD)
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.get_data(as_text=True)
    # Another address does not help: the account is blocked.
    assert login(client, "recorder", PASSWORD, address="10.9.9.9").status_code == 429
    # Other accounts are unaffected.
    assert login(client, "publisher", PASSWORD).status_code == 302


def test_sign_in_is_throttled_per_address(world, client):
    for i in range(20):
        login(client, f"nobody{i}", "wrong", address="10.0.0.7")
    assert login(client, "publisher", PASSWORD, address="10.0.0.7").status_code == 429
    assert login(client, "publisher", PASSWORD, address="10.0.0.8").status_code == 302


def test_the_count_is_shared_by_every_worker(app, world, client):
    """A second application (another gunicorn worker) sees the failures the first counted."""
    for _ in range(5):
        login(client, "recorder", "wrong")
    other = create_app(TestConfig)
    other.test_client_class = type(client)
    with other.app_context():
        response = other.test_client().post(
            "/login", data={"username": "recorder", "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.1.1.1"})
        _db.session.remove()
        _db.engine.dispose()  # the second worker's connections
    assert response.status_code == 429


def test_success_clears_the_account_count(world, client):
    for _ in range(4):
        login(client, "recorder", "wrong")
    assert login(client, "recorder", PASSWORD).status_code == 302
    count = _db.session.scalar(select(func.count()).select_from(LoginFailure)
                               .where(LoginFailure.username == "recorder"))
    assert count == 0


def test_refused_attempts_while_blocked_are_not_counted(world, client):
    for _ in range(5):
        login(client, "recorder", "wrong")
    for _ in range(3):
        login(client, "recorder", "wrong")
    count = _db.session.scalar(select(func.count()).select_from(LoginFailure))
    assert count == 5


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "http:/evil.example", "javascript:alert(1)"])
def test_next_cannot_leave_the_site(world, client, target):
    response = login(client, "recorder", PASSWORD, next_=target)
    assert response.headers["Location"] == "/admin/"


def test_sign_in_returns_to_the_admin_page_asked_for(world, client):
    first = client.get("/admin/queues/?q=d_review")
    assert first.status_code == 302
    location = first.headers["Location"]
    assert location.startswith("/login?next=")
    response = client.post(location, data={"username": "reviewer", "password": PASSWORD})
    assert response.headers["Location"] == "/admin/queues/?q=d_review"


def test_enterprise_accounts_never_enter_the_backend(world, client):
    assert login(client, "ent_a", PASSWORD).status_code == 302
    for url in ("/admin/", "/admin/queues/", "/admin/enterprises/", "/admin/audit/"):
        assert client.get(url).status_code == 403


def test_backend_pages_send_security_headers(world, sign_in):
    response = sign_in(world.u["admin"]).get("/admin/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "private, no-store"
    nonce = policy.split("'nonce-")[1].split("'")[0]
    html = response.get_data(as_text=True)
    for tag in html.split("<script")[1:]:  # every inline script carries the nonce
        head = tag.split(">", 1)[0]
        if "src=" not in head and "application/json" not in head:
            assert f'nonce="{nonce}"' in head
