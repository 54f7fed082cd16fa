"""The audit log viewer: filters, before and after side by side, the chain check."""

from __future__ import annotations

from sqlalchemy import select

from credit.extensions import db as _db
from credit.models import AuditEntry
from credit.services import audit


def test_filters_by_actor_action_object_and_date(world, sign_in):
    client = sign_in(world.u["auditor"])
    html = client.get("/admin/audit/", query_string={"flt0_1": "d_case."}).get_data(
        as_text=True)
    assert "d_case.propose" in html and "user.create" not in html
    html = client.get("/admin/audit/", query_string={"flt0_0": "publisher"}).get_data(
        as_text=True)
    assert "d_case.notify" in html and "d_case.confirm" not in html
    case = world.cases[""]
    html = client.get("/admin/audit/", query_string={
        "flt0_2": "d_case", "flt1_3": str(case.id)}).get_data(as_text=True)
    assert "d_case.propose" in html
    html = client.get("/admin/audit/", query_string={"flt0_5": "2025-10-14"}).get_data(
        as_text=True)
    assert "repair.apply" not in html and "archive.import" not in html


def test_before_and_after_side_by_side(world, sign_in):
    entry = _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "d_case.confirm"))
    html = sign_in(world.u["admin"]).get(f"/admin/audit/details/?id={entry.id}").get_data(
        as_text=True)
    assert 'id="diff"' in html
    assert '<tr class="changed"><td>state</td><td><pre>proposed</pre></td>' \
           '<td><pre>confirmed</pre></td></tr>' in html


def test_chain_check_button(world, sign_in):
    client = sign_in(world.u["auditor"])
    html = client.post("/admin/audit/verify", follow_redirects=True).get_data(as_text=True)
    assert "审计日志完整" in html
    entry = _db.session.scalar(select(AuditEntry).order_by(AuditEntry.id).limit(1))
    entry.after = {"tampered": True}
    _db.session.commit()
    html = client.post("/admin/audit/verify", follow_redirects=True).get_data(as_text=True)
    assert f"在第{entry.id}条处断开" in html


def test_the_log_is_read_only(world, sign_in):
    client = sign_in(world.u["admin"])
    first = _db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id))
    for url in (f"/admin/audit/edit/?id={first}", "/admin/audit/new/"):
        assert client.post(url, data={"action": "x"}).status_code == 404
    assert client.post("/admin/audit/delete/", data={"id": first}).status_code == 404
    assert next(audit.verify(), None) is None
