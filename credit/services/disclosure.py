"""What the public may see: published, unexpired listings and the change feed. Nothing else.

This is the only module the portal and the open-data API read listings through. It returns
plain frozen values built from listings and registration facts; it never touches grades,
records, cases or applications, so an enterprise without a live listing (B, C, A not
published, D not yet published, removed or expired) looks exactly like any other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select

from credit import clock
from credit.extensions import db
from credit.models import Enterprise, Listing, ListingChange, ListingKind


@dataclass(frozen=True)
class DisclosedRecord:
    type: str
    date: dt.date
    ref: str


@dataclass(frozen=True)
class PublicListing:
    uscc: str
    name: str
    district: str
    kind: str  # "A" or "D"
    published_on: dt.date
    expires_on: dt.date  # the first day it is no longer shown
    reasons: tuple[str, ...] = ()  # D: the rule codes the publisher chose to disclose
    records: tuple[DisclosedRecord, ...] = ()  # D: the records chosen; A: none
    summary: str | None = None  # D: the publisher's public wording


@dataclass(frozen=True)
class PublicChange:
    uscc: str
    kind: str
    change: str  # "published" or "removed"
    at: dt.datetime


def _live(today: dt.date | None = None):
    day = today or clock.today()
    return and_(Listing.removed_on.is_(None), Listing.expires_on > day,
                Listing.published_on <= day)


def _base(kind: str | None, district: str | None, query: str | None,
          today: dt.date | None) -> Select:
    stmt = (select(Listing, Enterprise.uscc, Enterprise.name, Enterprise.district)
            .join(Enterprise, Enterprise.id == Listing.enterprise_id).where(_live(today)))
    if kind is not None:
        stmt = stmt.where(Listing.kind == ListingKind(kind).value)
    if district:
        stmt = stmt.where(Enterprise.district == district)
    if query and query.strip():
        q = query.strip()
        stmt = stmt.where(or_(Enterprise.name.contains(q, autoescape=True),
                              Enterprise.uscc.startswith(q.upper(), autoescape=True)))
    return stmt


def _public(listing: Listing, uscc: str, name: str, district: str) -> PublicListing:
    disclosed = (listing.disclosed or {}) if listing.kind == ListingKind.D else {}
    return PublicListing(
        uscc=uscc, name=name, district=district, kind=listing.kind,
        published_on=listing.published_on, expires_on=listing.expires_on,
        reasons=tuple(disclosed.get("reasons") or ()),
        records=tuple(DisclosedRecord(r["type"], dt.date.fromisoformat(r["date"]), r["ref"])
                      for r in disclosed.get("records") or ()),
        summary=disclosed.get("summary") or None,
    )


def published_listings(kind: str | None = None, district: str | None = None,
                       query: str | None = None, limit: int = 50, offset: int = 0,
                       today: dt.date | None = None) -> list[PublicListing]:
    """Live listings, newest first; ``query`` matches a name substring or a USCC prefix."""
    stmt = (_base(kind, district, query, today)
            .order_by(Listing.published_on.desc(), Listing.id.desc())
            .limit(max(0, min(limit, 1000))).offset(max(0, offset)))
    return [_public(*row) for row in db.session.execute(stmt)]


def count_published(kind: str | None = None, district: str | None = None,
                    query: str | None = None, today: dt.date | None = None) -> int:
    stmt = _base(kind, district, query, today).with_only_columns(func.count(Listing.id))
    return db.session.scalar(stmt) or 0


def listing_for(uscc: str, today: dt.date | None = None) -> tuple[PublicListing, ...]:
    """The live listings of one enterprise: empty for every enterprise without one."""
    stmt = _base(None, None, None, today).where(Enterprise.uscc == uscc).order_by(Listing.kind)
    return tuple(_public(*row) for row in db.session.execute(stmt))


def changes_since(since: dt.datetime | None = None, limit: int = 500) -> list[PublicChange]:
    """Publications and removals after ``since`` (UTC), oldest first, for mirrors to follow."""
    stmt = select(ListingChange.uscc, ListingChange.kind, ListingChange.change,
                  ListingChange.at)
    if since is not None:
        stmt = stmt.where(ListingChange.at > since)
    stmt = stmt.order_by(ListingChange.at, ListingChange.id).limit(max(0, min(limit, 5000)))
    return [PublicChange(*row) for row in db.session.execute(stmt)]
