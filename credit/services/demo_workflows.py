"""Walk part of the demo archive through the disclosure workflows, so that a fresh demo site
shows everything: live A and D listings, certificates, removals in the change feed, a listing
about to expire, a D listing old enough for repair, a removal prompt, and for the staff side
applications, cases and repairs waiting at every step, plus a few public reports (举报).

Deterministic: enterprises are taken in id order by their stored grade. Steps that happened in
the past run with "today" pinned to their date (``CREDIT_TODAY``), so deadlines and validity
periods come out as they would have; the case's ``proposed_on`` is moved back to match (demo
data only). Every step calls the real workflow function with the demo staff accounts, so the
audit log and the change feed hold what the real path writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from credit import clock
from credit.extensions import db
from credit.models import (
    APublicationApplication,
    DCase,
    DCaseState,
    Enterprise,
    Grade,
    Listing,
    PlanItem,
    Record,
    Role,
    User,
)
from credit.services import archive, reports
from credit.services.accounts import DEMO_PASSWORD, create_user
from credit.services.tick import tick
from credit.workflows import a_publication, add_months, d_listing, repair

#: Enterprise demo accounts (username -> what it has to do), printed by the demo command.
DEMO_ENTERPRISE_ACCOUNTS = {
    "enterprise": "eligible to apply for A publication",
    "enterprise-a": "a live A listing and its certificate (can withdraw consent)",
    "enterprise-d": "a D notice to answer within its period",
    "enterprise-repair": "a D listing open to credit repair",
}


@dataclass
class WalkSummary:
    a_live: int = 0
    a_removed: int = 0
    a_waiting: dict[str, int] = field(default_factory=dict)
    d_live: int = 0
    d_removed: int = 0
    d_waiting: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    prompted: int = 0
    reports: int = 0
    supervision: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)  # username -> USCC

    def lines(self) -> list[str]:
        return [
            f"A listings: {self.a_live} live, {self.a_removed} removed; waiting: "
            + (", ".join(f"{k} {v}" for k, v in self.a_waiting.items()) or "none"),
            f"D listings: {self.d_live} live, {self.d_removed} removed, {self.prompted} "
            "prompted for removal; cases waiting: "
            + (", ".join(f"{k} {v}" for k, v in self.d_waiting.items()) or "none"),
            "Repair applications: "
            + (", ".join(f"{k} {v}" for k, v in self.repairs.items()) or "none"),
            f"Reports (举报): {self.reports}",
            "Graded supervision: "
            + (", ".join(f"{k} {v}" for k, v in self.supervision.items()) or "none"),
        ]


@contextlib.contextmanager
def on(day: dt.date) -> Iterator[None]:
    """Run the block as if today were ``day``."""
    config = current_app.config
    before = config.get("CREDIT_TODAY")
    config["CREDIT_TODAY"] = day
    try:
        yield
    finally:
        config["CREDIT_TODAY"] = before


def _staff(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise RuntimeError(f"the demo account {username!r} is missing: create the demo "
                           "staff accounts first")
    return user


def _account(enterprise: Enterprise, username: str | None = None) -> User:
    """The enterprise's account: a demo account (printed) or one named by its USCC with a
    random password (the firm would set its own)."""
    existing = db.session.scalar(select(User).where(User.enterprise_id == enterprise.id))
    if existing is not None:
        return existing
    if username is None:
        return create_user(enterprise.uscc, secrets.token_urlsafe(16), role=Role.ENTERPRISE,
                           uscc=enterprise.uscc, name=enterprise.name)
    return create_user(username, DEMO_PASSWORD, role=Role.ENTERPRISE, uscc=enterprise.uscc,
                       name=enterprise.name)


def _graded(grade: str, limit: int) -> list[Enterprise]:
    """The first ``limit`` enterprises of a grade: the walk needs a handful, and the archive
    may hold a million."""
    return list(db.session.scalars(
        select(Enterprise).join(Grade, Grade.enterprise_id == Enterprise.id)
        .where(Grade.grade == grade).order_by(Enterprise.id).limit(limit)))


def _inspected_ids(ids: list[int]) -> set[int]:
    return set(db.session.scalars(
        select(Record.enterprise_id).where(Record.enterprise_id.in_(ids or [-1]),
                                           Record.type == a_publication.INSPECTION_RECORD_TYPE)))


def _count(bucket: dict[str, int], key: str) -> None:
    bucket[key] = bucket.get(key, 0) + 1


def walk(today: dt.date | None = None) -> WalkSummary:
    """Walk the demo archive through the workflows (flushes; the caller commits)."""
    today = today or clock.today()
    days = dt.timedelta
    summary = WalkSummary()
    staff = {name: _staff(name) for name in ("admin", "recorder", "reviewer", "publisher",
                                              "evaluator", "inspector")}

    # -- A publication -------------------------------------------------------------------
    a_firms = _graded("A", 200)
    inspected = _inspected_ids([e.id for e in a_firms])
    plain = [e for e in a_firms if e.id not in inspected]
    tested = [e for e in a_firms if e.id in inspected]

    def apply(enterprise: Enterprise, on_day: dt.date, username: str | None = None):
        with on(on_day):
            return a_publication.apply_for_publication(_account(enterprise, username),
                                                       enterprise)

    def evaluate(app: APublicationApplication, on_day: dt.date, approve: bool = True):
        with on(on_day):
            if app.needs_inspection:
                a_publication.give_inspection_opinion(
                    staff["inspector"], app, "抽检产品均合格，同意推荐。")
            a_publication.evaluate_application(
                staff["evaluator"], app, approve=approve,
                reasons="质量管理体系健全，产品质量稳定，同意公示。" if approve
                else "近期产品质量投诉较多，暂不予公示。")

    def publish(enterprise: Enterprise, on_day: dt.date, username: str | None = None):
        app = apply(enterprise, on_day - days(20), username)
        evaluate(app, on_day - days(6))
        with on(on_day):
            a_publication.publish_application(staff["publisher"], app)
        return app

    # Live listings, one of them expiring within 30 days of today.
    live_ages = [340, 200, 120, 45, 10, 2]
    pool = iter(plain)
    for age in live_ages:
        enterprise = next(pool, None)
        if enterprise is None:
            break
        publish(enterprise, today - days(age), "enterprise-a" if age == 45 else None)
        summary.a_live += 1
        if age == 45:
            summary.accounts["enterprise-a"] = enterprise.uscc
    # Removals in the feed: consent withdrawn, and a listing that reached its 12 months.
    if (enterprise := next(pool, None)) is not None:
        app = publish(enterprise, today - days(90))
        with on(today - days(12)):
            a_publication.withdraw_consent(_account(enterprise), app)
        summary.a_removed += 1
    if (enterprise := next(pool, None)) is not None:
        publish(enterprise, today - days(400))  # expired 35 days ago; tick removes it below
        summary.a_removed += 1
    # Applications waiting at every step.
    if tested:
        apply(tested[0], today - days(3))
        _count(summary.a_waiting, "inspection_pending")
    for age in (4, 1):
        if (enterprise := next(pool, None)) is not None:
            apply(enterprise, today - days(age))
            _count(summary.a_waiting, "evaluating")
    if (enterprise := next(pool, None)) is not None:
        evaluate(apply(enterprise, today - days(10)), today - days(3))
        _count(summary.a_waiting, "approved")
    if (enterprise := next(pool, None)) is not None:
        evaluate(apply(enterprise, today - days(30)), today - days(20), approve=False)
        _count(summary.a_waiting, "rejected")
    if (enterprise := next(pool, None)) is not None:
        _account(enterprise, "enterprise")  # eligible, nothing applied yet
        summary.accounts["enterprise"] = enterprise.uscc

    # -- D listing -----------------------------------------------------------------------
    proposed = DCase.state == DCaseState.PROPOSED.value
    cases = list(db.session.scalars(select(DCase).where(proposed).order_by(DCase.id).limit(30)))
    queue = iter(cases)

    def notify(case: DCase, on_day: dt.date) -> None:
        case.proposed_on = min(case.proposed_on, on_day - days(10))  # demo back-dating
        with on(on_day - days(5)):
            d_listing.confirm_case(staff["reviewer"], case, note="事实清楚，程度属实。")
        with on(on_day):
            d_listing.send_notice(staff["publisher"], case)

    # The notice, the 10 working days to answer (a holiday week may stretch them), then the
    # publisher's decision.
    before_decision = days(30)

    def list_case(case: DCase, on_day: dt.date) -> Listing:
        notify(case, on_day - before_decision)
        facts = d_listing.disclosable_facts(case)
        with on(on_day):
            return d_listing.decide_case(
                staff["publisher"], case, publish=True, reasons=facts["reasons"],
                record_ids=[r["id"] for r in facts["records"]],
                summary="经复核，该企业存在严重质量失信行为，依法列入严重失信企业名单。",
                note="企业未在期限内陈述申辩。")

    def months_ago(n: int) -> dt.date:
        return add_months(today, -n)

    # Live D listings: recent, one old enough for repair, ones with repair under way.
    if (case := next(queue, None)) is not None:
        list_case(case, today - days(20))
        summary.d_live += 1
    if (case := next(queue, None)) is not None:
        listing = list_case(case, months_ago(14))
        _account(case.enterprise, "enterprise-repair")
        summary.accounts["enterprise-repair"] = case.enterprise.uscc
        summary.d_live += 1
    if (case := next(queue, None)) is not None:
        listing = list_case(case, months_ago(13))
        with on(today - days(1)):
            repair.apply_for_repair(_account(case.enterprise), listing,
                                    "已完成全面整改，不合格产品已全部召回，罚款已缴纳。")
        _count(summary.repairs, "applied")
        summary.d_live += 1
    if (case := next(queue, None)) is not None:
        listing = list_case(case, months_ago(15))
        with on(today - days(6)):
            repair.apply_for_repair(_account(case.enterprise), listing,
                                    "已整改到位并通过复查，申请信用修复。")
        with on(today - days(5)):
            repair.accept_repair(staff["publisher"], listing_repair(listing))
        _count(summary.repairs, "accepted")
        summary.d_live += 1
    # Removed: repaired (approved), and removed by the publisher's decision.
    if (case := next(queue, None)) is not None:
        listing = list_case(case, months_ago(16))
        with on(today - days(30)):
            repair.apply_for_repair(_account(case.enterprise), listing,
                                    "整改完成，相关义务已全部履行。")
        with on(today - days(29)):
            repair.accept_repair(staff["publisher"], listing_repair(listing))
        with on(today - days(15)):
            repair.approve_repair(staff["publisher"], listing_repair(listing),
                                  reasons="经现场核实，整改到位。")
        _count(summary.repairs, "approved")
        summary.d_removed += 1
    # A listing whose grade has since left D: the publisher is prompted to consider removal.
    for _attempt in range(5):
        case = next(queue, None)
        if case is None:
            break
        listing = list_case(case, today - days(100))
        summary.d_live += 1
        for record_id in list(case.record_ids or []):
            record = db.session.get(Record, record_id)
            if record is not None:
                # the city bureau: the case's enterprise may be in any jurisdiction
                archive.remove_record(staff["admin"], record, reason="复查发现录入错误，予以删除。")
        db.session.refresh(listing)
        if listing.removal_prompted:
            summary.prompted += 1
            break
    # Cases waiting at every step.
    if (case := next(queue, None)) is not None:
        with on(today - days(1)):
            d_listing.confirm_case(staff["reviewer"], case, note="事实清楚。")
        _count(summary.d_waiting, "confirmed")
    if (case := next(queue, None)) is not None:
        notify(case, today - days(2))
        _account(case.enterprise, "enterprise-d")
        summary.accounts["enterprise-d"] = case.enterprise.uscc
        _count(summary.d_waiting, "notified")
    if (case := next(queue, None)) is not None:
        notify(case, today - days(7))
        with on(today - days(5)):
            d_listing.answer_notice(_account(case.enterprise), case,
                                    "该批次产品系委托加工，我公司已停止合作并召回产品，"
                                    "请求从轻处理。")
        _count(summary.d_waiting, "answered")
    if (case := next(queue, None)) is not None:
        notify(case, today - days(30))  # its period ended; tick closes it below
        _count(summary.d_waiting, "answer_closed")
    summary.d_waiting["proposed"] = db.session.scalar(
        select(func.count()).select_from(DCase).where(proposed))

    tick(today)

    # -- Reports (举报) ------------------------------------------------------------------
    summary.reports = _reports(today, staff)
    # -- Graded supervision: pools, a drawn plan with results, warnings, honours -----------
    summary.supervision = _supervision(today, staff)
    db.session.flush()
    return summary


_INSPECTOR_NAMES = ("王建国", "李红梅", "张志强", "刘海燕", "陈立新", "杨春华", "赵永军",
                    "黄丽娟", "周文斌", "吴晓东", "徐海峰", "孙玉兰")


def _supervision(today: dt.date, staff: dict[str, User]) -> dict[str, int]:
    """An inspector pool for every jurisdiction; this month's routine plan for 向阳区, drawn,
    with a few results entered (one failed: its firm is regraded); yellow-card warnings for
    the riskiest C firms (one past its deadline); honours, some flagged by a C or D grade."""
    from credit.services import inspectors, plans, risk
    from credit.vocabulary import DISTRICTS
    from credit.workflows import honours, warning_notices

    counts: dict[str, int] = {}
    admin, publisher = staff["admin"], staff["publisher"]
    n = 0
    for d_index, district in enumerate(DISTRICTS, start=1):
        for i in range(4):
            inspectors.add_inspector(
                admin, badge_no=f"23{d_index:02d}{i + 1:04d}", jurisdiction=district,
                name=_INSPECTOR_NAMES[(d_index * 4 + i) % len(_INSPECTOR_NAMES)],
                unit=f"{district}市场监督管理局稽查科")
            n += 1
    counts["inspectors"] = n

    plan = plans.create_plan(publisher, period=today.strftime("%Y-%m"),
                             jurisdictions=["向阳区"], note="演示：向阳区本月日常监督检查")
    plans.draw_plan(publisher, plan)
    counts["plan_items"] = plan.selected_count or 0
    items = db.session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)
                               .order_by(PlanItem.id)).all()
    checked_on = max(today.replace(day=1), today - dt.timedelta(days=2))
    entered = 0
    failed = next((i for i in items if i.grade == "B"), None)
    for item in [i for i in items if i.grade in ("A", "B") and i is not failed][:2] + (
            [failed] if failed else []):
        if item.enterprise.established_on > checked_on:
            continue
        plans.record_result(staff["recorder"], item, plans.Result(
            check_type="inspection", result="fail" if item is failed else "pass",
            checked_on=checked_on))
        entered += 1
    counts["plan_results"] = entered

    warned = 0
    for candidate in risk.warning_candidates(publisher, as_of=today, limit=2,
                                             without_open_warning=True):
        firm = db.session.get(Enterprise, candidate.enterprise_id)
        if warned == 0:  # issued 40 days ago, its deadline passed: due for a check
            with on(today - dt.timedelta(days=40)):
                warning = warning_notices.issue_warning(
                    publisher, firm, expectations="对不合格产品进行全面排查，完善出厂检验制度，"
                    "整改完成后书面报告。", deadline=today - dt.timedelta(days=10))
            with on(today - dt.timedelta(days=20)):
                warning_notices.add_follow_up(publisher, warning,
                                              note="电话督促，企业称已停产整改。")
        else:
            warning_notices.issue_warning(
                publisher, firm, expectations="按照抽查不合格项目限期整改，并提交整改报告。",
                deadline=today + dt.timedelta(days=30))
        warned += 1
    counts["warnings"] = warned

    holders = _graded("A", 2) + _graded("C", 1) + _graded("D", 1)
    titles = (("famous_brand", "黑龙江省名牌产品"), ("quality_award", "佳木斯市质量奖"),
              ("famous_brand", "黑龙江省名牌产品"), ("support_policy", "佳木斯市扶优扶强企业"))
    flagged = 0
    for firm, (kind, title) in zip(holders, titles, strict=False):
        honour = honours.register_honour(
            publisher, firm, kind=kind, title=title,
            awarded_by="黑龙江省市场监督管理局" if kind == "famous_brand" else "佳木斯市人民政府",
            awarded_on=add_months(today, -18), expires_on=add_months(today, 18))
        flagged += honour.flag is not None
    counts["honours"] = len(holders)
    counts["honours_flagged"] = flagged
    return counts


def listing_repair(listing: Listing):
    from credit.models import RepairApplication

    return db.session.scalar(select(RepairApplication)
                             .where(RepairApplication.listing_id == listing.id)
                             .order_by(RepairApplication.id.desc()).limit(1))


def _reports(today: dt.date, staff: dict[str, User]) -> int:
    firms = list(db.session.scalars(
        select(Enterprise).where(Enterprise.district == "向阳区").order_by(Enterprise.id)
        .limit(3)))
    if not firms:
        return 0
    filed = [
        reports.submit_report(firms[0].uscc, "quality",
                              "在超市购买的该企业大米有异味，包装上生产日期模糊不清。",
                              occurred_on=today - dt.timedelta(days=3),
                              contact=reports.Contact("张女士", "13800000000")),
        # by USCC: in a big archive another firm may have the same name
        reports.submit_report(firms[-1].uscc, "short_weight",
                              "标称5公斤的袋装产品，实际称重只有4.6公斤左右。"),
        reports.submit_report("江边一家没有招牌的小作坊", "counterfeit",
                              "在小作坊里灌装所谓的品牌白酒，没有任何标签和许可证。"),
    ]
    with on(today):
        reports.mark_report_handled(staff["recorder"], filed[1],
                                    "已派员抽检，净含量不合格，已立案调查。")
    return len(filed)
