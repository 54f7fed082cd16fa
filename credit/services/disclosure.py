"""What the public may see: published, unexpired listings and the change feed. Nothing else.

This is the only module the portal and the open-data API read listings through. It returns
plain frozen values built from listings and registration facts; it never touches grades,
records, cases or applications, so an enterprise without a live listing (B, C, A not
published, D not yet published, removed or expired) looks exactly like any other.

Arguments are checked: a wrong one raises ``InvalidInput`` (the API answers 400), never a
TypeError from deep inside a query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from credit import clock
from credit.extensions import db
from credit.models import Enterprise, Listing, ListingChange, ListingKind
from credit.workflows.errors import InvalidInput

MAX_PAGE = 1000
MAX_CHANGES = 5000


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
    at: dt.datetime  # when it took effect (UTC)
    feed_at: dt.datetime  # its place in the feed (UTC): pass the last one seen as ``since``


def _kind(kind: Any) -> str | None:
    if kind is None:
        return None
    if isinstance(kind, str) and kind in ("A", "D"):
        return kind
    raise InvalidInput(f"kind must be A or D, got {kind!r}")


def _optional_text(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{what} must be text, got {type(value).__name__}")
    return value


def _count(value: Any, what: str, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise InvalidInput(f"{what} must be a whole number from 0 to {most}, got {value!r}")
    return value


def _day(today: Any) -> dt.date:
    if today is None:
        return clock.today()
    if isinstance(today, dt.datetime) or not isinstance(today, dt.date):
        raise InvalidInput(f"today must be a date, got {today!r}")
    return today


def _live(today: dt.date):
    return and_(Listing.removed_on.is_(None), Listing.expires_on > today,
                Listing.published_on <= today)


def _base(kind: Any, district: Any, query: Any, today: Any) -> Select:
    kind, day = _kind(kind), _day(today)
    district, query = _optional_text(district, "district"), _optional_text(query, "query")
    stmt = (select(Listing, Enterprise.uscc, Enterprise.name, Enterprise.district)
            .join(Enterprise, Enterprise.id == Listing.enterprise_id).where(_live(day)))
    if kind is not None:
        stmt = stmt.where(Listing.kind == kind)
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
    """Live listings, newest first; ``query`` matches a name substring or a USCC prefix.

    One item per listing: an enterprise may have several live D listings (one per published
    case), each with its own facts and period.
    """
    limit = _count(limit, "limit", MAX_PAGE)
    offset = _count(offset, "offset", 10**9)
    stmt = (_base(kind, district, query, today)
            .order_by(Listing.published_on.desc(), Listing.id.desc())
            .limit(limit).offset(offset))
    return [_public(*row) for row in db.session.execute(stmt)]


def count_published(kind: str | None = None, district: str | None = None,
                    query: str | None = None, today: dt.date | None = None) -> int:
    stmt = _base(kind, district, query, today).with_only_columns(func.count(Listing.id))
    return db.session.scalar(stmt) or 0


def listing_for(uscc: str, today: dt.date | None = None) -> tuple[PublicListing, ...]:
    """The live listings of one enterprise: empty for every enterprise without one."""
    if not isinstance(uscc, str):
        raise InvalidInput(f"uscc must be text, got {type(uscc).__name__}")
    stmt = (_base(None, None, None, today).where(Enterprise.uscc == uscc)
            .order_by(Listing.kind, Listing.published_on, Listing.id))
    return tuple(_public(*row) for row in db.session.execute(stmt))


def _utc(moment: Any, what: str) -> dt.datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, dt.datetime):
        raise InvalidInput(f"{what} must be a date and time, got {moment!r}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def changes_since(since: dt.datetime | None = None, limit: int = 500, *,
                  now: dt.datetime | None = None) -> list[PublicChange]:
    """Publications and removals that entered the feed after ``since``, in feed order.

    The feed is ordered by ``feed_at``, which only grows: a change written later always comes
    after every change a mirror has already read, even when it took effect earlier (an expiry
    that ``tick`` writes the morning after). A mirror passes the ``feed_at`` of the last change
    it read as ``since`` (naive times are UTC). ``at`` is when the change took effect; a
    change never shows before that moment, nor before its place in the feed.
    """
    since, now = _utc(since, "since"), _utc(now, "now") or clock.now()
    limit = _count(limit, "limit", MAX_CHANGES)
    # feed_at is never before at: what is placed by now has taken effect by now
    stmt = select(ListingChange.uscc, ListingChange.kind, ListingChange.change,
                  ListingChange.at, ListingChange.feed_at).where(ListingChange.feed_at <= now)
    if since is not None:
        stmt = stmt.where(ListingChange.feed_at > since)
    stmt = stmt.order_by(ListingChange.feed_at).limit(limit)
    return [PublicChange(*row) for row in db.session.execute(stmt)]
