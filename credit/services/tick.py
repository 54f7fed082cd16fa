"""Time passes (run daily with regrade): expire listings, close answer periods, flag overdue
items. Idempotent: a second run on the same day finds nothing left to do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from credit.extensions import db
from credit.models import DCase, DCaseState, Listing, ListingKind, RepairApplication
from credit.models.listings import REPAIR_OPEN
from credit.workflows import a_publication, d_listing, repair


@dataclass
class TickResult:
    expired_a: int = 0
    expired_d: int = 0
    answer_periods_closed: int = 0
    overdue_flagged: int = 0

    @property
    def changed(self) -> int:
        return (self.expired_a + self.expired_d + self.answer_periods_closed
                + self.overdue_flagged)


def tick(today: dt.date) -> TickResult:
    """Do what the date requires. Flushes, does not commit."""
    result = TickResult()
    due = db.session.scalars(
        select(Listing).where(Listing.removed_on.is_(None), Listing.expires_on <= today)
        .order_by(Listing.id)
    ).all()
    for listing in due:
        if listing.kind == ListingKind.A:
            a_publication.expire_application(listing.application, listing)
            result.expired_a += 1
        else:
            d_listing.expire_listing(listing)
            result.expired_d += 1
    cases = db.session.scalars(
        select(DCase).where(DCase.state == DCaseState.NOTIFIED.value, DCase.answer_due < today)
        .order_by(DCase.id)
    ).all()
    for case in cases:
        result.answer_periods_closed += d_listing.close_answer_period(case, today=today)
    repairs = db.session.scalars(
        select(RepairApplication).where(
            RepairApplication.state.in_([s.value for s in REPAIR_OPEN]),
            RepairApplication.overdue_flagged_on.is_(None))
        .order_by(RepairApplication.id)
    ).all()
    for item in repairs:
        result.overdue_flagged += repair.flag_overdue(item, today=today)
    db.session.flush()
    return result
