"""The plan workbook: export for the inspectors, results read back all or nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from credit.models import AuditEntry, Grade, PlanItem, Record
from credit.permissions import OPERATOR
from credit.services.plan_workbook import (
    ABOUT_SHEET,
    HEADERS,
    ITEMS_SHEET,
    STAFF_SHEET,
    ResultsRefused,
    export_plan,
    import_results,
)
from credit.services.plans import Result, create_plan, draw_plan, record_result
from credit.workflows.errors import NotPermitted


def drawn(jurisdictions=("向阳区", "桦南县"), period="2026-10"):
    plan = create_plan(OPERATOR, period=period, jurisdictions=list(jurisdictions), seed="wb")
    selection = draw_plan(OPERATOR, plan)
    return plan, selection


def exported(actor, plan, **kwargs):
    buffer = io.BytesIO()
    count = export_plan(actor, plan, buffer, **kwargs)
    buffer.seek(0)
    return count, load_workbook(buffer)


def test_export_opens_in_openpyxl_with_the_expected_rows(db, city):
    plan, selection = drawn()
    count, book = exported(city.u["admin"], plan)
    assert book.sheetnames == [ITEMS_SHEET, STAFF_SHEET, ABOUT_SHEET]
    sheet = book[ITEMS_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert count == len(rows) - 1 == len(selection)
    items = {i.id: i for i in db.session.scalars(select(PlanItem).where(
        PlanItem.plan_id == plan.id))}
    assert [r[0] for r in rows[1:]] == sorted(items)  # drawn order
    for row in rows[1:]:
        item = items[row[0]]
        assert (row[1], row[3], row[5], row[6]) == (item.uscc, item.jurisdiction, item.grade,
                                                    item.rank)
        assert row[8] == "、".join(item.inspectors)
        assert row[7] == "、".join(f"{item.jurisdiction}检查员{int(b[-3:])}"
                                   for b in item.inspectors)
        assert all(v is None for v in row[9:])
    about = dict((r[0], r[1]) for r in book[ABOUT_SHEET].iter_rows(values_only=True) if r and r[0])
    assert about["随机种子"] == "wb" and about["算法"] == "jms-draw/1"
    assert about["输入摘要 SHA-256"] == plan.inputs_digest
    staff = list(book[STAFF_SHEET].iter_rows(values_only=True))[1:]
    assert {r[0] for r in staff} == set(city.pools["向阳区"]) | set(city.pools["桦南县"])
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "inspection_plan.export"))
    assert entry.after["enterprises"] == count and entry.actor == "admin"


def test_district_staff_export_only_their_jurisdiction(db, city):
    plan, selection = drawn()
    count, book = exported(city.u["recorder_h"], plan)
    rows = list(book[ITEMS_SHEET].iter_rows(values_only=True))[1:]
    assert count == sum(1 for d in selection if d.jurisdiction == "桦南县") == len(rows)
    assert {r[3] for r in rows} == {"桦南县"}
    with pytest.raises(NotPermitted):
        export_plan(city.u["evaluator"], plan, io.BytesIO())
    only = create_plan(OPERATOR, period="2026-11", jurisdictions=["向阳区"])
    draw_plan(OPERATOR, only)
    with pytest.raises(NotPermitted):
        export_plan(city.u["recorder_h"], only, io.BytesIO())


def fill(book, row: int, **cells) -> None:
    sheet = book[ITEMS_SHEET]
    for header, value in cells.items():
        sheet.cell(row=row, column=HEADERS.index(header) + 1, value=value)


def saved(book) -> io.BytesIO:
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def xy_rows(book) -> list[int]:
    """Row numbers of 向阳区 enterprises in the list sheet."""
    return [n for n, row in enumerate(book[ITEMS_SHEET].iter_rows(values_only=True), start=1)
            if n > 1 and row[3] == "向阳区"]


def test_returned_results_become_records(db, city):
    plan, _ = drawn()
    _, book = exported(city.u["admin"], plan)
    first, second, third = xy_rows(book)[:3]
    fill(book, first, 检查日期="2026-10-12", 检查结果="不合格", 备注="现场记录不全")
    fill(book, second, 检查类型="监督抽查", 抽查对象="产品", 检查日期=dt.datetime(2026, 10, 13),
         检查结果="合格", 文书编号="JMS-CC-2026-0101")
    summary = import_results(city.u["recorder"], plan, saved(book))
    assert (summary.entered, summary.unchanged) == (2, 0)
    assert summary.blank == len(list(book[ITEMS_SHEET].iter_rows())) - 3
    records = db.session.scalars(select(Record).where(Record.id.in_(summary.records))
                                 .order_by(Record.id)).all()
    assert [(r.type, r.result, r.subject) for r in records] == [
        ("inspection", "fail", None), ("spot_check", "pass", "product")]
    assert records[1].ref == "JMS-CC-2026-0101"
    assert "现场记录不全" in records[0].note
    # the same workbook again: nothing new; with one more row: only that one
    assert import_results(city.u["recorder"], plan, saved(book)).unchanged == 2
    fill(book, third, 检查日期="2026-10-14", 检查结果="合格")
    again = import_results(city.u["recorder"], plan, saved(book))
    assert (again.entered, again.unchanged) == (1, 2)
    assert db.session.scalar(select(AuditEntry.after).where(
        AuditEntry.action == "inspection_plan.import_results")
        .order_by(AuditEntry.id.desc()).limit(1))["entered"] == 1


def test_one_bad_row_refuses_the_whole_workbook(db, city):
    plan, _ = drawn()
    _, book = exported(city.u["admin"], plan)
    rows = xy_rows(book)
    fill(book, rows[0], 检查日期="2026-10-12", 检查结果="合格")
    fill(book, rows[1], 检查日期="2026-10-12", 检查结果="passed")
    fill(book, rows[2], 检查日期="12/10/2026", 检查结果="合格")
    fill(book, rows[3], 检查类型="监督抽查", 检查日期="2026-10-12", 检查结果="合格")
    fill(book, rows[4], 检查日期="2026-11-30", 检查结果="合格")
    fill(book, rows[5], 检查日期="2026-10-12", 检查结果="合格", 抽查对象="计量")
    fill(book, rows[6], 检查日期="2026-10-12")
    before = db.session.scalar(select(func.count()).select_from(Record))
    with pytest.raises(ResultsRefused) as refused:
        import_results(city.u["recorder"], plan, saved(book))
    problems = refused.value.problems
    assert problems == [
        f"sheet '检查名单', row {rows[1]}, column M (检查结果): 'passed' is not one of "
        "合格, 不合格",
        f"sheet '检查名单', row {rows[2]}, column L (检查日期): '12/10/2026' is not a date in "
        "the form YYYY-MM-DD",
        f"sheet '检查名单', row {rows[6]}, column M (检查结果): required when a row is filled in",
        f"sheet '检查名单', row {rows[3]}, column K (抽查对象): None is not one of product, "
        "metrology (needed for a spot check)",
        f"sheet '检查名单', row {rows[4]}, column L (检查日期): 2026-11-30 is in the future",
        f"sheet '检查名单', row {rows[5]}, column K (抽查对象): an inspection has no subject",
    ]
    assert db.session.scalar(select(func.count()).select_from(Record)) == before
    assert db.session.scalar(select(func.count()).select_from(PlanItem).where(
        PlanItem.result.is_not(None))) == 0


def test_rows_outside_the_plan_or_the_user_s_reach_are_named(db, city):
    plan, _ = drawn()
    _, book = exported(city.u["admin"], plan)
    sheet = book[ITEMS_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    hn = next(n for n, r in enumerate(rows, start=1) if n > 1 and r[3] == "桦南县")
    xy = xy_rows(book)
    fill(book, hn, 检查日期="2026-10-12", 检查结果="合格")
    fill(book, xy[0], 检查日期="2026-10-12", 检查结果="合格", 统一社会信用代码="91230800XXXXXXXXXX")
    fill(book, xy[1], 检查日期="2026-10-12", 检查结果="合格", 序号=999_999)
    fill(book, xy[2], 检查日期="2026-10-12", 检查结果="合格", 文书编号="R-1")
    fill(book, xy[3], 检查日期="2026-10-12", 检查结果="合格", 序号=rows[xy[2] - 1][0],
         统一社会信用代码=rows[xy[2] - 1][1])
    with pytest.raises(ResultsRefused) as refused:
        import_results(city.u["recorder"], plan, saved(book))
    text = "\n".join(refused.value.problems)
    assert f"row {hn}, column A (序号): you may not enter results for" in text
    assert f"row {xy[0]}, column B (统一社会信用代码): item" in text
    assert f"row {xy[1]}, column A (序号): 999999 is not an item of plan {plan.id}" in text
    assert f"row {xy[3]}, column A (序号): item {rows[xy[2] - 1][0]} is also on row {xy[2]}" \
        in text


def test_a_ref_already_in_the_archive_is_refused(db, city):
    plan, _ = drawn()
    _, book = exported(city.u["admin"], plan)
    row = xy_rows(book)[0]
    values = list(book[ITEMS_SHEET].iter_rows(values_only=True))[row - 1]
    item = db.session.get(PlanItem, values[0])
    db.session.add(Record(enterprise_id=item.enterprise_id, type="inspection", ref="R-9",
                          date=dt.date(2026, 3, 1), result="pass"))
    db.session.flush()
    fill(book, row, 检查日期="2026-10-12", 检查结果="合格", 文书编号="R-9")
    with pytest.raises(ResultsRefused, match="1 problem") as refused:
        import_results(city.u["recorder"], plan, saved(book))
    assert refused.value.problems == [
        f"sheet '检查名单', row {row}, column N (文书编号): 'R-9' is already recorded as a "
        "inspection of this enterprise"]


def test_a_different_result_for_an_entered_item_is_refused(db, city):
    plan, _ = drawn()
    _, book = exported(city.u["admin"], plan)
    row = xy_rows(book)[0]
    item = db.session.get(PlanItem, book[ITEMS_SHEET].cell(row=row, column=1).value)
    record_result(city.u["recorder"], item, Result("inspection", "pass", dt.date(2026, 10, 2)))
    fill(book, row, 检查日期="2026-10-12", 检查结果="不合格")
    with pytest.raises(ResultsRefused, match="1 problem") as refused:
        import_results(city.u["recorder"], plan, saved(book))
    assert "already entered for" in refused.value.problems[0]


def test_not_a_workbook_or_not_ours(db, city, tmp_path):
    plan, _ = drawn()
    path = tmp_path / "results.xlsx"
    path.write_text("name,result\n")
    with pytest.raises(ResultsRefused, match="1 problem") as refused:
        import_results(city.u["recorder"], plan, path)
    assert refused.value.problems[0].startswith("the file is not an Excel workbook")
    other = Workbook()
    other.active.title = "Sheet1"
    with pytest.raises(ResultsRefused) as refused:
        import_results(city.u["recorder"], plan, saved(other))
    assert refused.value.problems == ["the workbook has no sheet named '检查名单'"]
    _, book = exported(city.u["admin"], plan)
    book[ITEMS_SHEET]["M1"] = "结果"
    with pytest.raises(ResultsRefused) as refused:
        import_results(city.u["recorder"], plan, saved(book))
    assert refused.value.problems == [
        "sheet '检查名单', row 1, column M: expected the header '检查结果', found '结果'"]


def test_results_move_grades(db, city):
    """The draw reads stored grades; the result is an archive record and the enterprise is
    regraded from its archive (here: no records, so a pass leaves it A and a fail makes C)."""
    plan, _ = drawn(jurisdictions=("向阳区",))
    _, book = exported(city.u["admin"], plan)
    rows = xy_rows(book)[:2]
    ids = [book[ITEMS_SHEET].cell(row=r, column=1).value for r in rows]
    fill(book, rows[0], 检查日期="2026-10-12", 检查结果="不合格")
    fill(book, rows[1], 检查日期="2026-10-12", 检查结果="合格")
    import_results(city.u["admin"], plan, saved(book))
    grades = [db.session.get(Grade, db.session.get(PlanItem, i).enterprise_id).grade
              for i in ids]
    assert grades == ["C", "A"]
