"""The skeleton is alive: pages render, Chinese by default, English on request, admin secured."""

from __future__ import annotations

import pytest

from credit.models import Role
from credit.services.accounts import create_user


@pytest.fixture
def staff(db):
    user = create_user("clerk", "clerk-password", role=Role.RECORDER, jurisdiction="郊区",
                       name="王录入")
    db.session.commit()
    return user


def login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_home_is_chinese_by_default(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "严重失信企业名单" in html


def test_english_switch_and_back(client):
    response = client.get("/lang/en?next=/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Seriously untrustworthy enterprises" in html
    client.get("/lang/zh_Hans_CN")
    assert "严重失信企业名单" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_language_switch_is_not_an_open_redirect(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_admin_needs_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_staff_sees_the_admin_index_in_chinese(client, staff):
    assert login(client, "clerk", "clerk-password").status_code == 302
    html = client.get("/admin/").get_data(as_text=True)
    assert "质量信用监管后台" in html
    assert "管辖范围：郊区" in html
    assert "首页" in html  # flask-admin chrome in Chinese too
    assert "王录入" in html and 'action="/logout"' in html


def test_sign_out_from_the_admin(client, staff):
    login(client, "clerk", "clerk-password")
    assert client.post("/logout").headers["Location"] == "/"
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(client, staff):
    html = login(client, "clerk", "nope-nope").get_data(as_text=True)
    assert "用户名或密码不正确" in html
    html = login(client, "nobody", "nope-nope").get_data(as_text=True)
    assert "用户名或密码不正确" in html


def test_enterprise_account_cannot_open_admin(client, db, today, write_json, sample_archive):
    from credit.services.importer import import_archive

    import_archive(str(write_json(sample_archive)), today=today(), source="test")
    create_user("firm", "firm-password", role=Role.ENTERPRISE, uscc="912308041043321813")
    db.session.commit()
    login(client, "firm", "firm-password")
    assert client.get("/admin/").status_code == 403


def test_login_next_must_stay_on_site(client, staff):
    response = client.post("/login?next=https://evil.example/",
                           data={"username": "clerk", "password": "clerk-password"})
    assert response.headers["Location"] == "/admin/"
