"""The honours register (名牌产品, 质量奖 ...) and what happens to honours when grades move
(policy 四(三): a C enterprise's honours and support are suspended or revoked; D likewise).

The system never suspends or revokes by itself: a grade change *flags* the holder's honours
for the bureau's decision, and the decision is recorded.

    state    grade becomes C     grade becomes D     grade back to A or B
    active   flag: suspend       flag: revoke        (a pending flag is withdrawn)
    suspended  -                 flag: revoke        flag: reinstate

    decide_honour(action): suspend (active -> suspended), revoke (active|suspended -> revoked),
    reinstate (suspended -> active), keep (leave as is; needs a flag). Each clears the flag.

Only changes of the grade letter flag (a C whose reasons change stays as decided). The
listener handles a batch of grade changes in one query plus the writes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select, update

from credit import clock
from credit.extensions import db
from credit.models import (
    Enterprise,
    Grade,
    Honour,
    HonourAction,
    HonourActionEntry,
    HonourFlag,
    HonourKind,
    HonourState,
    User,
)
from credit.permissions import (
    can_decide_honour,
    can_manage_honours,
    can_view_internal,
    can_view_supervision_reports,
)
from credit.services import audit, grading
from credit.services.bulk import insert_rows
from credit.services.scoping import scope_to_jurisdiction
from credit.workflows.errors import (
    InvalidInput,
    InvalidTransition,
    check_version,
    ensure,
    ensure_state,
    flush,
)

_HELD = (HonourState.ACTIVE.value, HonourState.SUSPENDED.value)


def flag_for(state: str, grade: str | None) -> HonourFlag | None:
    """What a holder's grade asks the bureau to consider about an honour in this state."""
    if state == HonourState.ACTIVE:
        return {"C": HonourFlag.SUSPEND, "D": HonourFlag.REVOKE}.get(grade)
    if state == HonourState.SUSPENDED:
        if grade == "D":
            return HonourFlag.REVOKE
        if grade in ("A", "B"):
            return HonourFlag.REINSTATE
    return None


def _snapshot(honour: Honour) -> dict:
    return {"kind": honour.kind, "title": honour.title, "awarded_by": honour.awarded_by,
            "awarded_on": honour.awarded_on, "expires_on": honour.expires_on,
            "certificate_no": honour.certificate_no, "state": honour.state,
            "flag": honour.flag, "version": honour.version}


def _history(honour: Honour, action: HonourAction, grade: str | None, actor_id: int | None,
             note: str | None, on: dt.date) -> None:
    db.session.add(HonourActionEntry(honour_id=honour.id, action=action.value, done_on=on,
                                     grade=grade, note=note, actor_id=actor_id))


def _grade_of(enterprise_id: int) -> str | None:
    return db.session.scalar(select(Grade.grade).where(Grade.enterprise_id == enterprise_id))


def _set_flag(honour: Honour, flag: HonourFlag | None, grade: str | None, on: dt.date) -> bool:
    if honour.flag == (flag.value if flag else None):
        return False
    honour.flag = flag.value if flag else None
    honour.flagged_on = on if flag else None
    honour.flagged_grade = grade if flag else None
    return True


def _clean(kind: str, title: str, awarded_by: str, awarded_on: dt.date,
           expires_on: dt.date | None, certificate_no: str | None) -> dict:
    try:
        kind = HonourKind(kind).value
    except ValueError:
        raise InvalidInput(f"kind: {kind!r} is not one of "
                           f"{', '.join(k.value for k in HonourKind)}") from None
    values = {"kind": kind}
    for name, value, limit, required in (("title", title, 200, True),
                                         ("awarded_by", awarded_by, 200, True),
                                         ("certificate_no", certificate_no, 100, False)):
        value = (value or "").strip()
        if required and not value:
            raise InvalidInput(f"{name}: required")
        if len(value) > limit:
            raise InvalidInput(f"{name}: at most {limit} characters")
        values[name] = value or None
    if not isinstance(awarded_on, dt.date) or awarded_on > clock.today():
        raise InvalidInput("awarded_on: a date, not in the future")
    if expires_on is not None and expires_on <= awarded_on:
        raise InvalidInput("expires_on: must be after awarded_on")
    values.update(awarded_on=awarded_on, expires_on=expires_on)
    return values


def register_honour(actor: User, enterprise: Enterprise, *, kind: str, title: str,
                    awarded_by: str, awarded_on: dt.date, expires_on: dt.date | None = None,
                    certificate_no: str | None = None) -> Honour:
    """Enter an honour in the register; flagged at once if the holder is C or D now."""
    ensure(can_manage_honours(actor, enterprise), "register an honour", enterprise)
    values = _clean(kind, title, awarded_by, awarded_on, expires_on, certificate_no)
    honour = Honour(enterprise_id=enterprise.id, state=HonourState.ACTIVE.value, **values)
    db.session.add(honour)
    today = clock.today()
    grade = _grade_of(enterprise.id)
    flagged = _set_flag(honour, flag_for(honour.state, grade), grade, today)
    flush(honour)
    _history(honour, HonourAction.REGISTER, grade, actor.id, None, today)
    audit.record("honour.register", "honour", honour.id, actor_id=actor.id,
                 after={"enterprise": enterprise.uscc, **_snapshot(honour)})
    if flagged:
        _history(honour, HonourAction.FLAG, grade, None, None, today)
        audit.record("honour.flags", "honour", None, after={"changes": [
            {"honour": honour.id, "enterprise_id": enterprise.id, "state": honour.state,
             "flag_before": None, "flag": honour.flag, "old_grade": grade, "grade": grade,
             "on": today}]})
    flush(honour)
    return honour


def update_honour(actor: User, honour: Honour, *, kind: str, title: str, awarded_by: str,
                  awarded_on: dt.date, expires_on: dt.date | None = None,
                  certificate_no: str | None = None, version: int | None = None) -> Honour:
    """Correct an honour's details (all given anew); its state and flag are not edited here."""
    ensure(can_manage_honours(actor, honour.enterprise), "correct the honour", honour)
    ensure_state(honour, *_HELD, doing="correct")
    check_version(honour, version)
    values = _clean(kind, title, awarded_by, awarded_on, expires_on, certificate_no)
    before = _snapshot(honour)
    for name, value in values.items():
        setattr(honour, name, value)
    flush(honour)
    if _snapshot(honour) != before:
        _history(honour, HonourAction.EDIT, _grade_of(honour.enterprise_id), actor.id, None,
                 clock.today())
        audit.record("honour.edit", "honour", honour.id, actor_id=actor.id, before=before,
                     after=_snapshot(honour))
        flush(honour)
    return honour


def remove_honour(actor: User, honour: Honour, *, note: str,
                  version: int | None = None) -> None:
    """Take out an honour entered in error (kept, marked removed, with the reason)."""
    ensure(can_manage_honours(actor, honour.enterprise), "remove the honour", honour)
    ensure_state(honour, *_HELD, doing="remove")
    check_version(honour, version)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("a removal needs its reason")
    before = _snapshot(honour)
    honour.state = HonourState.REMOVED.value
    _set_flag(honour, None, None, clock.today())
    _history(honour, HonourAction.REMOVE, _grade_of(honour.enterprise_id), actor.id, note,
             clock.today())
    flush(honour)
    audit.record("honour.remove", "honour", honour.id, actor_id=actor.id, before=before,
                 after={**_snapshot(honour), "note": note})


_DECISIONS = {
    HonourAction.SUSPEND: ((HonourState.ACTIVE,), HonourState.SUSPENDED),
    HonourAction.REVOKE: ((HonourState.ACTIVE, HonourState.SUSPENDED), HonourState.REVOKED),
    HonourAction.REINSTATE: ((HonourState.SUSPENDED,), HonourState.ACTIVE),
    HonourAction.KEEP: ((HonourState.ACTIVE, HonourState.SUSPENDED), None),
}


def decide_honour(actor: User, honour: Honour, action: HonourAction | str, *, note: str,
                  version: int | None = None) -> None:
    """Record the bureau's decision: suspend, revoke, reinstate, or keep as it is (needs a
    flag). The reasons are required; the flag is cleared."""
    try:
        action = HonourAction(action)
    except ValueError:
        action = None
    if action not in _DECISIONS:
        raise InvalidInput(f"action: choose one of {', '.join(a.value for a in _DECISIONS)}")
    ensure(can_decide_honour(actor, honour.enterprise), f"{action.value} the honour", honour)
    starts, to = _DECISIONS[action]
    ensure_state(honour, *starts, doing=action.value)
    check_version(honour, version)
    if action is HonourAction.KEEP and honour.flag is None:
        raise InvalidTransition("nothing to keep: the honour is not flagged")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("a decision needs its reasons")
    today = clock.today()
    before = _snapshot(honour)
    if to is not None:
        honour.state = to.value
    _set_flag(honour, None, None, today)
    grade = _grade_of(honour.enterprise_id)
    _history(honour, action, grade, actor.id, note, today)
    flush(honour)
    audit.record(f"honour.{action.value}", "honour", honour.id, actor_id=actor.id,
                 before=before, after={**_snapshot(honour), "note": note, "grade": grade})


def on_grade_changes(history: list[dict]) -> None:
    """Flag the honours of enterprises whose grade letter changed: one query to find them,
    one UPDATE per kind of flag, one insert of their history rows and one audit entry
    (``honour.flags``) listing every change of the batch."""
    moved = {row["enterprise_id"]: row for row in history
             if row["old_grade"] != row["new_grade"]
             and (row["new_grade"] in ("C", "D") or row["old_grade"] in ("C", "D"))}
    if not moved:
        return
    found = db.session.execute(
        select(Honour.id, Honour.enterprise_id, Honour.state, Honour.flag).where(
            Honour.enterprise_id.in_(list(moved)), Honour.state.in_(_HELD))
    ).all()
    groups: dict[tuple, list[int]] = defaultdict(list)
    entries, logged = [], []
    for honour_id, enterprise_id, state, current in found:
        row = moved[enterprise_id]
        grade, on = row["new_grade"], row["changed_on"]
        flag = flag_for(state, grade)
        value = flag.value if flag else None
        if value == current:
            continue
        groups[(value, grade if flag else None, on if flag else None)].append(honour_id)
        action = HonourAction.FLAG if flag else HonourAction.UNFLAG
        entries.append({"honour_id": honour_id, "action": action.value, "done_on": on,
                         "grade": grade, "note": None, "actor_id": None})
        logged.append({"honour": honour_id, "enterprise_id": enterprise_id, "state": state,
                       "flag_before": current, "flag": value, "old_grade": row["old_grade"],
                       "grade": grade, "on": on})
    for (flag, grade, on), ids in groups.items():
        db.session.execute(
            update(Honour).where(Honour.id.in_(ids))
            .values(flag=flag, flagged_grade=grade, flagged_on=on, version=Honour.version + 1)
            .execution_options(synchronize_session=False))
    insert_rows(HonourActionEntry.__table__, entries)
    if logged:  # one entry for the batch: the honours' own histories hold one row each
        audit.record("honour.flags", "honour", None, after={"changes": logged})
    changed = {e["honour_id"] for e in entries}
    for obj in list(db.session.identity_map.values()):  # loaded copies reload when next read
        if isinstance(obj, Honour) and obj.id in changed:
            db.session.expire(obj)


def honours_of(actor: User, enterprise: Enterprise) -> list[Honour]:
    """An enterprise's honours (removed ones included, last), for staff who see its archive."""
    if not can_view_internal(actor, enterprise):
        return []
    return list(db.session.scalars(
        select(Honour).where(Honour.enterprise_id == enterprise.id)
        .order_by(Honour.state == HonourState.REMOVED.value, Honour.awarded_on.desc())))


def get_honour(actor: User, honour_id: int) -> Honour | None:
    """The honour if the actor may see its enterprise (``None`` otherwise, like a missing one)."""
    honour = db.session.get(Honour, honour_id)
    if honour is None or not can_view_internal(actor, honour.enterprise):
        return None
    return honour


def flagged_honours(actor: User, *, flag: str | None = None, limit: int = 50,
                    offset: int = 0) -> list[Honour]:
    """The queue of honours awaiting a decision in the actor's jurisdiction, oldest first
    (internal readers only)."""
    if not can_view_supervision_reports(actor, getattr(actor, "jurisdiction", None)):
        return []
    query = scope_to_jurisdiction(
        select(Honour).join(Enterprise, Enterprise.id == Honour.enterprise_id)
        .where(Honour.flag.is_not(None)), actor, Enterprise.district)
    if flag:
        query = query.where(Honour.flag == flag)
    return list(db.session.scalars(
        query.order_by(Honour.flagged_on, Honour.id).limit(limit).offset(offset)))


if on_grade_changes not in grading.grade_change_listeners:
    grading.grade_change_listeners.append(on_grade_changes)
