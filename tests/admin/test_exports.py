"""Excel exports of internal grades: scoped, complete, and logged."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from credit.extensions import db as _db
from credit.models import AuditEntry


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.data
    response.close()  # the server closes the streamed file after sending it
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = [tuple(r) for r in wb["等级"].iter_rows(values_only=True)]
    wb.close()
    return rows


def test_export_writes_an_audit_entry(world, sign_in):
    response = sign_in(world.u["auditor"]).post("/admin/exports/grades.xlsx",
                                                data={"district": "桦南县"})
    rows = rows_of(response)
    assert rows[0][:5] == ("统一社会信用代码", "企业名称", "辖区", "行业代码", "信用等级")
    assert {r[2] for r in rows[1:]} == {"桦南县"}
    by_uscc = {r[0]: r for r in rows[1:]}
    d_row = by_uscc[world.e["d_h"].uscc]
    assert d_row[4] == "D" and "D2 当年有故意生产假冒伪劣产品的违法记录" in d_row[6]
    entry = _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "grades.export"))
    assert entry.actor == "auditor"
    assert entry.after == {"format": "xlsx", "district": "桦南县", "enterprises": len(rows) - 1}


def test_district_staff_export_only_their_jurisdiction(world, sign_in):
    client = sign_in(world.u["recorder"])
    assert client.post("/admin/exports/grades.xlsx",
                       data={"district": "桦南县"}).status_code == 400
    rows = rows_of(client.post("/admin/exports/grades.xlsx", data={"district": "向阳区"}))
    assert {r[2] for r in rows[1:]} == {"向阳区"}
    assert _db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "grades.export")) is not None


def test_whole_city_export(world, sign_in):
    rows = rows_of(sign_in(world.u["admin"]).post("/admin/exports/grades.xlsx",
                                                   data={"district": ""}))
    assert len(rows) - 1 == len(world.e)


def test_evaluators_and_inspectors_cannot_export(world, sign_in):
    for user in ("evaluator", "inspector"):
        response = sign_in(world.u[user]).post("/admin/exports/grades.xlsx", data={})
        assert response.status_code == 403
