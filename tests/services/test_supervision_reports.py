"""Reports: the D enterprises for the local government, and the monthly summary."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from flask import render_template
from openpyxl import load_workbook
from sqlalchemy import select

from credit.models import AuditEntry, Enterprise, GradeChange, GradeTrigger, Record, User
from credit.permissions import OPERATOR
from credit.services.grading import regrade
from credit.services.importer import write_enterprises
from credit.services.plans import Result, create_plan, draw_plan, record_result
from credit.services.supervision_reports import (
    FIGURE_KEYS,
    FIGURES,
    d_enterprise_report,
    export_monthly_summary,
    monthly_summary,
)
from credit.workflows.errors import InvalidInput, NotPermitted
from tests.supervision import DAY
from tests.workflows.conftest import COUNTERFEIT, FAIL, firm


@pytest.fixture
def graded(db, city):
    firms = {
        "d1": firm(8701, "向阳区", {**COUNTERFEIT, "ref": "V-8701"}, name="向阳假冒有限公司"),
        "d2": firm(8702, "桦南县", {**COUNTERFEIT, "ref": "V-8702"}),
        "c": firm(8703, "向阳区", {**FAIL, "ref": "F-8703"}),
        "a": firm(8704, "向阳区"),
    }
    write_enterprises([dict(f) for f in firms.values()], today=DAY, source="test")
    city.u = {name: db.session.scalar(select(User).where(User.username == name))
              for name in city.u}
    return {k: db.session.scalar(select(Enterprise).where(Enterprise.uscc == f["uscc"]))
            for k, f in firms.items()}


def test_d_report_lists_the_jurisdiction_s_d_enterprises(app, db, city, graded):
    report = d_enterprise_report(city.u["publisher"], "向阳区")
    ours = {e.uscc: e for e in report.entries}
    assert graded["d1"].uscc in ours and graded["d2"].uscc not in ours
    assert all(e.district == "向阳区" for e in report.entries)
    generated_d = sum(1 for j, g in city.grades.values() if (j, g) == ("向阳区", "D"))
    assert report.count == generated_d + 1
    entry = ours[graded["d1"].uscc]
    assert entry.reasons == [{"code": "D2", "text": "当年有故意生产假冒伪劣产品的违法记录",
                              "records": [{"type": "违法违规", "date": "2026-03-15",
                                           "ref": "V-8701"}]}]
    assert entry.case_state == "proposed" and entry.listed_on is None
    assert report.authority == "向阳区市场监督管理局"
    logged = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "report.d_enterprises"))
    assert logged.object_id == "向阳区" and logged.after["enterprises"] == report.count
    with app.test_request_context("/"):
        html = render_template("supervision/d_report.html", report=report)
    assert "向阳假冒有限公司" in html and "V-8701" in html and "已提出，待复核" in html
    assert "向阳区人民政府" in html


def test_d_report_permissions(db, city, graded):
    with pytest.raises(NotPermitted):
        d_enterprise_report(city.u["publisher"], "桦南县")
    with pytest.raises(NotPermitted):
        d_enterprise_report(city.u["publisher"], None)
    with pytest.raises(NotPermitted):
        d_enterprise_report(city.u["evaluator"], "向阳区")
    with pytest.raises(InvalidInput):
        d_enterprise_report(city.u["admin"], "松花江区")
    city_report = d_enterprise_report(city.u["auditor"], None)
    assert {graded["d1"].uscc, graded["d2"].uscc} <= {e.uscc for e in city_report.entries}


def test_monthly_summary_counts_the_month(db, city, graded):
    plan = create_plan(OPERATOR, period="2026-10", jurisdictions=["向阳区"], seed="m")
    draw_plan(OPERATOR, plan)
    item = plan_item_of(db, plan, graded["a"]) or first_item(db, plan)
    record_result(city.u["recorder"], item, Result("inspection", "fail", dt.date(2026, 10, 12)))
    summary = monthly_summary(city.u["publisher"], "2026-10")
    assert summary.jurisdictions == ["向阳区"]
    row = summary.rows["向阳区"]
    generated = [g for j, g in city.grades.values() if j == "向阳区"]
    # the generated enterprises have stored grades but no history; three of the firms are in
    # 向阳区, graded this month (first grades: "newly graded"); one result moved a grade to C
    assert row["graded"] == len(generated) + 3
    assert row["newly_graded"] == 3 and row["became_d"] == 1
    assert row["worsened"] == 1 and row["improved"] == 0
    assert row["plan_selected"] == plan.selected_count and row["plan_done"] == 1
    assert row["checks"] == 1 and row["checks_failed"] == 1
    assert row["cases_proposed"] == 1
    assert summary.movements[(None, "D")] == 1 and summary.movements[("A", "C")] + \
        summary.movements.get(("B", "C"), 0) + summary.movements.get(("D", "C"), 0) == 1


def plan_item_of(db, plan, enterprise):
    from credit.models import PlanItem

    return db.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id,
                                                    PlanItem.enterprise_id == enterprise.id))


def first_item(db, plan):
    from credit.models import Grade, PlanItem

    return db.session.scalar(select(PlanItem).join(Grade, Grade.enterprise_id ==
                                                    PlanItem.enterprise_id)
                             .where(PlanItem.plan_id == plan.id, Grade.grade == "A")
                             .order_by(PlanItem.id).limit(1))


def test_grade_counts_at_the_end_of_a_past_month(db, city, graded):
    """September's end: the firms graded in October did not count yet, and a grade that moved
    in October counts as it was."""
    db.session.execute(GradeChange.__table__.update().values(changed_on=dt.date(2026, 9, 20)))
    record = Record(enterprise_id=graded["a"].id, **{**FAIL, "ref": "F-8704",
                                                     "date": dt.date(2026, 10, 2)})
    db.session.add(record)
    db.session.flush()
    regrade([graded["a"].id], as_of=dt.date(2026, 10, 2), cause=GradeTrigger.RECORD_ADDED)
    september = monthly_summary(city.u["admin"], "2026-09").rows["向阳区"]
    october = monthly_summary(city.u["admin"], "2026-10").rows["向阳区"]
    assert september["grade_A"] == october["grade_A"] + 1
    assert september["grade_C"] == october["grade_C"] - 1
    assert september["newly_graded"] == 3 and october["newly_graded"] == 0
    assert october["worsened"] == 1


def test_monthly_summary_scope_and_export(db, city, graded):
    with pytest.raises(NotPermitted):
        monthly_summary(city.u["publisher"], "2026-10", jurisdiction="桦南县")
    with pytest.raises(InvalidInput, match="not a month"):
        monthly_summary(city.u["admin"], "October")
    summary = monthly_summary(city.u["admin"], "2026-10")
    assert len(summary.jurisdictions) == 11
    out = io.BytesIO()
    export_monthly_summary(city.u["admin"], summary, out)
    out.seek(0)
    book = load_workbook(out)
    assert book.sheetnames == ["概况", "等级变动"]
    rows = list(book["概况"].iter_rows(values_only=True))
    assert rows[1] == ("辖区", *(label for _, label in FIGURES))
    assert [r[0] for r in rows[2:]] == [*summary.jurisdictions, "合计"]
    xy = next(r for r in rows if r[0] == "向阳区")
    assert list(xy[1:]) == [summary.rows["向阳区"][k] for k in FIGURE_KEYS]
    total = rows[-1]
    assert total[FIGURE_KEYS.index("graded") + 1] == len(city.grades) + 4
    moves = list(book["等级变动"].iter_rows(values_only=True))
    assert moves[0] == ("原等级 \\ 新等级", "A", "B", "C", "D")
    assert moves[1][0] == "（新评定）" and sum(moves[1][1:]) == 4
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())
                             .limit(1)) == "report.monthly_summary.export"
