"""D listing: proposed on the grade change, four-eyes review, notice and answer period in
working days, publisher's decision with chosen facts, 3 years, prompts, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from credit.models import DCase, DCaseState, GradeTrigger, Listing, Record
from credit.services import disclosure
from credit.services.grading import regrade
from credit.services.tick import tick
from credit.workflows import deadline_of, is_overdue
from credit.workflows.d_listing import (
    answer_notice,
    confirm_case,
    decide_case,
    dismiss_case,
    remove_listing,
    send_notice,
)
from credit.workflows.errors import (
    ConcurrentChange,
    InvalidInput,
    InvalidTransition,
    NotPermitted,
)
from tests.workflows.conftest import drop_grade

S = DCaseState


def case_of(db, w, key: str) -> DCase:
    return db.session.scalar(select(DCase).where(DCase.enterprise_id == w.e[key].id))


def bring(db, w, key: str, state: DCaseState) -> DCase:
    case = case_of(db, w, key)
    pub = w.u["publisher" if key == "d" else "publisher_h"]
    if state is S.PROPOSED:
        return case
    if state is S.DISMISSED:
        dismiss_case(w.u["reviewer_city"], case, note="事实不清")
        return case
    confirm_case(w.u["reviewer_city"], case)
    if state is S.CONFIRMED:
        return case
    send_notice(pub, case)
    if state is S.NOTIFIED:
        return case
    if state is S.ANSWERED:
        answer_notice(w.u[f"ent_{key}"], case, "我公司已整改")
        return case
    if state is S.ANSWER_CLOSED:
        w.pin(case.answer_due + dt.timedelta(days=1))
        tick(case.answer_due + dt.timedelta(days=1))
        return case
    answer_notice(w.u[f"ent_{key}"], case, "我公司已整改")
    decide_case(pub, case, publish=state is S.PUBLISHED, reasons=["D2"],
                note=None if state is S.PUBLISHED else "已整改")
    return case


def _confirm(w, actor, case):
    confirm_case(actor, case)


def _dismiss(w, actor, case):
    dismiss_case(actor, case, note="不构成严重失信")


def _notify(w, actor, case):
    send_notice(actor, case)


def _answer(w, actor, case):
    answer_notice(actor, case, "陈述申辩")


def _publish(w, actor, case):
    decide_case(actor, case, publish=True, reasons=["D2"], record_ids=case.record_ids)


def _not_publish(w, actor, case):
    decide_case(actor, case, publish=False, note="情节轻微")


OK = None
TABLE = [
    (_confirm, "d", S.PROPOSED, "reviewer_city", OK, S.CONFIRMED),
    (_confirm, "d", S.PROPOSED, "admin", OK, S.CONFIRMED),
    (_confirm, "d_h", S.PROPOSED, "reviewer_h", OK, S.CONFIRMED),
    (_confirm, "d", S.PROPOSED, "reviewer", NotPermitted, None),  # recorded the record itself
    (_confirm, "d", S.PROPOSED, "reviewer_h", NotPermitted, None),  # other jurisdiction
    (_confirm, "d", S.PROPOSED, "recorder", NotPermitted, None),
    (_confirm, "d", S.PROPOSED, "publisher", NotPermitted, None),
    (_confirm, "d", S.PROPOSED, "auditor", NotPermitted, None),
    (_confirm, "d", S.PROPOSED, "ent_d", NotPermitted, None),
    (_confirm, "d", S.CONFIRMED, "reviewer_city", InvalidTransition, None),
    (_confirm, "d", S.DISMISSED, "reviewer_city", InvalidTransition, None),
    (_dismiss, "d", S.PROPOSED, "reviewer_city", OK, S.DISMISSED),
    (_dismiss, "d", S.PROPOSED, "reviewer", NotPermitted, None),
    (_dismiss, "d", S.NOTIFIED, "reviewer_city", InvalidTransition, None),
    (_notify, "d", S.CONFIRMED, "publisher", OK, S.NOTIFIED),
    (_notify, "d", S.CONFIRMED, "admin", OK, S.NOTIFIED),
    (_notify, "d", S.CONFIRMED, "publisher_h", NotPermitted, None),
    (_notify, "d", S.CONFIRMED, "reviewer_city", NotPermitted, None),
    (_notify, "d", S.PROPOSED, "publisher", InvalidTransition, None),
    (_notify, "d", S.NOTIFIED, "publisher", InvalidTransition, None),
    (_answer, "d", S.NOTIFIED, "ent_d", OK, S.ANSWERED),
    (_answer, "d", S.NOTIFIED, "ent_d_h", NotPermitted, None),
    (_answer, "d", S.NOTIFIED, "publisher", NotPermitted, None),
    (_answer, "d", S.CONFIRMED, "ent_d", InvalidTransition, None),
    (_answer, "d", S.ANSWERED, "ent_d", InvalidTransition, None),
    (_answer, "d", S.ANSWER_CLOSED, "ent_d", InvalidTransition, None),
    (_publish, "d", S.ANSWERED, "publisher", OK, S.PUBLISHED),
    (_publish, "d", S.ANSWER_CLOSED, "publisher", OK, S.PUBLISHED),
    (_publish, "d_h", S.ANSWERED, "publisher_h", OK, S.PUBLISHED),
    (_publish, "d", S.ANSWERED, "admin", OK, S.PUBLISHED),
    (_publish, "d", S.ANSWERED, "publisher_h", NotPermitted, None),
    (_publish, "d", S.ANSWERED, "reviewer_city", NotPermitted, None),
    (_publish, "d", S.ANSWERED, "ent_d", NotPermitted, None),
    (_publish, "d", S.NOTIFIED, "publisher", InvalidTransition, None),  # period still open
    (_publish, "d", S.CONFIRMED, "publisher", InvalidTransition, None),
    (_publish, "d", S.PUBLISHED, "publisher", InvalidTransition, None),
    (_not_publish, "d", S.ANSWERED, "publisher", OK, S.NOT_PUBLISHED),
    (_not_publish, "d", S.ANSWER_CLOSED, "publisher", OK, S.NOT_PUBLISHED),
    (_not_publish, "d", S.DISMISSED, "publisher", InvalidTransition, None),
]


@pytest.mark.parametrize(
    ("transition", "key", "start", "actor", "outcome", "end"), TABLE,
    ids=[f"{t.__name__[1:]}-{k}-{s}-{a}-{o.__name__ if o else 'ok'}"
         for t, k, s, a, o, _ in TABLE],
)
def test_transition_table(db, world, transition, key, start, actor, outcome, end):
    case = bring(db, world, key, start)
    db.session.commit()
    if outcome is None:
        transition(world, world.u[actor], case)
        db.session.commit()
        assert case.state == end
    else:
        with pytest.raises(outcome) as caught:
            transition(world, world.u[actor], case)
        assert str(caught.value)
        db.session.rollback()
        assert db.session.get(DCase, case.id).state == start


@pytest.mark.parametrize(("transition", "start", "actor"), [
    (_confirm, S.PROPOSED, "reviewer_city"),
    (_notify, S.CONFIRMED, "publisher"),
    (_answer, S.NOTIFIED, "ent_d"),
    (_publish, S.ANSWERED, "publisher"),
])
def test_stale_version_is_refused(db, world, transition, start, actor):
    case = bring(db, world, "d", start)
    db.session.commit()
    db.session.execute(text("UPDATE d_cases SET version = version + 1 WHERE id = :id"),
                       {"id": case.id})
    with pytest.raises(ConcurrentChange, match="changed by someone else"):
        transition(world, world.u[actor], case)
    db.session.rollback()
    assert db.session.get(DCase, case.id).state == start


def test_case_is_proposed_when_the_grade_becomes_d(db, world):
    case = case_of(db, world, "d")
    record = db.session.scalar(select(Record).where(Record.enterprise_id == world.e["d"].id))
    assert (case.state, case.proposed_on) == (S.PROPOSED, world.day)
    assert [r["code"] for r in case.reasons] == ["D2"] and case.record_ids == [record.id]
    assert case_of(db, world, "c") is None and case_of(db, world, "a") is None
    # Nothing public yet: a proposed case is invisible.
    assert disclosure.listing_for(world.e["d"].uscc) == ()
    # Another D reason later: no second case while one is open.
    drop_grade(db, world.e["d"], world.day)
    assert db.session.scalars(select(DCase).where(
        DCase.enterprise_id == world.e["d"].id)).all() == [case]


def test_answer_period_is_10_working_days_across_spring_festival(db, world):
    case = bring(db, world, "d", S.CONFIRMED)
    world.pin("2026-02-12")  # Thursday before Spring Festival (holiday 15-23 Feb 2026)
    send_notice(world.u["publisher"], case)
    # Working days: 13, 14 (adjusted Saturday), 24, 25, 26, 27, 28 (adjusted Saturday),
    # 2, 3, 4 March.
    assert case.answer_due == dt.date(2026, 3, 4)
    assert deadline_of(case) == dt.date(2026, 3, 4)
    assert not is_overdue(case, dt.date(2026, 3, 4)) and is_overdue(case, dt.date(2026, 3, 5))
    world.pin("2026-03-04")  # the last day still counts
    answer_notice(world.u["ent_d"], case, "申辩")
    assert case.state == S.ANSWERED


def test_late_answer_refused_and_tick_closes_the_period(db, world):
    case = bring(db, world, "d", S.NOTIFIED)
    due = case.answer_due
    assert due == dt.date(2026, 10, 29)
    assert tick(due).answer_periods_closed == 0
    world.pin(due + dt.timedelta(days=1))
    with pytest.raises(InvalidTransition, match="answer period ended"):
        answer_notice(world.u["ent_d"], case, "too late")
    assert tick(due + dt.timedelta(days=1)).answer_periods_closed == 1
    assert tick(due + dt.timedelta(days=1)).changed == 0
    assert (case.state, case.answer_closed_on) == (S.ANSWER_CLOSED, due + dt.timedelta(days=1))
    assert deadline_of(case) is None


def test_publisher_chooses_disclosed_facts_and_listing_lasts_3_years(db, world):
    case = bring(db, world, "d", S.ANSWERED)
    with pytest.raises(InvalidInput):
        decide_case(world.u["publisher"], case, publish=True, reasons=["C2"])
    with pytest.raises(InvalidInput):
        decide_case(world.u["publisher"], case, publish=True)
    listing = decide_case(world.u["publisher"], case, publish=True, reasons=["D2"],
                          summary="故意生产假冒伪劣产品")
    db.session.commit()
    assert (listing.published_on, listing.expires_on) == (world.day, dt.date(2029, 10, 15))
    public = disclosure.listing_for(world.e["d"].uscc)
    assert len(public) == 1
    assert (public[0].kind, public[0].reasons, public[0].records, public[0].summary) == (
        "D", ("D2",), (), "故意生产假冒伪劣产品")
    assert tick(dt.date(2029, 10, 14)).expired_d == 0
    assert tick(dt.date(2029, 10, 15)).expired_d == 1
    assert disclosure.listing_for(world.e["d"].uscc, today=dt.date(2029, 10, 15)) == ()
    assert listing.removal_reason == "expired"


def test_grade_leaving_d_prompts_the_publisher_and_removes_nothing(db, world):
    case = bring(db, world, "d", S.PUBLISHED)
    listing = db.session.scalar(select(Listing).where(Listing.case_id == case.id))
    db.session.commit()
    # The counterfeit violation is corrected away; the grade is recomputed.
    db.session.execute(text("DELETE FROM records WHERE enterprise_id = :e"),
                       {"e": world.e["d"].id})
    regrade([world.e["d"].id], as_of=world.day, cause=GradeTrigger.RECORD_REMOVED)
    db.session.commit()
    assert listing.removal_prompted and listing.removed_on is None
    assert disclosure.listing_for(world.e["d"].uscc)  # still public until decided
    with pytest.raises(NotPermitted):
        remove_listing(world.u["publisher_h"], listing, note="x")
    with pytest.raises(InvalidInput):
        remove_listing(world.u["publisher"], listing, note=" ")
    remove_listing(world.u["publisher"], listing, note="信用状况已改善")
    db.session.commit()
    assert (listing.removal_reason, listing.removed_on) == ("publisher_decision", world.day)
    assert disclosure.listing_for(world.e["d"].uscc) == ()
    with pytest.raises(InvalidTransition):
        remove_listing(world.u["publisher"], listing, note="again")


def test_cannot_publish_when_the_grade_is_no_longer_d(db, world):
    case = bring(db, world, "d", S.ANSWERED)
    db.session.execute(text("DELETE FROM records WHERE enterprise_id = :e"),
                       {"e": world.e["d"].id})
    regrade([world.e["d"].id], as_of=world.day, cause=GradeTrigger.RECORD_REMOVED)
    with pytest.raises(InvalidTransition, match="no longer D"):
        decide_case(world.u["publisher"], case, publish=True, reasons=["D2"])
    decide_case(world.u["publisher"], case, publish=False, note="已不属严重失信")
    assert case.state == S.NOT_PUBLISHED
