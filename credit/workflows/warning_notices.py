"""Yellow-card warnings (黄牌警告) to the riskiest C enterprises (policy 四(三)), and their
follow-up until the rectification deadline.

    issue_warning -> issued --add_follow_up (any number)
                     issued --close_warning(rectified=True|False)--> rectified | unrectified
                     issued --withdraw_warning--> withdrawn

Only an enterprise graded C now may be warned, and it has at most one open warning. The notice
copies the C reasons and their records of the day it is issued; it never names the grade
letter, which is internal (policy 五(三)): it names the failings. Transitions check
permission, state and version, write an audit entry and flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from credit import clock
from credit.extensions import db
from credit.models import Enterprise, Grade, Record, User, WarningFollowUp, WarningNotice
from credit.models.warnings import WarningState
from credit.permissions import (
    can_issue_warning,
    can_view_internal,
    can_view_supervision_reports,
)
from credit.rules.catalogue import RULES_BY_CODE
from credit.services import audit
from credit.services.risk import current_score
from credit.services.scoping import scope_to_jurisdiction
from credit.vocabulary import RECORD_KINDS
from credit.workflows.errors import (
    ConcurrentChange,
    InvalidInput,
    InvalidTransition,
    check_version,
    ensure,
    ensure_state,
    flush,
)

MAX_DEADLINE_DAYS = 366
TEXT_MAX = 2000
POLICY_BASIS = "佳市监发〔2020〕42号 四(三)"


def _state(warning: WarningNotice) -> dict:
    return {"state": warning.state, "version": warning.version}


def _log(action: str, warning: WarningNotice, actor_id: int | None, before: dict,
         **extra) -> None:
    audit.record(f"warning.{action}", "warning_notice", warning.id, actor_id=actor_id,
                 before=before, after={**_state(warning), **extra})


def _text(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{what} is empty")
    if len(value) > TEXT_MAX:
        raise InvalidInput(f"{what} is longer than {TEXT_MAX} characters")
    return value


def open_warning(enterprise: Enterprise) -> WarningNotice | None:
    return db.session.scalar(select(WarningNotice).where(
        WarningNotice.enterprise_id == enterprise.id,
        WarningNotice.state == WarningState.ISSUED.value))


def _next_number(year: int) -> str:
    prefix = f"佳市监黄警〔{year}〕"
    count = db.session.scalar(select(func.count()).select_from(WarningNotice).where(
        WarningNotice.number.like(prefix + "%"))) or 0
    return f"{prefix}{count + 1}号"


def _reason_records(enterprise: Enterprise, reasons: list[dict]) -> list[dict]:
    refs = {ref for reason in reasons for ref in reason.get("refs", ())}
    if not refs:
        return []
    rows = db.session.execute(
        select(Record.type, Record.date, Record.ref).where(
            Record.enterprise_id == enterprise.id, Record.ref.in_(refs))
        .order_by(Record.date, Record.ref)).all()
    return [{"type": t, "date": d.isoformat(), "ref": r} for t, d, r in rows]


def issue_warning(actor: User, enterprise: Enterprise, *, expectations: str,
                  deadline: dt.date) -> WarningNotice:
    """Issue a yellow card: the enterprise's C reasons and records are copied into the notice,
    with the rectification expected and the last day to rectify."""
    ensure(can_issue_warning(actor, enterprise), "issue a warning", enterprise)
    grade = db.session.get(Grade, enterprise.id)
    if grade is None or grade.grade != "C":
        raise InvalidTransition(f"cannot warn {enterprise.uscc}: a yellow card is for an "
                                "enterprise graded C now")
    if (held := open_warning(enterprise)) is not None:
        raise InvalidTransition(f"{enterprise.uscc} already has open warning {held.number}")
    today = clock.today()
    if not isinstance(deadline, dt.date) or deadline <= today:
        raise InvalidInput("the rectification deadline must be a day after today")
    if (deadline - today).days > MAX_DEADLINE_DAYS:
        raise InvalidInput(f"the rectification deadline is more than {MAX_DEADLINE_DAYS} days "
                           "away")
    expectations = _text(expectations, "the rectification expected")
    reasons = [r for r in grade.reasons if r["code"].startswith("C")]
    warning = WarningNotice(
        number=_next_number(today.year), enterprise_id=enterprise.id,
        state=WarningState.ISSUED.value, issued_on=today, deadline=deadline,
        reasons=reasons, records=_reason_records(enterprise, reasons),
        risk_score=current_score(enterprise.id, today) or 0.0, expectations=expectations,
        issued_by_id=actor.id)
    db.session.add(warning)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise ConcurrentChange("another warning was issued meanwhile (the same number, or an "
                               "open warning for this enterprise); reload and try again") from exc
    _log("issue", warning, actor.id, {}, number=warning.number, enterprise=enterprise.uscc,
         deadline=deadline, reasons=[r["code"] for r in reasons], score=warning.risk_score)
    return warning


def add_follow_up(actor: User, warning: WarningNotice, *, note: str,
                  done_on: dt.date | None = None) -> WarningFollowUp:
    """Record a follow-up visit, call or document during the rectification period."""
    ensure(can_issue_warning(actor, warning.enterprise), "follow up the warning", warning)
    ensure_state(warning, WarningState.ISSUED, doing="follow up")
    today = clock.today()
    done_on = done_on or today
    if done_on > today or done_on < warning.issued_on:
        raise InvalidInput(f"the follow-up date must be from {warning.issued_on} to {today}")
    entry = WarningFollowUp(warning_id=warning.id, done_on=done_on,
                            note=_text(note, "the follow-up note"), actor_id=actor.id)
    db.session.add(entry)
    flush(warning)
    _log("follow_up", warning, actor.id, _state(warning), done_on=done_on, note=entry.note)
    return entry


def close_warning(actor: User, warning: WarningNotice, *, rectified: bool, note: str,
                  version: int | None = None) -> None:
    """Record the outcome: rectified, or not rectified (further measures follow)."""
    ensure(can_issue_warning(actor, warning.enterprise), "close the warning", warning)
    ensure_state(warning, WarningState.ISSUED, doing="close")
    check_version(warning, version)
    _finish(actor, warning, WarningState.RECTIFIED if rectified else WarningState.UNRECTIFIED,
            _text(note, "the outcome note"), "close")


def withdraw_warning(actor: User, warning: WarningNotice, *, note: str,
                     version: int | None = None) -> None:
    """Withdraw a warning issued in error, with the reason."""
    ensure(can_issue_warning(actor, warning.enterprise), "withdraw the warning", warning)
    ensure_state(warning, WarningState.ISSUED, doing="withdraw")
    check_version(warning, version)
    _finish(actor, warning, WarningState.WITHDRAWN, _text(note, "the reason"), "withdraw")


def _finish(actor: User, warning: WarningNotice, to: WarningState, note: str,
            action: str) -> None:
    before = _state(warning)
    warning.state = to.value
    warning.closed_on, warning.closed_by_id, warning.outcome_note = clock.today(), actor.id, note
    flush(warning)
    _log(action, warning, actor.id, before, note=note)


def is_overdue(warning: WarningNotice, today: dt.date | None = None) -> bool:
    """Open and past its rectification deadline (the follow-up is due)."""
    return warning.state == WarningState.ISSUED and (today or clock.today()) > warning.deadline


def warnings_for(actor: User, *, state: str | None = None, overdue: bool | None = None,
                 limit: int = 50, offset: int = 0) -> list[WarningNotice]:
    """Warnings in the actor's jurisdiction, newest first (internal readers only)."""
    if not can_view_supervision_reports(actor, getattr(actor, "jurisdiction", None)):
        return []
    query = scope_to_jurisdiction(
        select(WarningNotice).join(Enterprise, Enterprise.id == WarningNotice.enterprise_id),
        actor, Enterprise.district)
    if state:
        query = query.where(WarningNotice.state == state)
    if overdue is not None:
        late = WarningNotice.deadline < clock.today()
        query = query.where(WarningNotice.state == WarningState.ISSUED.value,
                            late if overdue else ~late)
    return list(db.session.scalars(query.order_by(WarningNotice.id.desc())
                                    .limit(limit).offset(offset)))


def get_warning(actor: User, warning_id: int) -> WarningNotice | None:
    """The warning if the actor may see its enterprise (``None`` otherwise, like a missing one)."""
    warning = db.session.get(WarningNotice, warning_id)
    if warning is None or not can_view_internal(actor, warning.enterprise):
        return None
    return warning


def authority_for(district: str) -> str:
    """The bureau that issues documents for a jurisdiction."""
    return f"{district}市场监督管理局" if district else "佳木斯市市场监督管理局"


def reason_text(code: str) -> str:
    """A rule code in plain Chinese (the rulebook's own description)."""
    rule = RULES_BY_CODE.get(code)
    return rule.description if rule else code


def notice_document(actor: User, warning: WarningNotice) -> dict:
    """Everything the printed notice shows (templates/supervision/warning_notice.html).
    Printing is logged: the notice carries internal findings."""
    enterprise = warning.enterprise
    ensure(can_view_internal(actor, enterprise), "print the warning notice", warning)
    by_ref: dict[str, list[dict]] = {}
    for record in warning.records:
        by_ref.setdefault(record["ref"], []).append(record)
    reasons = []
    for reason in warning.reasons:
        records = [
            {"type": RECORD_KINDS[r["type"]].label, "date": r["date"], "ref": r["ref"]}
            for ref in reason.get("refs", ()) for r in by_ref.get(ref, ())
        ]
        reasons.append({"code": reason["code"], "text": reason_text(reason["code"]),
                        "records": records})
    audit.record("warning.print", "warning_notice", warning.id, actor_id=actor.id,
                 after={"number": warning.number})
    return {
        "number": warning.number,
        "authority": authority_for(enterprise.district),
        "enterprise": {"name": enterprise.name, "uscc": enterprise.uscc,
                       "address": enterprise.address or ""},
        "issued_on": warning.issued_on,
        "deadline": warning.deadline,
        "reasons": reasons,
        "expectations": warning.expectations,
        "basis": POLICY_BASIS,
        "state": warning.state,
    }
