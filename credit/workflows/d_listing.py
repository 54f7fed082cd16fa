"""D listing (严重失信名单): proposed when a grade becomes D, reviewed (four eyes), notified,
answered within 10 working days, decided by the publisher, listed for 3 years.

    proposed -> confirmed -> notified -> answered      -> published | not_published
             \\-> dismissed           \\-> answer_closed -/
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from credit import clock
from credit.extensions import db
from credit.models import (
    DCase,
    DCaseState,
    Enterprise,
    Grade,
    Listing,
    ListingKind,
    Record,
    RemovalReason,
    User,
)
from credit.models.listings import DCASE_OPEN
from credit.permissions import can_act_for_enterprise, can_publish, can_review
from credit.services import audit, grading
from credit.workdays import add_workdays
from credit.workflows import end_listing, listing_state, open_listing
from credit.workflows.errors import (
    InvalidInput,
    InvalidTransition,
    check_version,
    ensure,
    ensure_state,
    flush,
)

ANSWER_WORKDAYS = 10


def _state(case: DCase) -> dict:
    return {"state": case.state, "version": case.version}


def _log(action: str, case: DCase, actor_id: int | None, before: dict, **extra) -> None:
    audit.record(f"d_case.{action}", "d_case", case.id, actor_id=actor_id, before=before,
                 after={**_state(case), **extra})


def propose_case(enterprise_id: int, *, reasons: list[dict], rulebook: str,
                 proposed_on: dt.date) -> DCase | None:
    """Open a case with the D reasons and their records, unless one is open or listed already."""
    cases = propose_cases([{"enterprise_id": enterprise_id, "reasons": reasons,
                            "rulebook": rulebook, "changed_on": proposed_on}])
    return cases[0] if cases else None


def _busy(enterprise_ids: list[int]) -> set[int]:
    """Those of the enterprises that have an open case or a live D listing."""
    open_cases = db.session.scalars(
        select(DCase.enterprise_id).where(DCase.enterprise_id.in_(enterprise_ids),
                                          DCase.state.in_([s.value for s in DCASE_OPEN])))
    listed = db.session.scalars(
        select(Listing.enterprise_id).where(Listing.enterprise_id.in_(enterprise_ids),
                                            Listing.kind == ListingKind.D.value,
                                            Listing.removed_on.is_(None)))
    return set(open_cases) | set(listed)


def propose_cases(changes: list[dict]) -> list[DCase]:
    """One case per grade change to D (history rows), in a few queries for the whole batch."""
    busy = _busy([c["enterprise_id"] for c in changes])
    todo = [c for c in changes if c["enterprise_id"] not in busy]
    if not todo:
        return []
    refs = {c["enterprise_id"]: {ref for reason in c["reasons"] for ref in reason.get("refs", ())}
            for c in todo}
    record_ids: dict[int, list[int]] = {eid: [] for eid in refs}
    wanted = set().union(*refs.values())
    if wanted:
        for eid, rid, ref in db.session.execute(
            select(Record.enterprise_id, Record.id, Record.ref).where(
                Record.enterprise_id.in_(list(refs)), Record.ref.in_(wanted))
        ):
            if ref in refs[eid]:
                record_ids[eid].append(rid)
    cases = [DCase(enterprise_id=c["enterprise_id"], state=DCaseState.PROPOSED.value,
                   proposed_on=c["changed_on"], reasons=c["reasons"],
                   record_ids=sorted(record_ids[c["enterprise_id"]]), rulebook=c["rulebook"])
             for c in todo]
    db.session.add_all(cases)
    db.session.flush()
    for case in cases:
        _log("propose", case, None, {}, reasons=case.reasons, record_ids=case.record_ids)
    return cases


def confirm_case(actor: User, case: DCase, *, note: str | None = None,
                 version: int | None = None) -> None:
    """The reviewer confirms the facts and their degree (复核)."""
    _review(actor, case, DCaseState.CONFIRMED, note, version)


def dismiss_case(actor: User, case: DCase, *, note: str, version: int | None = None) -> None:
    """The reviewer dismisses the case, saying why."""
    if not note or not note.strip():
        raise InvalidInput("a dismissal needs its reasons")
    _review(actor, case, DCaseState.DISMISSED, note, version)


def _review(actor: User, case: DCase, to: DCaseState, note: str | None,
            version: int | None) -> None:
    ensure(can_review(actor, case), "review", case)
    ensure_state(case, DCaseState.PROPOSED, doing="review")
    check_version(case, version)
    before = _state(case)
    case.state = to.value
    case.reviewer_id, case.reviewed_at = actor.id, clock.now()
    case.review_note = note.strip() if note else None
    flush(case)
    _log("confirm" if to is DCaseState.CONFIRMED else "dismiss", case, actor.id, before,
         note=case.review_note)


def send_notice(actor: User, case: DCase, *, version: int | None = None) -> None:
    """Notify the enterprise (reasons, basis, rights); the answer period is 10 working days."""
    ensure(can_publish(actor, case), "send the notice", case)
    ensure_state(case, DCaseState.CONFIRMED, doing="send the notice")
    check_version(case, version)
    before = _state(case)
    today = clock.today()
    case.state = DCaseState.NOTIFIED.value
    case.notice_sent_on, case.notice_sent_by_id = today, actor.id
    case.answer_due = add_workdays(today, ANSWER_WORKDAYS)
    flush(case)
    _log("notify", case, actor.id, before, notice_sent_on=today, answer_due=case.answer_due)


def answer_notice(actor: User, case: DCase, text: str, *, version: int | None = None) -> None:
    """The enterprise states its case (陈述申辩), on or before the last day of the period."""
    ensure(can_act_for_enterprise(actor, case.enterprise), "answer the notice", case)
    ensure_state(case, DCaseState.NOTIFIED, doing="answer")
    check_version(case, version)
    today = clock.today()
    if today > case.answer_due:
        raise InvalidTransition(f"cannot answer: the answer period ended on {case.answer_due}")
    if not text or not text.strip():
        raise InvalidInput("the answer is empty")
    before = _state(case)
    case.state = DCaseState.ANSWERED.value
    case.answer_text, case.answered_on = text.strip(), today
    flush(case)
    _log("answer", case, actor.id, before, answered_on=today)


def close_answer_period(case: DCase, *, today: dt.date) -> bool:
    """Time passed without an answer (tick): True when the case was closed now."""
    if case.state != DCaseState.NOTIFIED or today <= case.answer_due:
        return False
    before = _state(case)
    case.state = DCaseState.ANSWER_CLOSED.value
    case.answer_closed_on = today
    flush(case)
    _log("close_answer_period", case, None, before, answer_closed_on=today)
    return True


def disclosable_facts(case: DCase) -> dict:
    """What the publisher may choose from: the reason codes and the records of the case."""
    records = db.session.scalars(
        select(Record).where(Record.id.in_(case.record_ids or [-1])).order_by(Record.date)
    ).all()
    return {
        "reasons": [r["code"] for r in case.reasons],
        "records": [{"id": r.id, "type": r.type, "date": r.date.isoformat(), "ref": r.ref}
                    for r in records],
    }


def decide_case(actor: User, case: DCase, *, publish: bool, reasons: list[str] = (),
                record_ids: list[int] = (), summary: str | None = None,
                note: str | None = None, version: int | None = None) -> Listing | None:
    """The publisher decides, after the answer or after the period closed, and chooses the
    facts disclosed (reason codes, records, a public summary). Publishing lists for 3 years."""
    ensure(can_publish(actor, case), "decide publication", case)
    today = clock.today()
    if case.state == DCaseState.NOTIFIED and today <= case.answer_due:
        raise InvalidTransition(
            f"cannot decide yet: the enterprise may answer until {case.answer_due}")
    ensure_state(case, DCaseState.NOTIFIED, DCaseState.ANSWERED, DCaseState.ANSWER_CLOSED,
                 doing="decide")
    check_version(case, version)
    close_answer_period(case, today=today)  # the period is over; tick may not have run yet
    note = note.strip() if note else None
    if not publish:
        if not note:
            raise InvalidInput("a decision not to publish needs its reasons")
        before = _state(case)
        case.publisher_id, case.decided_on, case.decision_note = actor.id, today, note
        case.state = DCaseState.NOT_PUBLISHED.value
        flush(case)
        _log("decide", case, actor.id, before, publish=False, note=note)
        return None
    grade = db.session.scalar(select(Grade.grade).where(Grade.enterprise_id == case.enterprise_id))
    if grade != "D":
        raise InvalidTransition("cannot publish: the enterprise's grade is no longer D; "
                                "decide not to publish")
    offered = disclosable_facts(case)
    by_id = {r["id"]: r for r in offered["records"]}
    if not set(reasons) <= set(offered["reasons"]) or not set(record_ids) <= set(by_id):
        raise InvalidInput("only the case's own reasons and records can be disclosed")
    if not reasons and not record_ids and not (summary and summary.strip()):
        raise InvalidInput("choose at least one fact to disclose")
    disclosed = {
        "reasons": [c for c in offered["reasons"] if c in set(reasons)],
        "records": [{k: by_id[i][k] for k in ("type", "date", "ref")}
                    for i in sorted(set(record_ids), key=lambda i: (by_id[i]["date"], i))],
        "summary": summary.strip() if summary else None,
    }
    before = _state(case)
    case.publisher_id, case.decided_on, case.decision_note = actor.id, today, note
    case.disclosed = disclosed
    case.state = DCaseState.PUBLISHED.value
    flush(case)
    listing = open_listing(ListingKind.D, case.enterprise, published_on=today,
                           actor_id=actor.id, case=case, disclosed=disclosed)
    _log("decide", case, actor.id, before, publish=True, listing=listing.id,
         disclosed=disclosed)
    flush(case)
    return listing


def remove_listing(actor: User, listing: Listing, *, note: str,
                   version: int | None = None) -> None:
    """The publisher removes a live listing by decision (e.g. prompted after the grade left D)."""
    ensure(can_publish(actor, listing), "remove the listing", listing)
    if listing.removed_on is not None:
        raise InvalidTransition(f"cannot remove: listing {listing.id} was removed on "
                                f"{listing.removed_on}")
    check_version(listing, version)
    if not note or not note.strip():
        raise InvalidInput("a removal needs its reasons")
    if listing.kind == ListingKind.A:
        from credit.workflows.a_publication import end_for_publisher_decision

        end_for_publisher_decision(actor.id, listing.application, note.strip())
    else:
        end_listing(listing, RemovalReason.PUBLISHER_DECISION, on=clock.today(),
                    actor_id=actor.id, note=note.strip())
    flush(listing)


def expire_listing(listing: Listing) -> None:
    """A D listing reached its 3 years (called by tick)."""
    end_listing(listing, RemovalReason.EXPIRED, on=listing.expires_on, actor_id=None)
    flush(listing)


def on_grade_changes(history: list[dict]) -> None:
    """Grade became D: propose a case. Grade left D while listed: prompt the publisher."""
    became = [r for r in history if r["new_grade"] == "D" and r["old_grade"] != "D"]
    left = {r["enterprise_id"] for r in history
            if r["old_grade"] == "D" and r["new_grade"] != "D"}
    if became:
        propose_cases(became)
    changed = left | {r["enterprise_id"] for r in became}
    if not changed:
        return
    for listing in db.session.scalars(
        select(Listing).where(Listing.enterprise_id.in_(changed),
                              Listing.kind == ListingKind.D.value, Listing.removed_on.is_(None))
    ):
        _prompt(listing, listing.enterprise_id in left)
    db.session.flush()


def _prompt(listing: Listing, prompted: bool) -> None:
    """Flag (or unflag) a live D listing for the publisher to consider removal."""
    if listing.removal_prompted == prompted:
        return
    before = listing_state(listing)
    listing.removal_prompted = prompted
    audit.record("listing.prompt_removal" if prompted else "listing.unprompt_removal",
                 "listing", listing.id, before=before, after=listing_state(listing))


def cases_for(enterprise: Enterprise) -> list[DCase]:
    return list(db.session.scalars(
        select(DCase).where(DCase.enterprise_id == enterprise.id).order_by(DCase.id)
    ))


def extend_answer_period(case: DCase, due: dt.date, *, today: dt.date,
                         actor_id: int | None = None, cause: dict | None = None) -> None:
    """A correction of the working-day calendar gives the enterprise a longer answer period:
    move its last day to ``due``, and reopen a period that closed before it. Never shortens."""
    ensure_state(case, DCaseState.NOTIFIED, DCaseState.ANSWER_CLOSED,
                 doing="extend the answer period")
    if due <= case.answer_due:
        raise InvalidTransition(f"an answer period is never shortened ({case.answer_due} "
                                f"to {due})")
    if case.state == DCaseState.ANSWER_CLOSED and due < today:
        raise InvalidTransition(f"cannot reopen: the corrected period ended on {due}")
    before = {**_state(case), "answer_due": case.answer_due,
              "answer_closed_on": case.answer_closed_on}
    reopened = case.state == DCaseState.ANSWER_CLOSED
    case.state = DCaseState.NOTIFIED.value
    case.answer_due, case.answer_closed_on = due, None
    flush(case)
    _log("reopen_answer_period" if reopened else "extend_answer_period", case, actor_id,
         before, answer_due=due, **(cause or {}))


if on_grade_changes not in grading.grade_change_listeners:
    grading.grade_change_listeners.append(on_grade_changes)
