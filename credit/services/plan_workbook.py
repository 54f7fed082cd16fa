"""A plan as an Excel workbook for the inspectors, and their results read back from it.

The workbook (openpyxl, write-only: memory stays flat however large the plan) has three sheets:

- ``检查名单``: one row per drawn enterprise in the actor's jurisdiction, then six columns the
  inspectors fill in: 检查类型 (监督检查 or 监督抽查; empty means 监督检查), 抽查对象 (产品 or 计量,
  for a spot check), 检查日期, 检查结果 (合格 or 不合格), 文书编号 (optional: the ref the record
  takes), 备注.
- ``检查人员``: the inspectors named in it.
- ``抽取说明``: how the plan was drawn (seed, algorithm, digests, eligible and drawn counts).

``import_results`` reads the returned workbook, checks every filled-in row and writes all of
them or none: any problem refuses the whole file and names its sheet, row and column. Rows
whose result columns are empty are left for later; a row already entered with the same result
is skipped, so the same file can be loaded again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from zipfile import BadZipFile

from flask import current_app
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from credit import clock
from credit.extensions import db
from credit.models import CheckType, Enterprise, InspectionPlan, PlanItem, PlanStratum, Record
from credit.permissions import can_enter_inspection_result, can_view_plans
from credit.services import audit
from credit.services.inspectors import names_of
from credit.services.plans import (
    Actor,
    Result,
    default_ref,
    items_query,
    record_result,
    result_problems,
)
from credit.workflows.errors import InvalidInput, NotPermitted, ensure_state

ITEMS_SHEET = "检查名单"
STAFF_SHEET = "检查人员"
ABOUT_SHEET = "抽取说明"
EXCEL_MAX_ROWS = 1_048_576

#: (header, width) of the list sheet; the first nine come from the plan, the rest are filled in.
COLUMNS = (
    ("序号", 10), ("统一社会信用代码", 22), ("企业名称", 36), ("辖区", 12), ("地址", 36),
    ("信用等级", 9), ("抽取顺位", 9), ("检查人员", 18), ("执法证号", 24),
    ("检查类型", 11), ("抽查对象", 9), ("检查日期", 12), ("检查结果", 9), ("文书编号", 22),
    ("备注", 30),
)
HEADERS = tuple(h for h, _ in COLUMNS)
FIRST_INPUT = HEADERS.index("检查类型")
_COL = {h: i for i, h in enumerate(HEADERS)}

CHECK_TYPE_WORDS = {"监督检查": "inspection", "监督抽查": "spot_check",
                    "inspection": "inspection", "spot_check": "spot_check"}
SUBJECT_WORDS = {"产品": "product", "计量": "metrology", "product": "product",
                 "metrology": "metrology"}
RESULT_WORDS = {"合格": "pass", "不合格": "fail", "pass": "pass", "fail": "fail"}
KIND_WORDS = {"routine": "日常监督检查", "licence_review": "许可证年度监督检查（A级免予实地抽查）"}
_SEPARATOR = "、"


class ResultsRefused(Exception):
    """The workbook was refused whole; ``problems`` names every one with sheet, row, column."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in the workbook; nothing was entered")
        self.problems = problems


@dataclass
class ResultsImport:
    entered: int = 0  # new results written to the archive
    unchanged: int = 0  # already entered with the same values
    blank: int = 0  # result columns empty: not inspected yet
    records: list[int] = field(default_factory=list)


# -- export ---------------------------------------------------------------------------------


_EXPORT_COLUMNS = (PlanItem.id, PlanItem.uscc, PlanItem.jurisdiction, PlanItem.grade,
                   PlanItem.rank, PlanItem.inspectors, PlanItem.check_type, PlanItem.subject,
                   PlanItem.checked_on, PlanItem.result, PlanItem.ref, PlanItem.note,
                   Enterprise.name, Enterprise.address)


def _item_rows(actor: Actor, plan: InspectionPlan, jurisdiction: str | None) -> Iterator[Any]:
    """The rows to export in drawn order: one query, streamed (a server-side cursor on
    PostgreSQL), so memory stays flat and the database plans it once."""
    query = (items_query(actor, plan, jurisdiction=jurisdiction)
             .with_only_columns(*_EXPORT_COLUMNS)
             .join(Enterprise, Enterprise.id == PlanItem.enterprise_id))
    result = db.session.execute(query.execution_options(
        yield_per=current_app.config["BATCH_SIZE"]))
    for partition in result.partitions():
        yield from partition


def _display(value: str) -> str:
    return {"pass": "合格", "fail": "不合格", "inspection": "监督检查", "spot_check": "监督抽查",
            "product": "产品", "metrology": "计量"}.get(value, value)


def export_plan(actor: Actor, plan: InspectionPlan, out: IO[bytes] | str | Path, *,
                jurisdiction: str | None = None) -> int:
    """Write the plan's workbook (the actor's part of it); returns the number of enterprises.
    Internal grades leave the system, so the export is audited."""
    if not can_view_plans(actor, plan.jurisdictions):
        raise NotPermitted(f"you may not export plan {plan.id}")
    ensure_state(plan, "drawn", "closed", doing="export")
    total = db.session.scalar(
        items_query(actor, plan, jurisdiction=jurisdiction)
        .with_only_columns(db.func.count()).order_by(None)) or 0
    if total >= EXCEL_MAX_ROWS:
        raise InvalidInput(f"plan {plan.id} has {total} enterprises, more than one sheet holds; "
                           "export one jurisdiction at a time")
    badges = sorted({b for team in (plan.pools or {}).values() for b in team})
    names = names_of(badges)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(ITEMS_SHEET)
    for i, (_header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "C2"
    last = total + 1
    for column, words in (("检查类型", ["监督检查", "监督抽查"]), ("抽查对象", ["产品", "计量"]),
                          ("检查结果", ["合格", "不合格"])):
        letter = get_column_letter(_COL[column] + 1)
        rule = DataValidation(type="list", formula1='"' + ",".join(words) + '"',
                              allow_blank=True)
        rule.add(f"{letter}2:{letter}{max(last, 2)}")
        sheet.data_validations.append(rule)
    sheet.append(list(HEADERS))
    written = 0
    for item in _item_rows(actor, plan, jurisdiction):
        team = list(item.inspectors)
        row = [item.id, item.uscc, item.name, item.jurisdiction, item.address or "", item.grade,
               item.rank, _SEPARATOR.join(names.get(b, b) for b in team), _SEPARATOR.join(team)]
        if item.result is not None:  # rows still to fill in end here (fewer cells to write)
            row += [_display(item.check_type), _display(item.subject) if item.subject else None,
                    item.checked_on, _display(item.result),
                    item.ref if item.ref != default_ref(plan, item) else None, item.note]
        sheet.append(row)
        written += 1

    staff = workbook.create_sheet(STAFF_SHEET)
    staff.append(["执法证号", "姓名", "辖区"])
    for jurisdiction_name, team in (plan.pools or {}).items():
        if jurisdiction is None or jurisdiction == jurisdiction_name:
            for badge in team:
                staff.append([badge, names.get(badge, ""), jurisdiction_name])

    about = workbook.create_sheet(ABOUT_SHEET)
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 70
    for row in _about_rows(plan):
        about.append(row)
    workbook.save(out)
    audit.record("inspection_plan.export", "inspection_plan", plan.id, actor_id=actor.id,
                 after={"enterprises": written, "jurisdiction": jurisdiction or actor.jurisdiction})
    return written


def _about_rows(plan: InspectionPlan) -> Iterator[list]:
    yield ["计划编号", plan.id]
    yield ["抽查期间", plan.period]
    yield ["计划类型", KIND_WORDS.get(plan.kind, plan.kind)]
    yield ["辖区", _SEPARATOR.join(plan.jurisdictions)]
    yield ["抽取时间（UTC）", plan.drawn_at]
    yield ["随机种子", plan.seed]
    yield ["种子来源", "系统随机生成" if plan.seed_source == "generated" else "人工指定"]
    yield ["算法", plan.algorithm]
    yield ["抽取比例", "；".join(f"{g}级 {r}" for g, r in plan.ratios.items())]
    yield ["每户检查人员", plan.team_size]
    yield ["输入摘要 SHA-256", plan.inputs_digest]
    yield ["结果摘要 SHA-256", plan.selection_digest]
    yield []
    yield ["辖区", "等级", "比例", "可抽企业数", "抽中企业数", "名单摘要 SHA-256"]
    for s in db.session.execute(
        select(PlanStratum.jurisdiction, PlanStratum.grade, PlanStratum.ratio,
               PlanStratum.eligible, PlanStratum.selected, PlanStratum.digest)
        .where(PlanStratum.plan_id == plan.id).order_by(PlanStratum.id)
    ):
        yield list(s)
    yield []
    yield ["填写说明", "在“检查名单”右侧六列填写结果：检查类型（监督检查或监督抽查，"
                   "留空按监督检查）、抽查对象（监督抽查时填产品或计量）、检查日期（YYYY-MM-DD）、"
                   "检查结果（合格或不合格）、文书编号（可留空）、备注。尚未检查的企业留空即可。"
                   "请勿改动前九列。"]
    yield ["复核方法", f"flask --app wsgi credit plan verify {plan.id}"]


# -- import ---------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    item_id: int
    uscc: str
    result: Result


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _place(row: int, column: str) -> str:
    letter = get_column_letter(_COL[column] + 1)
    return f"sheet '{ITEMS_SHEET}', row {row}, column {letter} ({column})"


def _word(problems: list[str], row: int, column: str, value: Any,
          words: dict[str, str]) -> str | None:
    text = _cell_text(value)
    if text is None:
        return None
    if text not in words:
        allowed = ", ".join(w for w in words if not w.isascii())
        problems.append(f"{_place(row, column)}: {text!r} is not one of {allowed}")
        return None
    return words[text]


def _date(problems: list[str], row: int, value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    if text is None:
        problems.append(f"{_place(row, '检查日期')}: required when a result is given")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"{_place(row, '检查日期')}: {text!r} is not a date in the form "
                        "YYYY-MM-DD")
        return None


def _read(path: IO[bytes] | str | Path) -> tuple[list[_Row], int, list[str]]:
    """The filled-in rows, the number of blank ones, and the problems found on the way."""
    problems: list[str] = []
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ResultsRefused([f"the file is not an Excel workbook (.xlsx): {exc}"]) from None
    try:
        if ITEMS_SHEET not in workbook.sheetnames:
            raise ResultsRefused([f"the workbook has no sheet named '{ITEMS_SHEET}'"])
        sheet = workbook[ITEMS_SHEET]
        rows = sheet.iter_rows(values_only=True)
        header = tuple(_cell_text(v) for v in next(rows, ()))
        header = header + (None,) * (len(HEADERS) - len(header))
        for i, expected in enumerate(HEADERS):
            if header[i] != expected:
                problems.append(f"sheet '{ITEMS_SHEET}', row 1, column {get_column_letter(i + 1)}"
                                f": expected the header {expected!r}, found {header[i]!r}")
        if problems:
            raise ResultsRefused(problems)
        found, blank = [], 0
        for number, values in enumerate(rows, start=2):
            values = tuple(values) + (None,) * (len(HEADERS) - len(values))
            if all(_cell_text(v) is None for v in values):
                continue  # an empty line
            inputs = values[FIRST_INPUT:len(HEADERS)]
            if all(_cell_text(v) is None for v in inputs):
                blank += 1
                continue
            before = len(problems)
            item_text = _cell_text(values[_COL["序号"]])
            item_id = int(item_text) if item_text and item_text.isdigit() else None
            if item_id is None:
                problems.append(f"{_place(number, '序号')}: {item_text!r} is not an item number "
                                "of this plan")
            uscc = _cell_text(values[_COL["统一社会信用代码"]]) or ""
            check_type = _word(problems, number, "检查类型", values[_COL["检查类型"]],
                               CHECK_TYPE_WORDS) or CheckType.INSPECTION.value
            subject = _word(problems, number, "抽查对象", values[_COL["抽查对象"]], SUBJECT_WORDS)
            result = _word(problems, number, "检查结果", values[_COL["检查结果"]], RESULT_WORDS)
            if result is None and _cell_text(values[_COL["检查结果"]]) is None:
                problems.append(f"{_place(number, '检查结果')}: required when a row is filled in")
            checked_on = _date(problems, number, values[_COL["检查日期"]])
            if len(problems) > before:
                continue
            found.append(_Row(number, item_id, uscc, Result(
                check_type=check_type, result=result, checked_on=checked_on, subject=subject,
                ref=_cell_text(values[_COL["文书编号"]]), note=_cell_text(values[_COL["备注"]]))))
        return found, blank, problems
    finally:
        workbook.close()


_FIELD_COLUMN = {"check_type": "检查类型", "result": "检查结果", "subject": "抽查对象",
                 "checked_on": "检查日期", "ref": "文书编号", "note": "备注"}


def _same(item: PlanItem, result: Result) -> bool:
    return (item.check_type, item.result, item.checked_on, item.subject) == (
        result.check_type, result.result, result.checked_on, result.subject
    ) and (result.ref is None or result.ref == item.ref)


def import_results(actor: Actor, plan: InspectionPlan,
                   path: IO[bytes] | str | Path) -> ResultsImport:
    """Enter every filled-in row of a returned workbook, or none (``ResultsRefused``)."""
    if not can_view_plans(actor, plan.jurisdictions):
        raise NotPermitted(f"you may not enter results for plan {plan.id}")
    ensure_state(plan, "drawn", doing="enter results")
    rows, blank, problems = _read(path)
    today = clock.today()
    items: dict[int, tuple[PlanItem, Enterprise]] = {}
    ids = sorted({r.item_id for r in rows})
    size = current_app.config["BATCH_SIZE"]
    for start in range(0, len(ids), size):
        for item, enterprise in db.session.execute(
            select(PlanItem, Enterprise).join(Enterprise, Enterprise.id == PlanItem.enterprise_id)
            .where(PlanItem.plan_id == plan.id, PlanItem.id.in_(ids[start:start + size]))
        ):
            items[item.id] = (item, enterprise)
    seen: dict[int, int] = {}
    todo: list[tuple[_Row, PlanItem]] = []
    summary = ResultsImport(blank=blank)
    wanted_refs: dict[tuple[int, str, str], int] = {}
    for row in rows:
        found = items.get(row.item_id)
        if found is None:
            problems.append(f"{_place(row.number, '序号')}: {row.item_id} is not an item of "
                            f"plan {plan.id}")
            continue
        item, enterprise = found
        if row.uscc != item.uscc:
            problems.append(f"{_place(row.number, '统一社会信用代码')}: item {item.id} is "
                            f"{item.uscc}, not {row.uscc!r} (were the first columns changed?)")
            continue
        if row.item_id in seen:
            problems.append(f"{_place(row.number, '序号')}: item {item.id} is also on row "
                            f"{seen[row.item_id]}")
            continue
        seen[row.item_id] = row.number
        if not can_enter_inspection_result(actor, enterprise):
            problems.append(f"{_place(row.number, '序号')}: you may not enter results for "
                            f"{item.uscc} ({item.jurisdiction})")
            continue
        if item.result is not None and _same(item, row.result):
            summary.unchanged += 1
            continue
        for field_name, message in result_problems(plan, item, row.result, today,
                                                   enterprise.established_on):
            problems.append(f"{_place(row.number, _FIELD_COLUMN[field_name])}: {message}")
        if row.result.ref is not None:
            key = (enterprise.id, row.result.check_type, row.result.ref)
            if key in wanted_refs:
                problems.append(f"{_place(row.number, '文书编号')}: {row.result.ref!r} is also "
                                f"used on row {wanted_refs[key]}")
            wanted_refs[key] = row.number
        todo.append((row, item))
    for (_eid, rtype, ref), number in _taken_refs(wanted_refs).items():
        problems.append(f"{_place(number, '文书编号')}: {ref!r} is already recorded as a "
                        f"{rtype} of this enterprise")
    if problems:
        raise ResultsRefused(problems)
    for row, item in todo:
        record = record_result(actor, item, row.result)
        summary.entered += 1
        summary.records.append(record.id)
    audit.record("inspection_plan.import_results", "inspection_plan", plan.id,
                 actor_id=actor.id, after={"entered": summary.entered,
                                           "unchanged": summary.unchanged,
                                           "blank": summary.blank})
    return summary


def _taken_refs(wanted: dict[tuple[int, str, str], int]) -> dict[tuple[int, str, str], int]:
    """Those of the wanted (enterprise, type, ref) that the archive already holds."""
    taken = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        batch = keys[start:start + 500]
        for eid, rtype, ref in db.session.execute(
            select(Record.enterprise_id, Record.type, Record.ref).where(
                Record.enterprise_id.in_({k[0] for k in batch}),
                Record.ref.in_({k[2] for k in batch}))
        ):
            if (eid, rtype, ref) in wanted:
                taken[(eid, rtype, ref)] = wanted[(eid, rtype, ref)]
    return taken
