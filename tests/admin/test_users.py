"""Account management by the city administrator: every act through the service, audited."""

from __future__ import annotations

from sqlalchemy import select

from credit.extensions import db as _db
from credit.models import AuditEntry, User
from tests.admin.conftest import PASSWORD


def user(name: str) -> User:
    _db.session.expire_all()
    return _db.session.scalar(select(User).where(User.username == name))


def test_create_a_staff_account(world, sign_in):
    client = sign_in(world.u["admin"])
    response = client.post("/admin/users/new/", data={
        "username": "clerk2", "name": "新录入员", "role": "recorder", "jurisdiction": "桦川县",
        "uscc": "", "password": "a-long-password"})
    assert response.status_code == 302
    created = user("clerk2")
    assert (created.role, created.jurisdiction, created.active) == ("recorder", "桦川县", True)
    entry = _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create")
                               .order_by(AuditEntry.id.desc()))
    assert entry.actor == "admin" and entry.after["username"] == "clerk2"


def test_enterprise_account_is_bound_to_an_enterprise(world, sign_in):
    client = sign_in(world.u["admin"])
    refused = client.post("/admin/users/new/", data={
        "username": "firm", "role": "enterprise", "jurisdiction": "", "uscc": "",
        "password": "a-long-password"})
    assert "企业账户必须绑定一个企业" in refused.get_data(as_text=True)
    taken = client.post("/admin/users/new/", data={
        "username": "firm", "role": "enterprise", "jurisdiction": "",
        "uscc": world.e["a"].uscc, "password": "a-long-password"})
    assert "该企业已有账户" in taken.get_data(as_text=True)
    ok = client.post("/admin/users/new/", data={
        "username": "firm", "role": "enterprise", "jurisdiction": "",
        "uscc": world.e["c"].uscc.lower(), "password": "a-long-password"})
    assert ok.status_code == 302 and user("firm").enterprise_id == world.e["c"].id


def test_change_role_and_jurisdiction(world, sign_in):
    target = world.u["recorder_h"]
    client = sign_in(world.u["admin"])
    response = client.post(f"/admin/users/edit/?id={target.id}", data={
        "name": "改任复核员", "role": "reviewer", "jurisdiction": "", "uscc": ""})
    assert response.status_code == 302
    changed = user("recorder_h")
    assert (changed.role, changed.jurisdiction) == ("reviewer", None)
    entry = _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.update"))
    assert entry.before["role"] == "recorder" and entry.after["role"] == "reviewer"


def test_deactivate_signs_the_user_out_and_reset_password(world, sign_in, client):
    target = world.u["publisher_h"]
    own = sign_in(target)
    assert own.get("/admin/").status_code == 200
    admin = client  # the same test client: sign in again as the administrator afterwards
    sign_in(world.u["admin"])
    assert admin.post(f"/admin/users/active/?id={target.id}").status_code == 302
    assert user("publisher_h").active is False
    sign_in(target)
    assert client.get("/admin/").status_code == 302  # treated as signed out
    sign_in(world.u["admin"])
    admin.post(f"/admin/users/active/?id={target.id}")
    admin.post(f"/admin/users/password/?id={target.id}", data={"password": "new-password-1"})
    sign_in(None)
    assert client.post("/login", data={"username": "publisher_h",
                                       "password": PASSWORD}).status_code == 200
    assert client.post("/login", data={"username": "publisher_h",
                                       "password": "new-password-1"}).status_code == 302
    actions = set(_db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "user", AuditEntry.object_id == str(target.id))))
    assert {"user.deactivate", "user.activate", "user.reset_password"} <= actions


def test_the_last_administrator_cannot_be_removed(world, sign_in):
    admin = world.u["admin"]
    client = sign_in(admin)
    html = client.post(f"/admin/users/edit/?id={admin.id}", data={
        "role": "recorder", "jurisdiction": "", "uscc": "", "name": ""}).get_data(as_text=True)
    assert "最后一个有效的市局管理员账户" in html
    assert user("admin").role == "city_admin"
    html = client.post(f"/admin/users/active/?id={admin.id}",
                       follow_redirects=True).get_data(as_text=True)
    assert "不能停用自己的账户" in html


def test_password_never_shown_or_logged(world, sign_in):
    client = sign_in(world.u["admin"])
    html = client.get(f"/admin/users/edit/?id={world.u['recorder'].id}").get_data(as_text=True)
    assert "pbkdf2" not in html and "scrypt" not in html
    client.post(f"/admin/users/password/?id={world.u['recorder'].id}",
                data={"password": "secret-new-pass"})
    for entry in _db.session.scalars(select(AuditEntry)):
        assert "secret-new-pass" not in str(entry.after) + str(entry.before)
