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

from sqlalchemy import bindparam, event, func, select, text, update
from sqlalchemy.orm import Session

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
    """The day a period of ``months`` calendar months starting on ``day`` is over.

    The same day ``months`` later; when that month has no such day (29 February in a common
    year, 31 April), the first day of the month after, so that the period is never shortened:
    12 months from 2028-02-29 run through 2029-02-28 and are over on 2029-03-01. For whole
    years this is the rulebook's ``anniversary`` (credit/rules/catalogue.py).
    """
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    if day.day <= calendar.monthrange(year, month)[1]:
        return dt.date(year, month, day.day)
    return dt.date(year + month // 12, month % 12 + 1, 1)


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
    announce(listing, ChangeKind.PUBLISHED, at=max(clock.now(), clock.day_start(published_on)))
    audit.record("listing.publish", "listing", listing.id, actor_id=actor_id,
                 after={"enterprise": enterprise.uscc, **listing_state(listing)})
    return listing


def end_listing(listing: Listing, reason: RemovalReason, *, on: dt.date,
                actor_id: int | None, note: str | None = None) -> None:
    """Remove a live listing from public view, announce it in the feed, and end any repair
    application still open on it (there is nothing left to repair).

    An expiry is dated by the first moment of the expiry day, whenever ``tick`` writes it;
    any other removal takes effect now.
    """
    before = listing_state(listing)
    listing.removed_on = max(on, listing.published_on)
    listing.removal_reason = reason.value
    listing.removed_by_id = actor_id
    listing.removal_prompted = False
    at = (clock.day_start(listing.removed_on) if reason is RemovalReason.EXPIRED
          else max(clock.now(), clock.day_start(listing.removed_on)))
    announce(listing, ChangeKind.REMOVED, at=at)
    after = listing_state(listing)
    if note:
        after["note"] = note
    audit.record("listing.remove", "listing", listing.id, actor_id=actor_id,
                 before=before, after=after)
    if listing.kind == ListingKind.D and reason is not RemovalReason.REPAIRED:
        from credit.workflows.repair import end_with_listing

        end_with_listing(listing, on=listing.removed_on)


# -- the change feed ---------------------------------------------------------------------------

_FEED_LOCK_KEY = 0x4A4D5346  # "JMSF": serialises placing feed entries on PostgreSQL
_FEED_WRITTEN = "listing_feed_written"
_TICK = dt.timedelta(microseconds=1)


def announce(listing: Listing, change: ChangeKind, *, at: dt.datetime) -> ListingChange:
    """Add a publication or removal to the public feed; it is placed when the transaction
    commits (:func:`_place_in_feed`)."""
    entry = ListingChange(listing_id=listing.id, uscc=listing.enterprise.uscc, kind=listing.kind,
                          change=change.value, at=at, feed_at=None)
    db.session.add(entry)
    db.session.info[_FEED_WRITTEN] = True
    return entry


@event.listens_for(Session, "before_commit")
def _place_in_feed(session: Session) -> None:
    """Give the transaction's new feed entries their places, just before it commits.

    ``at`` is when a change takes effect; ``feed_at`` is its place in the feed, what mirrors
    page by: never before ``at`` and strictly after every entry already placed, so it is
    ``at`` itself unless something was placed later first (an expiry that ``tick`` writes the
    morning after goes after what was published meanwhile). On PostgreSQL an advisory lock is
    taken here and held until the commit completes, so that entries become visible in
    ``feed_at`` order: a mirror that has read up to some ``feed_at`` never later finds an entry
    before it. (SQLite has one writer at a time.) Taking the lock last, at commit, keeps it
    out of the way of every other lock: its holder waits for nothing.
    """
    if not session.info.pop(_FEED_WRITTEN, False):
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _FEED_LOCK_KEY})
    last = session.scalar(select(func.max(ListingChange.feed_at)))
    table = ListingChange.__table__
    placed = []
    for entry_id, at in session.execute(
        select(ListingChange.id, ListingChange.at).where(ListingChange.feed_at.is_(None))
        .order_by(ListingChange.id)
    ):
        last = at if last is None or at > last else last + _TICK
        placed.append({"_id": entry_id, "feed_at": last})
    if placed:
        session.execute(update(table).where(table.c.id == bindparam("_id"))
                        .values(feed_at=bindparam("feed_at")), placed)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_feed_writes(session: Session) -> None:
    session.info.pop(_FEED_WRITTEN, None)


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
