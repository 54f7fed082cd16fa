"""D listing (严重失信名单): proposed when a grade becomes D, reviewed (four eyes), notified,
answered within 10 working days, decided by the publisher, listed for 3 years.

A case lists the facts it rests on. New D facts reach review once each: a proposed case takes
them in; otherwise (a later stage, or a closed case) they make a new case. Each published case
is its own listing.

    proposed -> confirmed -> notified -> answered      -> published | not_published
             \\-> dismissed           \\-> answer_closed -/
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

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
from credit.permissions import can_act_for_enterprise, can_publish, can_review
from credit.rules.engine import D_RULES, serious_grounds
from credit.rules.facts import ArchiveFacts, RecordFacts
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
    optional_text,
    required_text,
)

ANSWER_WORKDAYS = 10
_FACT_COLUMNS = [getattr(Record, f.name) for f in fields(RecordFacts)]
_RULE_ORDER = {rule.code: i for i, rule in enumerate(D_RULES)}


def _state(case: DCase) -> dict:
    return {"state": case.state, "version": case.version}


def _log(action: str, case: DCase, actor_id: int | None, before: dict, **extra) -> None:
    audit.record(f"d_case.{action}", "d_case", case.id, actor_id=actor_id, before=before,
                 after={**_state(case), **extra})


# -- facts -------------------------------------------------------------------------------------
#
# A fact is what a D grade rests on: a D rule and one record of the archive, named by its
# (type, ref) as the archive names records, or D1 and the enterprise's invalid qualification.
# Each fact reaches review once: a case lists the facts it covers, and a fact any case of the
# enterprise has covered (whatever became of that case) is never proposed again.


def fact_key(fact: dict) -> tuple[str, str, str]:
    """A fact's identity: (rule code, record type, ref), or (code, "qualification", "")."""
    if "qualification" in fact:
        return (fact["code"], "qualification", "")
    return (fact["code"], fact["type"], fact["ref"])


def current_facts(changes: Sequence[dict]) -> dict[int, list[dict]]:
    """The D facts of these enterprises, each as of its change's date, with the ids of their
    records: two queries for the whole batch."""
    ids = list({c["enterprise_id"] for c in changes})
    if not ids:
        return {}
    heads = {eid: (established, qualification) for eid, established, qualification in
             db.session.execute(select(Enterprise.id, Enterprise.established_on,
                                       Enterprise.qualification).where(Enterprise.id.in_(ids)))}
    records: dict[int, list[RecordFacts]] = defaultdict(list)
    record_ids: dict[tuple[int, str, str], int] = {}
    for row in db.session.execute(select(Record.id, Record.enterprise_id, *_FACT_COLUMNS)
                                  .where(Record.enterprise_id.in_(ids))):
        facts = RecordFacts(*row[2:])
        records[row.enterprise_id].append(facts)
        record_ids[(row.enterprise_id, facts.type, facts.ref)] = row.id
    found: dict[int, list[dict]] = {}
    for change in changes:
        eid = change["enterprise_id"]
        if eid not in heads:
            continue
        archive = ArchiveFacts(*heads[eid], tuple(records[eid]))
        facts: list[dict] = []
        for ground in serious_grounds(archive, change["changed_on"]):
            if ground.qualification_invalid:
                facts.append({"code": ground.code, "qualification": "invalid"})
            facts += [{"code": ground.code, "type": r.type, "ref": r.ref,
                       "record_id": record_ids[(eid, r.type, r.ref)]} for r in ground.records]
        found[eid] = facts
    return found


def _with_facts(facts: list[dict]) -> dict[str, Any]:
    """A case's fact columns: the facts, their reasons as grades show them, their records."""
    refs: dict[str, list[str]] = {}
    for fact in facts:
        codes = refs.setdefault(fact["code"], [])
        if "ref" in fact and fact["ref"] not in codes:
            codes.append(fact["ref"])
    reasons = [{"code": code, "refs": refs[code]}
               for code in sorted(refs, key=lambda c: _RULE_ORDER.get(c, len(_RULE_ORDER)))]
    record_ids = sorted({f["record_id"] for f in facts if "record_id" in f})
    return {"facts": facts, "reasons": reasons, "record_ids": record_ids}


def propose_cases(changes: Sequence[dict]) -> list[DCase]:
    """Bring the D facts of a batch of grade changes to review; returns the new cases.

    ``changes`` are grade history rows (``enterprise_id``, ``changed_on``, ``new_grade``,
    ``rulebook``). For each enterprise graded D, the facts no case of it has covered go into
    its proposed case if it has one (the reviewer has not acted yet; the version changes, so
    a review of what was shown before is refused), and otherwise into a new case. A few
    queries for the whole batch, whatever its size.
    """
    latest = {c["enterprise_id"]: c for c in changes if c["new_grade"] == "D"}
    if not latest:
        return []
    now = current_facts(list(latest.values()))
    covered: dict[int, set] = defaultdict(set)
    proposed: dict[int, DCase] = {}
    for case in db.session.scalars(select(DCase).where(DCase.enterprise_id.in_(list(latest)))
                                   .order_by(DCase.id)):
        covered[case.enterprise_id].update(map(fact_key, case.facts or ()))
        if case.state == DCaseState.PROPOSED:
            proposed[case.enterprise_id] = case
    created, grown = [], []
    for eid, change in latest.items():
        fresh = [f for f in now.get(eid, ()) if fact_key(f) not in covered[eid]]
        if not fresh:
            continue
        case = proposed.get(eid)
        if case is None:
            created.append(DCase(enterprise_id=eid, state=DCaseState.PROPOSED.value,
                                 proposed_on=change["changed_on"], rulebook=change["rulebook"],
                                 **_with_facts(fresh)))
        else:
            grown.append((case, _state(case), list(case.facts), fresh))
            for column, value in _with_facts([*case.facts, *fresh]).items():
                setattr(case, column, value)
    if not created and not grown:
        return []
    db.session.add_all(created)
    db.session.flush()
    for case in created:
        _log("propose", case, None, {}, facts=case.facts, reasons=case.reasons,
             record_ids=case.record_ids)
    for case, before, old_facts, fresh in grown:
        _log("take_in", case, None, {**before, "facts": old_facts}, added=fresh,
             facts=case.facts, reasons=case.reasons, record_ids=case.record_ids)
    return created


def confirm_case(actor: User, case: DCase, *, note: str | None = None,
                 version: int | None = None) -> None:
    """The reviewer confirms the facts and their degree (复核)."""
    _review(actor, case, DCaseState.CONFIRMED, note, version)


def dismiss_case(actor: User, case: DCase, *, note: str, version: int | None = None) -> None:
    """The reviewer dismisses the case, saying why."""
    _review(actor, case, DCaseState.DISMISSED, note, version)


def _review(actor: User, case: DCase, to: DCaseState, note: str | None,
            version: int | None) -> None:
    ensure(can_review(actor, case), "review", case)
    ensure_state(case, DCaseState.PROPOSED, doing="review")
    check_version(case, version)
    if to is DCaseState.DISMISSED:
        note = required_text(note, "the note", "a dismissal needs its reasons")
    else:
        note = optional_text(note, "the note")
    before = _state(case)
    case.state = to.value
    case.reviewer_id, case.reviewed_at = actor.id, clock.now()
    case.review_note = note
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
    text = required_text(text, "the answer", "the answer is empty")
    before = _state(case)
    case.state = DCaseState.ANSWERED.value
    case.answer_text, case.answered_on = text, today
    flush(case)
    _log("answer", case, actor.id, before, answered_on=today)


def close_answer_period(case: DCase, *, today: dt.date) -> bool:
    """The period passed without an answer (tick, or a decision before tick ran): True when
    the case was closed now. It is dated the day after the last day to answer, the day it
    closed, whenever this runs."""
    if case.state != DCaseState.NOTIFIED or today <= case.answer_due:
        return False
    before = _state(case)
    closed_on = case.answer_due + dt.timedelta(days=1)
    case.state = DCaseState.ANSWER_CLOSED.value
    case.answer_closed_on = closed_on
    flush(case)
    _log("close_answer_period", case, None, before, answer_closed_on=closed_on)
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


def _codes(value: Any) -> list[str]:
    if isinstance(value, list | tuple | set | frozenset) and all(
            isinstance(v, str) for v in value):
        return list(value)
    raise InvalidInput("reasons must be a list of rule codes, e.g. ['D2']")


def _ids(value: Any) -> list[int]:
    if isinstance(value, list | tuple | set | frozenset) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return list(value)
    raise InvalidInput("record_ids must be a list of record ids")


def decide_case(actor: User, case: DCase, *, publish: bool, reasons: Sequence[str] = (),
                record_ids: Sequence[int] = (), summary: str | None = None,
                note: str | None = None, version: int | None = None) -> Listing | None:
    """The publisher decides, after the answer or after the period closed, and chooses the
    facts disclosed (reason codes, records, a public summary). Publishing lists for 3 years.

    Everything is checked before anything is written: a refused decision leaves the case as
    it was (the answer period is closed only by a decision that goes through, or by tick).
    """
    ensure(can_publish(actor, case), "decide publication", case)
    ensure_state(case, DCaseState.NOTIFIED, DCaseState.ANSWERED, DCaseState.ANSWER_CLOSED,
                 doing="decide")
    today = clock.today()
    if case.state == DCaseState.NOTIFIED and today <= case.answer_due:
        raise InvalidTransition(
            f"cannot decide yet: the enterprise may answer until {case.answer_due}")
    check_version(case, version)
    if not isinstance(publish, bool):
        raise InvalidInput("publish must be true or false")
    reasons, record_ids = _codes(reasons), _ids(record_ids)
    summary, note = optional_text(summary, "the summary"), optional_text(note, "the note")
    disclosed = None
    if not publish:
        if not note:
            raise InvalidInput("a decision not to publish needs its reasons")
    else:
        grade = db.session.scalar(
            select(Grade.grade).where(Grade.enterprise_id == case.enterprise_id))
        if grade != "D":
            raise InvalidTransition("cannot publish: the enterprise's grade is no longer D; "
                                    "decide not to publish")
        offered = disclosable_facts(case)
        by_id = {r["id"]: r for r in offered["records"]}
        if not set(reasons) <= set(offered["reasons"]) or not set(record_ids) <= set(by_id):
            raise InvalidInput("only the case's own reasons and records can be disclosed")
        if not reasons and not record_ids and not summary:
            raise InvalidInput("choose at least one fact to disclose")
        disclosed = {
            "reasons": [c for c in offered["reasons"] if c in set(reasons)],
            "records": [{k: by_id[i][k] for k in ("type", "date", "ref")}
                        for i in sorted(set(record_ids), key=lambda i: (by_id[i]["date"], i))],
            "summary": summary,
        }
    close_answer_period(case, today=today)  # the period is over; tick may not have run yet
    before = _state(case)
    case.publisher_id, case.decided_on, case.decision_note = actor.id, today, note
    if not publish:
        case.state = DCaseState.NOT_PUBLISHED.value
        flush(case)
        _log("decide", case, actor.id, before, publish=False, note=note)
        return None
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
    note = required_text(note, "the note", "a removal needs its reasons")
    if listing.kind == ListingKind.A:
        from credit.workflows.a_publication import end_for_publisher_decision

        end_for_publisher_decision(actor.id, listing.application, note)
    else:
        end_listing(listing, RemovalReason.PUBLISHER_DECISION, on=clock.today(),
                    actor_id=actor.id, note=note)
    flush(listing)


def expire_listing(listing: Listing) -> None:
    """A D listing reached its 3 years (called by tick)."""
    end_listing(listing, RemovalReason.EXPIRED, on=listing.expires_on, actor_id=None)
    flush(listing)


def on_grade_changes(history: list[dict]) -> None:
    """Graded D (newly, or with other reasons): bring facts not yet reviewed to review.
    Grade left D while listed: prompt the publisher (and unprompt when it is D again)."""
    propose_cases(history)
    became = {r["enterprise_id"] for r in history
              if r["new_grade"] == "D" and r["old_grade"] != "D"}
    left = {r["enterprise_id"] for r in history
            if r["old_grade"] == "D" and r["new_grade"] != "D"}
    changed = left | became
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
