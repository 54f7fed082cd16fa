"""Supervision reports: the D enterprises of a jurisdiction for its local government
(policy 四(四): 及时报告当地政府), and the monthly summary of grades, listings, cases,
inspections, warnings and honours, exportable to Excel. (The public's reports, 举报, are
credit/services/reports.py.)

Both carry internal grades, so producing one is audited; both read a few grouped queries, never
one per enterprise.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask import current_app
from openpyxl import Workbook
from sqlalchemy import and_, func, or_, select

from credit import clock
from credit.extensions import db
from credit.models import (
    DCase,
    DCaseState,
    Enterprise,
    Grade,
    GradeChange,
    HonourActionEntry,
    InspectionPlan,
    Listing,
    PlanItem,
    PlanState,
    Record,
    User,
    WarningNotice,
)
from credit.models.honours import Honour
from credit.models.listings import DCASE_OPEN
from credit.permissions import Operator, can_view_supervision_reports
from credit.services import audit
from credit.services.plans import parse_period
from credit.vocabulary import DISTRICTS, RECORD_KINDS
from credit.workflows.errors import InvalidInput, NotPermitted
from credit.workflows.warning_notices import authority_for, reason_text

GRADES = ("A", "B", "C", "D")
Actor = User | Operator


def _allow(actor: Actor, jurisdiction: str | None, what: str) -> None:
    if jurisdiction is not None and jurisdiction not in DISTRICTS:
        raise InvalidInput(f"jurisdiction: {jurisdiction!r} is not one of the 11 jurisdictions")
    if not can_view_supervision_reports(actor, jurisdiction):
        raise NotPermitted(f"you may not see the {what} of {jurisdiction or 'the whole city'}")


# -- D enterprises for the local government --------------------------------------------------


@dataclass
class DEntry:
    uscc: str
    name: str
    district: str
    address: str
    industry: str
    since: dt.date
    reasons: list[dict]  # [{"code", "text", "records": [{"type", "date", "ref"}]}]
    case_state: str | None  # the latest D case's state
    listed_on: dt.date | None  # published on the D list (live listing)


@dataclass
class DReport:
    jurisdiction: str | None
    authority: str
    as_of: dt.date
    entries: list[DEntry] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.entries)


def d_enterprise_report(actor: Actor, jurisdiction: str | None, *,
                        as_of: dt.date | None = None) -> DReport:
    """The enterprises graded D now in a jurisdiction (``None``: the whole city), each with
    its reasons in plain words and their records, its case and listing, oldest D first."""
    _allow(actor, jurisdiction, "D report")
    as_of = as_of or clock.today()
    report = DReport(jurisdiction, authority_for(jurisdiction) if jurisdiction
                     else "佳木斯市市场监督管理局", as_of)
    query = (select(Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.district,
                    Enterprise.address, Enterprise.industry, Grade.since, Grade.reasons)
             .join(Grade, Grade.enterprise_id == Enterprise.id).where(Grade.grade == "D")
             .order_by(Grade.since, Enterprise.uscc))
    if jurisdiction is not None:
        query = query.where(Enterprise.district == jurisdiction)
    size = current_app.config["BATCH_SIZE"]
    rows = db.session.execute(query).all()
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        ids = [r.id for r in batch]
        refs = {ref for r in batch for reason in r.reasons for ref in reason.get("refs", ())}
        records: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        if refs:
            for eid, rtype, day, ref in db.session.execute(
                select(Record.enterprise_id, Record.type, Record.date, Record.ref)
                .where(Record.enterprise_id.in_(ids), Record.ref.in_(refs))
                .order_by(Record.date, Record.ref)
            ):
                records[eid][ref].append({"type": RECORD_KINDS[rtype].label,
                                          "date": day.isoformat(), "ref": ref})
        cases = {}
        for eid, state in db.session.execute(
            select(DCase.enterprise_id, DCase.state).where(DCase.enterprise_id.in_(ids))
            .order_by(DCase.id)
        ):
            cases[eid] = state  # the latest wins
        listed = dict(db.session.execute(
            select(Listing.enterprise_id, Listing.published_on).where(
                Listing.enterprise_id.in_(ids), Listing.kind == "D",
                Listing.removed_on.is_(None))).all())
        for r in batch:
            reasons = [{"code": reason["code"], "text": reason_text(reason["code"]),
                        "records": [rec for ref in reason.get("refs", ())
                                    for rec in records[r.id].get(ref, ())]}
                       for reason in r.reasons]
            report.entries.append(DEntry(r.uscc, r.name, r.district, r.address or "",
                                         r.industry or "", r.since, reasons, cases.get(r.id),
                                         listed.get(r.id)))
    audit.record("report.d_enterprises", "report", jurisdiction or "city",
                 actor_id=getattr(actor, "id", None),
                 after={"as_of": as_of, "enterprises": report.count})
    return report


# -- the monthly summary ---------------------------------------------------------------------

#: The summary's figures per jurisdiction, in the order of the workbook's columns.
FIGURES = (
    ("grade_A", "A级（月末）"), ("grade_B", "B级（月末）"), ("grade_C", "C级（月末）"),
    ("grade_D", "D级（月末）"), ("graded", "企业合计（月末）"),
    ("newly_graded", "新评定"), ("improved", "等级上升"), ("worsened", "等级下降"),
    ("became_d", "新增D级"),
    ("a_published", "守信公示新增"), ("a_removed", "守信公示撤下"),
    ("d_published", "严重失信名单新增"), ("d_removed", "严重失信名单撤下"),
    ("cases_proposed", "D级案件提出"), ("cases_dismissed", "D级案件驳回"),
    ("cases_open", "D级案件在办（月末）"),
    ("plan_selected", "双随机抽中"), ("plan_done", "双随机已录结果"),
    ("checks", "检查抽查记录"), ("checks_failed", "其中不合格"),
    ("warnings_issued", "黄牌警告发出"), ("warnings_closed", "黄牌警告办结"),
    ("honours_flagged", "荣誉待处理标记"), ("honours_acted", "荣誉处理决定"),
)
FIGURE_KEYS = tuple(k for k, _ in FIGURES)
_ORDER = {g: i for i, g in enumerate(GRADES)}


@dataclass
class MonthlySummary:
    month: str
    start: dt.date
    end: dt.date
    jurisdictions: list[str]
    rows: dict[str, dict[str, int]]  # jurisdiction -> figure -> count
    movements: dict[tuple[str | None, str], int]  # (old grade or None, new grade) -> count

    @property
    def total(self) -> dict[str, int]:
        return {key: sum(row[key] for row in self.rows.values()) for key in FIGURE_KEYS}


def _month(month: str) -> tuple[dt.date, dt.date]:
    start = parse_period(month)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _by_district(query, rows: dict[str, dict[str, int]], key: str) -> None:
    for district, count in db.session.execute(query):
        if district in rows:
            rows[district][key] += count


def _day_range(column, start: dt.date, end: dt.date):
    return and_(column >= start, column <= end)


def _time_range(column, start: dt.date, end: dt.date):
    return and_(column >= dt.datetime.combine(start, dt.time()),
                column < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))


def monthly_summary(actor: Actor, month: str, *,
                    jurisdiction: str | None = None) -> MonthlySummary:
    """The month's figures for each jurisdiction in scope (``None``: all the actor may see)."""
    scope = jurisdiction or getattr(actor, "jurisdiction", None)
    _allow(actor, scope, "monthly summary")
    start, end = _month(month)
    districts = [scope] if scope else list(DISTRICTS)
    rows = {d: dict.fromkeys(FIGURE_KEYS, 0) for d in districts}
    E = Enterprise
    in_scope = E.district.in_(districts)

    # Grades at the end of the month: today's, with later changes undone.
    for district, grade, count in db.session.execute(
        select(E.district, Grade.grade, func.count()).join(Grade, Grade.enterprise_id == E.id)
        .where(in_scope).group_by(E.district, Grade.grade)
    ):
        rows[district][f"grade_{grade}"] += count
    first_after = (
        select(GradeChange.enterprise_id, GradeChange.old_grade,
               func.row_number().over(partition_by=GradeChange.enterprise_id,
                                      order_by=(GradeChange.changed_on, GradeChange.id))
               .label("n"))
        .where(GradeChange.changed_on > end).subquery()
    )
    for district, old, now, count in db.session.execute(
        select(E.district, first_after.c.old_grade, Grade.grade, func.count())
        .join(first_after, first_after.c.enterprise_id == E.id)
        .join(Grade, Grade.enterprise_id == E.id)
        .where(first_after.c.n == 1, in_scope)
        .group_by(E.district, first_after.c.old_grade, Grade.grade)
    ):
        rows[district][f"grade_{now}"] -= count
        if old is not None:
            rows[district][f"grade_{old}"] += count
    for row in rows.values():
        row["graded"] = sum(row[f"grade_{g}"] for g in GRADES)

    # Movements of the grade letter during the month.
    movements: dict[tuple[str | None, str], int] = defaultdict(int)
    for district, old, new, count in db.session.execute(
        select(E.district, GradeChange.old_grade, GradeChange.new_grade, func.count())
        .join(GradeChange, GradeChange.enterprise_id == E.id)
        .where(in_scope, _day_range(GradeChange.changed_on, start, end),
               or_(GradeChange.old_grade.is_(None), GradeChange.old_grade != GradeChange.new_grade))
        .group_by(E.district, GradeChange.old_grade, GradeChange.new_grade)
    ):
        movements[(old, new)] += count
        row = rows[district]
        if old is None:
            row["newly_graded"] += count
        elif _ORDER[new] < _ORDER[old]:
            row["improved"] += count
        else:
            row["worsened"] += count
        if new == "D":
            row["became_d"] += count

    # Listings published and removed.
    for kind in ("A", "D"):
        for column, key in ((Listing.published_on, f"{kind.lower()}_published"),
                            (Listing.removed_on, f"{kind.lower()}_removed")):
            _by_district(select(E.district, func.count()).join(Listing, Listing.enterprise_id
                                                               == E.id)
                         .where(in_scope, Listing.kind == kind, _day_range(column, start, end))
                         .group_by(E.district), rows, key)

    # D cases.
    _by_district(select(E.district, func.count()).join(DCase, DCase.enterprise_id == E.id)
                 .where(in_scope, _day_range(DCase.proposed_on, start, end))
                 .group_by(E.district), rows, "cases_proposed")
    _by_district(select(E.district, func.count()).join(DCase, DCase.enterprise_id == E.id)
                 .where(in_scope, DCase.state == DCaseState.DISMISSED.value,
                        _time_range(DCase.reviewed_at, start, end))
                 .group_by(E.district), rows, "cases_dismissed")
    if end >= clock.today():  # open cases are known for now, not for a past month's end
        _by_district(select(E.district, func.count()).join(DCase, DCase.enterprise_id == E.id)
                     .where(in_scope, DCase.state.in_([s.value for s in DCASE_OPEN]))
                     .group_by(E.district), rows, "cases_open")

    # Inspections: the month's plans, and every check recorded in the archive for the month.
    live_plans = InspectionPlan.state.in_([PlanState.DRAWN.value, PlanState.CLOSED.value])
    for key, extra in (("plan_selected", None), ("plan_done", PlanItem.result.is_not(None))):
        query = (select(PlanItem.jurisdiction, func.count())
                 .join(InspectionPlan, InspectionPlan.id == PlanItem.plan_id)
                 .where(InspectionPlan.period == month, live_plans,
                        PlanItem.jurisdiction.in_(districts)))
        if extra is not None:
            query = query.where(extra)
        _by_district(query.group_by(PlanItem.jurisdiction), rows, key)
    for key, extra in (("checks", None), ("checks_failed", Record.result == "fail")):
        query = (select(E.district, func.count()).join(Record, Record.enterprise_id == E.id)
                 .where(in_scope, Record.type.in_(("inspection", "spot_check")),
                        _day_range(Record.date, start, end)))
        if extra is not None:
            query = query.where(extra)
        _by_district(query.group_by(E.district), rows, key)

    # Warnings and honours.
    _by_district(select(E.district, func.count()).join(WarningNotice,
                                                       WarningNotice.enterprise_id == E.id)
                 .where(in_scope, _day_range(WarningNotice.issued_on, start, end))
                 .group_by(E.district), rows, "warnings_issued")
    _by_district(select(E.district, func.count()).join(WarningNotice,
                                                       WarningNotice.enterprise_id == E.id)
                 .where(in_scope, _day_range(WarningNotice.closed_on, start, end))
                 .group_by(E.district), rows, "warnings_closed")
    for key, actions in (("honours_flagged", ("flag",)),
                         ("honours_acted", ("suspend", "revoke", "reinstate", "keep"))):
        _by_district(select(E.district, func.count())
                     .join(Honour, Honour.enterprise_id == E.id)
                     .join(HonourActionEntry, HonourActionEntry.honour_id == Honour.id)
                     .where(in_scope, HonourActionEntry.action.in_(actions),
                            _day_range(HonourActionEntry.done_on, start, end))
                     .group_by(E.district), rows, key)

    audit.record("report.monthly_summary", "report", scope or "city",
                 actor_id=getattr(actor, "id", None), after={"month": month})
    return MonthlySummary(month, start, end, districts, rows, dict(movements))


def export_monthly_summary(actor: Actor, summary: MonthlySummary,
                           out: IO[bytes] | str | Path) -> None:
    """The summary as a workbook: 概况 (one row per jurisdiction and a total), 等级变动
    (old grade x new grade). Audited as an export of internal figures."""
    _allow(actor, summary.jurisdictions[0] if len(summary.jurisdictions) == 1 else None,
           "monthly summary")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("概况")
    sheet.column_dimensions["A"].width = 14
    sheet.append([f"{summary.month} 企业质量信用监管月报"])
    sheet.append(["辖区", *(label for _, label in FIGURES)])
    for district in summary.jurisdictions:
        sheet.append([district, *(summary.rows[district][k] for k in FIGURE_KEYS)])
    if len(summary.jurisdictions) > 1:
        total = summary.total
        sheet.append(["合计", *(total[k] for k in FIGURE_KEYS)])
    moves = workbook.create_sheet("等级变动")
    moves.append(["原等级 \\ 新等级", *GRADES])
    for old in (None, *GRADES):
        moves.append([old or "（新评定）",
                      *(summary.movements.get((old, new), 0) for new in GRADES)])
    workbook.save(out)
    audit.record("report.monthly_summary.export", "report",
                 summary.jurisdictions[0] if len(summary.jurisdictions) == 1 else "city",
                 actor_id=getattr(actor, "id", None), after={"month": summary.month})
