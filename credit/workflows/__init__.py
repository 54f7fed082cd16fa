"""The disclosure state machines (one module each) and what they share: listings and deadlines.

Every transition is a ``verb_noun(actor, obj, ...)`` function that checks the actor's
permission and jurisdiction, then the start state, applies the change, appends an audit entry
and flushes. None commits: the request or CLI command that called it commits once.
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
from typing import Any

from credit import clock
from credit.extensions import db
from credit.models import (
    APublicationApplication,
    ChangeKind,
    DCase,
    DCaseState,
    Enterprise,
    Listing,
    ListingChange,
    ListingKind,
    RemovalReason,
    RepairApplication,
    RepairState,
)
from credit.services import audit

A_VALID_MONTHS = 12
D_VALID_MONTHS = 36


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def listing_state(listing: Listing) -> dict:
    return {"kind": listing.kind, "published_on": listing.published_on,
            "expires_on": listing.expires_on, "removed_on": listing.removed_on,
            "removal_reason": listing.removal_reason, "disclosed": listing.disclosed,
            "removal_prompted": listing.removal_prompted}


def open_listing(kind: ListingKind, enterprise: Enterprise, *, published_on: dt.date,
                 actor_id: int | None, application: APublicationApplication | None = None,
                 case: DCase | None = None, disclosed: dict | None = None) -> Listing:
    """Publish: a live listing valid 12 months (A) or 3 years (D), announced in the feed.
    An A listing gets the unguessable token of its printable certificate."""
    months = A_VALID_MONTHS if kind is ListingKind.A else D_VALID_MONTHS
    token = secrets.token_urlsafe(24) if kind is ListingKind.A else None
    listing = Listing(kind=kind.value, enterprise=enterprise, application=application,
                      case=case, published_on=published_on,
                      expires_on=add_months(published_on, months), published_by_id=actor_id,
                      disclosed=disclosed or {}, removal_prompted=False,
                      certificate_token=token)
    db.session.add(listing)
    db.session.flush()
    db.session.add(ListingChange(listing_id=listing.id, uscc=enterprise.uscc, kind=kind.value,
                                 change=ChangeKind.PUBLISHED.value, at=clock.now()))
    audit.record("listing.publish", "listing", listing.id, actor_id=actor_id,
                 after={"enterprise": enterprise.uscc, **listing_state(listing)})
    return listing


def end_listing(listing: Listing, reason: RemovalReason, *, on: dt.date,
                actor_id: int | None, note: str | None = None) -> None:
    """Remove a live listing from public view now, and announce the removal in the feed."""
    before = listing_state(listing)
    listing.removed_on = max(on, listing.published_on)
    listing.removal_reason = reason.value
    listing.removed_by_id = actor_id
    listing.removal_prompted = False
    db.session.add(ListingChange(listing_id=listing.id, uscc=listing.enterprise.uscc,
                                 kind=listing.kind, change=ChangeKind.REMOVED.value,
                                 at=clock.now()))
    after = listing_state(listing)
    if note:
        after["note"] = note
    audit.record("listing.remove", "listing", listing.id, actor_id=actor_id,
                 before=before, after=after)


def deadline_of(obj: Any) -> dt.date | None:
    """The last day on which an open item is still in time; ``None`` when nothing is due.

    D case being notified: the last day to answer. Repair application: the last day to accept
    (applied) or to verify (accepted). Live listing: its last day of validity.
    """
    if isinstance(obj, DCase):
        return obj.answer_due if obj.state == DCaseState.NOTIFIED else None
    if isinstance(obj, RepairApplication):
        if obj.state == RepairState.APPLIED:
            return obj.accept_due
        if obj.state == RepairState.ACCEPTED:
            return obj.verify_due
        return None
    if isinstance(obj, Listing):
        return obj.expires_on - dt.timedelta(days=1) if obj.removed_on is None else None
    return None


def is_overdue(obj: Any, today: dt.date | None = None) -> bool:
    """Whether the item's deadline has passed and it is still open."""
    due = deadline_of(obj)
    return due is not None and (today or clock.today()) > due
