"""The 举报 queue, the printable D report and the monthly summary through the test client."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from credit.extensions import db as _db
from credit.models import AuditEntry, Report


def fresh(model, ident):
    _db.session.expire_all()
    return _db.session.get(model, ident)


def audits(action: str) -> int:
    return _db.session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == action))


def test_report_queue_is_scoped_shows_contacts_and_is_marked_handled(world, sign_in):
    mine, other = world.reports[""], world.reports["_h"]
    client = sign_in(world.u["recorder"])
    page = client.get("/admin/public-reports/").get_data(as_text=True)
    assert mine.receipt in page and other.receipt not in page
    assert client.get(f"/admin/public-reports/{other.id}").status_code == 404
    page = client.get(f"/admin/public-reports/{mine.id}").get_data(as_text=True)
    assert "13800000000" in page and "张三" in page
    page = client.post(f"/admin/public-reports/{mine.id}/handle",
                       data={"version": mine.version, "note": ""}).get_data(as_text=True)
    assert "处理情况" in page and fresh(Report, mine.id).state == "new"
    response = client.post(f"/admin/public-reports/{mine.id}/handle",
                           data={"version": mine.version - 1, "note": "已核查"})
    assert "其他人已先处理" in client.get(response.headers["Location"]).get_data(as_text=True)
    client.post(f"/admin/public-reports/{mine.id}/handle",
                data={"version": mine.version, "note": "已转稽查科核查"})
    report = fresh(Report, mine.id)
    assert report.state == "handled" and report.handled_note == "已转稽查科核查"


def test_d_report_is_per_jurisdiction_and_audited(world, sign_in):
    client = sign_in(world.u["reviewer"])
    page = client.get("/admin/supervision-reports/d-report?jurisdiction=向阳区")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "关于严重失信（D级）企业情况的报告" in text
    assert world.e["d"].name in text and world.e["d_h"].name not in text
    assert client.get("/admin/supervision-reports/d-report?jurisdiction=桦南县"
                      ).status_code == 404
    assert audits("report.d_enterprises") == 1
    city = sign_in(world.u["admin"]).get("/admin/supervision-reports/d-report")
    assert world.e["d_h"].name in city.get_data(as_text=True)


def test_monthly_summary_page_and_workbook(world, sign_in):
    client = sign_in(world.u["admin"])
    page = client.get("/admin/supervision-reports/monthly?month=2027-10&jurisdiction=")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "双随机抽中" in text and 'id="movements"' in text
    bad = client.get("/admin/supervision-reports/monthly?month=2027-13&jurisdiction=")
    assert bad.status_code == 400 and "YYYY-MM" in bad.get_data(as_text=True)
    response = client.post("/admin/supervision-reports/monthly.xlsx",
                           data={"month": "2027-10", "jurisdiction": ""})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    rows = list(book["概况"].iter_rows(values_only=True))
    assert rows[1][0] == "辖区" and rows[-1][0] == "合计" and len(rows) == 2 + 11 + 1
    assert "等级变动" in book.sheetnames
    assert audits("report.monthly_summary.export") == 1
    county = sign_in(world.u["reviewer"])
    assert county.get("/admin/supervision-reports/monthly?month=2027-10&jurisdiction=桦南县"
                      ).status_code == 404
