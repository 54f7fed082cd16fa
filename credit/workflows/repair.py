"""Credit repair (信用修复) of a published D listing: the enterprise applies 1 year after
publication; the publisher accepts or refuses within 2 working days, then verifies within 15;
an approved repair removes the listing at once. An application still open when its listing
ends (expiry, the publisher's removal) ends with it.

    applied -> accepted -> approved | rejected
            \\-> refused
    applied | accepted -> ended (the listing ended first)
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from credit import clock
from credit.extensions import db
from credit.models import Listing, ListingKind, RemovalReason, RepairApplication, RepairState, User
from credit.models.listings import REPAIR_OPEN
from credit.permissions import can_act_for_enterprise, can_publish
from credit.services import audit
from credit.workdays import add_workdays
from credit.workflows import add_months, end_listing
from credit.workflows.errors import (
    InvalidTransition,
    check_version,
    ensure,
    ensure_state,
    flush,
    optional_text,
    required_text,
)

WAIT_MONTHS = 12
ACCEPT_WORKDAYS = 2
VERIFY_WORKDAYS = 15


def _state(repair: RepairApplication) -> dict:
    return {"state": repair.state, "version": repair.version}


def _log(action: str, repair: RepairApplication, actor_id: int | None, before: dict,
         **extra) -> None:
    audit.record(f"repair.{action}", "repair", repair.id, actor_id=actor_id, before=before,
                 after={**_state(repair), **extra})


def earliest_application(listing: Listing):
    """The first day the enterprise may apply for repair: 1 year after publication."""
    return add_months(listing.published_on, WAIT_MONTHS)


def _ensure_listing_live(listing: Listing, today: dt.date) -> None:
    """Refuse when the listing is no longer shown (removed, or expired before tick ran)."""
    if listing.removed_on is not None:
        raise InvalidTransition(f"the listing was removed on {listing.removed_on}; "
                                "there is nothing left to repair")
    if listing.expires_on <= today:
        raise InvalidTransition(f"the listing expired on {listing.expires_on}; "
                                "there is nothing left to repair")


def apply_for_repair(actor: User, listing: Listing, statement: str) -> RepairApplication:
    ensure(can_act_for_enterprise(actor, listing.enterprise), "apply for credit repair", listing)
    if listing.kind != ListingKind.D:
        raise InvalidTransition("credit repair applies only to a published D listing")
    today = clock.today()
    _ensure_listing_live(listing, today)
    if today < earliest_application(listing):
        raise InvalidTransition(
            f"credit repair can be applied for from {earliest_application(listing)}")
    pending = db.session.scalar(
        select(RepairApplication.id).where(
            RepairApplication.listing_id == listing.id,
            RepairApplication.state.in_([s.value for s in REPAIR_OPEN]))
    )
    if pending is not None:
        raise InvalidTransition("a repair application for this listing is already open")
    statement = required_text(statement, "the statement",
                              "the repair application needs a statement")
    repair = RepairApplication(listing=listing, state=RepairState.APPLIED.value,
                               applicant_id=actor.id, statement=statement,
                               applied_on=today, accept_due=add_workdays(today, ACCEPT_WORKDAYS))
    db.session.add(repair)
    flush(repair)
    _log("apply", repair, actor.id, {}, applied_on=today, accept_due=repair.accept_due)
    return repair


def accept_repair(actor: User, repair: RepairApplication, *,
                  version: int | None = None) -> None:
    _handle(actor, repair, RepairState.ACCEPTED, None, version)


def refuse_repair(actor: User, repair: RepairApplication, *, reasons: str,
                  version: int | None = None) -> None:
    _handle(actor, repair, RepairState.REFUSED, reasons, version)


def _handle(actor: User, repair: RepairApplication, to: RepairState, reasons: str | None,
            version: int | None) -> None:
    ensure(can_publish(actor, repair), "handle the repair application", repair)
    ensure_state(repair, RepairState.APPLIED, doing="accept or refuse")
    check_version(repair, version)
    today = clock.today()
    _ensure_listing_live(repair.listing, today)
    if to is RepairState.REFUSED:
        reasons = required_text(reasons, "the reasons", "a refusal needs its reasons")
    before = _state(repair)
    repair.state = to.value
    repair.handled_on, repair.handler_id = today, actor.id
    repair.decision_reasons = reasons
    repair.overdue_flagged_on = None  # a new stage, a new deadline
    if to is RepairState.ACCEPTED:
        repair.verify_due = add_workdays(today, VERIFY_WORKDAYS)
    flush(repair)
    _log(to.value, repair, actor.id, before, verify_due=repair.verify_due,
         reasons=repair.decision_reasons)


def approve_repair(actor: User, repair: RepairApplication, *, reasons: str | None = None,
                   version: int | None = None) -> None:
    """Verified: the listing is removed at once."""
    _verify(actor, repair, RepairState.APPROVED, reasons, version)


def reject_repair(actor: User, repair: RepairApplication, *, reasons: str,
                  version: int | None = None) -> None:
    _verify(actor, repair, RepairState.REJECTED, reasons, version)


def _verify(actor: User, repair: RepairApplication, to: RepairState, reasons: str | None,
            version: int | None) -> None:
    ensure(can_publish(actor, repair), "verify the repair application", repair)
    ensure_state(repair, RepairState.ACCEPTED, doing="verify")
    check_version(repair, version)
    today = clock.today()
    _ensure_listing_live(repair.listing, today)
    if to is RepairState.REJECTED:
        reasons = required_text(reasons, "the reasons", "a rejection needs its reasons")
    else:
        reasons = optional_text(reasons, "the reasons")
    before = _state(repair)
    repair.state = to.value
    repair.verified_on, repair.verifier_id = today, actor.id
    repair.overdue_flagged_on = None
    if reasons:
        repair.decision_reasons = reasons
    flush(repair)
    _log(to.value, repair, actor.id, before, reasons=repair.decision_reasons)
    if to is RepairState.APPROVED:
        end_listing(repair.listing, RemovalReason.REPAIRED, on=today, actor_id=actor.id)
        flush(repair)


def end_with_listing(listing: Listing, *, on: dt.date) -> int:
    """The listing ended (expired or removed): every repair application still open on it ends
    too, with the listing's removal reason, so that the enterprise sees why. Returns how many."""
    open_repairs = db.session.scalars(
        select(RepairApplication).where(
            RepairApplication.listing_id == listing.id,
            RepairApplication.state.in_([s.value for s in REPAIR_OPEN]))
    ).all()
    for repair in open_repairs:
        before = _state(repair)
        repair.state = RepairState.ENDED.value
        repair.ended_on, repair.ended_reason = on, listing.removal_reason
        flush(repair)
        _log("end", repair, None, before, ended_on=on, reason=listing.removal_reason)
    return len(open_repairs)


def flag_overdue(repair: RepairApplication, *, today) -> bool:
    """Mark an open repair application whose deadline passed (tick); True when newly flagged."""
    from credit.workflows import is_overdue

    if repair.overdue_flagged_on is not None or not is_overdue(repair, today):
        return False
    repair.overdue_flagged_on = today
    audit.record("repair.overdue", "repair", repair.id, before=None,
                 after={"state": repair.state, "overdue_on": today})
    return True


def advance_deadline(repair: RepairApplication, due, *, actor_id: int | None = None,
                     cause: dict | None = None) -> None:
    """A correction of the working-day calendar gives the bureau's open step (accept, then
    verify) an earlier last day: the enterprise never waits longer than the corrected calendar
    allows. Never moves it later."""
    ensure_state(repair, RepairState.APPLIED, RepairState.ACCEPTED, doing="move the deadline")
    field = "accept_due" if repair.state == RepairState.APPLIED else "verify_due"
    old = getattr(repair, field)
    if due >= old:
        raise InvalidTransition(f"the bureau's deadline is never extended ({old} to {due})")
    before = {**_state(repair), field: old}
    setattr(repair, field, due)
    flush(repair)
    _log("advance_deadline", repair, actor_id, before, **{field: due}, **(cause or {}))
