"""Credit repair: 1 year after publication; accept within 2 working days, verify within 15;
approval removes the listing at once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from credit.models import DCase, RepairApplication, RepairState
from credit.services import disclosure
from credit.services.tick import tick
from credit.workflows import deadline_of, is_overdue
from credit.workflows.d_listing import answer_notice, confirm_case, decide_case, send_notice
from credit.workflows.errors import ConcurrentChange, InvalidTransition, NotPermitted
from credit.workflows.repair import (
    accept_repair,
    apply_for_repair,
    approve_repair,
    refuse_repair,
    reject_repair,
)

S = RepairState


def publish_d(db, w, key: str = "d", on: str = "2026-10-15"):
    w.pin(on)
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == w.e[key].id))
    pub = w.u["publisher" if key == "d" else "publisher_h"]
    confirm_case(w.u["reviewer_city"], case)
    send_notice(pub, case)
    answer_notice(w.u[f"ent_{key}"], case, "申辩")
    return decide_case(pub, case, publish=True, reasons=["D2"])


def bring(db, w, state: RepairState, key: str = "d") -> RepairApplication:
    listing = publish_d(db, w, key)
    w.pin("2027-10-15")
    repair = apply_for_repair(w.u[f"ent_{key}"], listing, "已整改到位")
    pub = w.u["publisher" if key == "d" else "publisher_h"]
    if state is S.APPLIED:
        return repair
    if state is S.REFUSED:
        refuse_repair(pub, repair, reasons="材料不全")
        return repair
    accept_repair(pub, repair)
    if state is S.ACCEPTED:
        return repair
    if state is S.APPROVED:
        approve_repair(pub, repair)
    else:
        reject_repair(pub, repair, reasons="整改未到位")
    return repair


def _accept(actor, r):
    accept_repair(actor, r)


def _refuse(actor, r):
    refuse_repair(actor, r, reasons="不符合条件")


def _approve(actor, r):
    approve_repair(actor, r)


def _reject(actor, r):
    reject_repair(actor, r, reasons="未整改")


OK = None
TABLE = [
    (_accept, S.APPLIED, "publisher", OK, S.ACCEPTED),
    (_accept, S.APPLIED, "admin", OK, S.ACCEPTED),
    (_accept, S.APPLIED, "publisher_h", NotPermitted, None),
    (_accept, S.APPLIED, "reviewer_city", NotPermitted, None),
    (_accept, S.APPLIED, "ent_d", NotPermitted, None),
    (_accept, S.ACCEPTED, "publisher", InvalidTransition, None),
    (_refuse, S.APPLIED, "publisher", OK, S.REFUSED),
    (_refuse, S.REFUSED, "publisher", InvalidTransition, None),
    (_approve, S.ACCEPTED, "publisher", OK, S.APPROVED),
    (_approve, S.ACCEPTED, "publisher_h", NotPermitted, None),
    (_approve, S.ACCEPTED, "auditor", NotPermitted, None),
    (_approve, S.APPLIED, "publisher", InvalidTransition, None),
    (_approve, S.APPROVED, "publisher", InvalidTransition, None),
    (_reject, S.ACCEPTED, "publisher", OK, S.REJECTED),
    (_reject, S.REFUSED, "publisher", InvalidTransition, None),
]


@pytest.mark.parametrize(
    ("transition", "start", "actor", "outcome", "end"), TABLE,
    ids=[f"{t.__name__[1:]}-{s}-{a}-{o.__name__ if o else 'ok'}" for t, s, a, o, _ in TABLE],
)
def test_transition_table(db, world, transition, start, actor, outcome, end):
    repair = bring(db, world, start)
    db.session.commit()
    if outcome is None:
        transition(world.u[actor], repair)
        db.session.commit()
        assert repair.state == end
    else:
        with pytest.raises(outcome):
            transition(world.u[actor], repair)
        db.session.rollback()
        assert db.session.get(RepairApplication, repair.id).state == start


def test_stale_version_is_refused(db, world):
    repair = bring(db, world, S.APPLIED)
    db.session.commit()
    db.session.execute(text("UPDATE repair_applications SET version = version + 1 "
                            "WHERE id = :id"), {"id": repair.id})
    with pytest.raises(ConcurrentChange):
        accept_repair(world.u["publisher"], repair)


def test_apply_only_after_one_year_by_the_enterprise(db, world):
    listing = publish_d(db, world)
    world.pin("2027-10-14")
    with pytest.raises(InvalidTransition, match="from 2027-10-15"):
        apply_for_repair(world.u["ent_d"], listing, "x")
    world.pin("2027-10-15")
    with pytest.raises(NotPermitted):
        apply_for_repair(world.u["ent_d_h"], listing, "x")
    apply_for_repair(world.u["ent_d"], listing, "x")
    with pytest.raises(InvalidTransition, match="already open"):
        apply_for_repair(world.u["ent_d"], listing, "y")


def test_deadlines_count_working_days_over_spring_festival(db, world):
    listing = publish_d(db, world, on="2025-02-12")
    world.pin("2026-02-13")  # Friday; Saturday 14 Feb 2026 is an adjusted working day
    repair = apply_for_repair(world.u["ent_d"], listing, "已整改")
    assert repair.accept_due == dt.date(2026, 2, 24)  # 14 Feb, then the holiday, then 24 Feb
    assert deadline_of(repair) == dt.date(2026, 2, 24)
    assert tick(dt.date(2026, 2, 24)).overdue_flagged == 0
    assert tick(dt.date(2026, 2, 25)).overdue_flagged == 1
    assert tick(dt.date(2026, 2, 25)).changed == 0  # flagged once
    assert is_overdue(repair, dt.date(2026, 2, 25))
    world.pin("2026-02-25")
    accept_repair(world.u["publisher"], repair)  # late, but still possible
    # 15 working days from 25 Feb: 26, 27, 28 (adjusted Saturday), 2-6, 9-13, 16-17 March.
    assert repair.verify_due == dt.date(2026, 3, 17)
    assert repair.overdue_flagged_on is None
    world.pin("2026-03-17")
    approve_repair(world.u["publisher"], repair)
    assert (listing.removed_on, listing.removal_reason) == (dt.date(2026, 3, 17), "repaired")
    assert disclosure.listing_for(world.e["d"].uscc) == ()
    assert deadline_of(repair) is None


# -- a repair application ends with its listing ------------------------------------------------


@pytest.mark.parametrize("start", [S.APPLIED, S.ACCEPTED])
def test_an_open_application_ends_when_its_listing_expires(db, world, start):
    from credit.models import AuditEntry

    repair = bring(db, world, start)
    listing = repair.listing
    db.session.commit()
    late = listing.expires_on + dt.timedelta(days=1)
    result = tick(late)
    assert (result.expired_d, result.overdue_flagged) == (1, 0)
    assert (repair.state, repair.ended_on, repair.ended_reason) == (
        S.ENDED, listing.expires_on, "expired")
    assert deadline_of(repair) is None and not is_overdue(repair, late)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "repair.end"))
    assert (entry.object_id, entry.after["reason"]) == (str(repair.id), "expired")
    world.pin(late)
    with pytest.raises(InvalidTransition):
        (accept_repair if start is S.APPLIED else approve_repair)(world.u["publisher"], repair)


def test_an_open_application_ends_when_the_publisher_removes_its_listing(db, world):
    from credit.workflows.d_listing import remove_listing

    repair = bring(db, world, S.ACCEPTED)
    remove_listing(world.u["publisher"], repair.listing, note="经复查撤销列入")
    assert (repair.state, repair.ended_on, repair.ended_reason) == (
        S.ENDED, dt.date(2027, 10, 15), "publisher_decision")
    db.session.commit()
    assert db.session.get(RepairApplication, repair.id).state == S.ENDED


def test_a_listing_expired_before_tick_ran_cannot_be_repaired(db, world):
    repair = bring(db, world, S.ACCEPTED)
    listing = repair.listing
    db.session.commit()
    world.pin(listing.expires_on)  # expired today; tick has not run yet
    with pytest.raises(InvalidTransition, match="expired on 2029-10-15"):
        approve_repair(world.u["publisher"], repair)
    assert (repair.state, listing.removed_on) == (S.ACCEPTED, None)
    with pytest.raises(InvalidTransition, match="expired"):
        apply_for_repair(world.u["ent_d"], listing, "再次申请")
