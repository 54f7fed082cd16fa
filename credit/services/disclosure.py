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
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Date, Select, and_, bindparam, func, or_, select

from credit import clock
from credit.extensions import db, driver_connection
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
    decision_no: str | None = None  # D: the number of the listing decision
    certificate_token: str | None = None  # A: the token of its printable certificate


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


def _live(today: Any):
    """Live on ``today`` (a date, or a bound parameter of one)."""
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


def _public(listing: Any, uscc: str, name: str, district: str) -> PublicListing:
    """A public listing from a Listing (or a row with its kind, dates, disclosed facts, id
    and certificate token)."""
    disclosed = (listing.disclosed or {}) if listing.kind == ListingKind.D else {}
    return PublicListing(
        uscc=uscc, name=name, district=district, kind=listing.kind,
        published_on=listing.published_on, expires_on=listing.expires_on,
        reasons=tuple(disclosed.get("reasons") or ()),
        records=tuple(DisclosedRecord(r["type"], dt.date.fromisoformat(r["date"]), r["ref"])
                      for r in disclosed.get("records") or ()),
        summary=disclosed.get("summary") or None,
        decision_no=(f"佳市监质信〔{listing.published_on.year}〕{listing.id}号"
                     if listing.kind == ListingKind.D else None),
        certificate_token=listing.certificate_token if listing.kind == ListingKind.A else None,
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
    if query is None or not isinstance(query, str) or not query.strip():
        # The list pages' count: a statement built once a shape (it cost more than running).
        kind, day, district = _kind(kind), _day(today), _optional_text(district, "district")
        raw, dialect = driver_connection()
        postgresql = dialect == "postgresql"
        params = {"today": _driver_day(day, postgresql), "kind": kind, "district": district}
        statement = _count_live_sql(postgresql, kind is not None, bool(district))
        return raw.execute(statement.sql, statement.values(params)).fetchone()[0]
    stmt = _base(kind, district, query, today).with_only_columns(func.count(Listing.id))
    return db.session.scalar(stmt) or 0


@functools.cache
def _count_live_sql(postgresql: bool, by_kind: bool, by_district: bool) -> _DriverSQL:
    """The list pages' count of live listings, for the driver (as :func:`_listed_sql`)."""
    day = bindparam("today", type_=Date)
    stmt = (select(func.count(Listing.id))
            .where(_live(day)))
    if by_kind:
        stmt = stmt.where(Listing.kind == bindparam("kind"))
    if by_district:
        stmt = stmt.join(Enterprise, Enterprise.id == Listing.enterprise_id).where(
            Enterprise.district == bindparam("district"))
    return _for_driver(stmt, postgresql)


def listing_for(uscc: str, today: dt.date | None = None) -> tuple[PublicListing, ...]:
    """The live listings of one enterprise: empty for every enterprise without one."""
    if not isinstance(uscc, str):
        raise InvalidInput(f"uscc must be text, got {type(uscc).__name__}")
    return listings_for_many([uscc], today)[uscc]


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
    it read as ``since`` (naive times are UTC); for a change placed when it happened, which is
    nearly all of them, ``feed_at`` is ``at``. ``at`` is when the change took effect; nothing
    shows before that moment.
    """
    return _feed(since, limit, 0, now)


def _feed(since: Any, limit: Any, offset: int, now: Any) -> list[PublicChange]:
    since, now = _utc(since, "since"), _utc(now, "now") or clock.now()
    limit = _count(limit, "limit", MAX_CHANGES)
    # feed_at is never before at: what is placed by now has taken effect by now
    stmt = select(ListingChange.uscc, ListingChange.kind, ListingChange.change,
                  ListingChange.at, ListingChange.feed_at).where(ListingChange.feed_at <= now)
    if since is not None:
        stmt = stmt.where(ListingChange.feed_at > since)
    stmt = stmt.order_by(ListingChange.feed_at).limit(limit).offset(offset)
    return [PublicChange(*row) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class ListedEnterprise:
    """An enterprise with a live listing: its registration facts and every live listing."""

    uscc: str
    name: str
    district: str
    established_on: dt.date
    industry: str | None
    address: str | None
    listings: tuple[PublicListing, ...]


@dataclass(frozen=True)
class NamedChange:
    """A feed entry with the enterprise's name, for the home page and the Atom feed."""

    uscc: str
    name: str
    district: str
    kind: str
    change: str
    at: dt.datetime


@dataclass(frozen=True)
class PublicCertificate:
    """What a certificate printed for an A listing says, and whether it still holds."""

    token: str
    uscc: str
    name: str
    published_on: dt.date
    expires_on: dt.date
    status: str  # "valid", "expired" or "withdrawn" (never why it ended)


class _ListingRow(NamedTuple):
    id: int
    kind: str
    published_on: dt.date
    expires_on: dt.date
    disclosed: Any
    certificate_token: str | None
    uscc: str
    name: str
    district: str


_LISTING_COLUMNS = (Listing.id, Listing.kind, Listing.published_on, Listing.expires_on,
                    Listing.disclosed, Listing.certificate_token)


class _DriverSQL(NamedTuple):
    """A statement as SQL text for the driver's own connection, with positional parameters
    (sqlite3 binds ``?`` for a third of what it costs to bind a ``:name``), and the names of
    the values they take, in order."""

    sql: str
    names: tuple[str, ...]

    def values(self, named: dict[str, Any]) -> list[Any]:
        return [named[name] for name in self.names]


def _for_driver(stmt: Select, postgresql: bool) -> _DriverSQL:
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
    from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

    dialect = (PGDialect_psycopg(paramstyle="format") if postgresql
               else SQLiteDialect_pysqlite(paramstyle="qmark"))
    compiled = stmt.compile(dialect=dialect)
    return _DriverSQL(str(compiled), tuple(compiled.positiontup))


def _fixed_order(statement: _DriverSQL, old: str, new: str) -> _DriverSQL:
    # SQLite plans without statistics (no ANALYZE): given the liveness conditions, it walked
    # every live listing and looked for it among the page's enterprises, so a page's cost grew
    # with the lists. INDEXED BY (and CROSS JOIN, SQLite's way of fixing a join's order) makes
    # it read the page's enterprises' own listings only.
    fixed = statement.sql.replace(old, new)
    assert fixed != statement.sql
    return statement._replace(sql=fixed)


@functools.lru_cache(maxsize=256)
def _listings_of_many_sql(postgresql: bool, count: int) -> _DriverSQL:
    """The live listings of ``count`` enterprises by USCC (values ``today``, ``u0``,
    ``u1``...), compiled once a dialect and count for the driver. The enterprise page, the
    lists and the CSV downloads run it: through the ORM, with the USCCs as an expanding
    parameter compiled on every call, it cost a page twice the instructions it does now
    (docs/benchmarks.md). Built with :func:`_live`, the one definition of a live listing."""
    stmt = (select(*_LISTING_COLUMNS, Enterprise.uscc, Enterprise.name, Enterprise.district)
            .select_from(Enterprise)
            .join(Listing, Listing.enterprise_id == Enterprise.id)
            .where(_live(bindparam("today", type_=Date)),
                   Enterprise.uscc.in_([bindparam(f"u{i}") for i in range(count)]))
            .order_by(Enterprise.uscc, Listing.kind, Listing.published_on, Listing.id))
    statement = _for_driver(stmt, postgresql)
    if postgresql:
        return statement
    return _fixed_order(
        statement, "FROM enterprises JOIN listings ON",
        "FROM enterprises CROSS JOIN listings INDEXED BY ix_listings_enterprise ON")


@functools.lru_cache(maxsize=256)
def _listings_of_ids_sql(postgresql: bool, count: int) -> _DriverSQL:
    """The live listings of ``count`` enterprises by internal id (values ``today``,
    ``e0``, ``e1``...), their enterprise's id last: no enterprise is read."""
    stmt = (select(*_LISTING_COLUMNS, Listing.enterprise_id)
            .where(_live(bindparam("today", type_=Date)),
                   Listing.enterprise_id.in_([bindparam(f"e{i}") for i in range(count)]))
            .order_by(Listing.enterprise_id, Listing.kind, Listing.published_on, Listing.id))
    statement = _for_driver(stmt, postgresql)
    assert statement.names == ("today", "today", *(f"e{i}" for i in range(count)))
    if postgresql:
        return statement
    return _fixed_order(statement, "FROM listings",
                        "FROM listings INDEXED BY ix_listings_enterprise")


def _fetch(raw, postgresql: bool, sql: str, values: list[Any]) -> list:
    """Rows of listings on the driver's connection, typed: SQLite keeps dates as ISO text and
    JSON as text (and takes ``today`` as ISO text: :func:`_driver_day`)."""
    if postgresql:
        return raw.execute(sql, values).fetchall()
    return [(id_, kind, dt.date.fromisoformat(published), dt.date.fromisoformat(expires),
             json.loads(disclosed) if disclosed else None, *rest)
            for id_, kind, published, expires, disclosed, *rest
            in raw.execute(sql, values).fetchall()]


def _driver_day(day: dt.date, postgresql: bool) -> dt.date | str:
    return day if postgresql else day.isoformat()


def listings_for_many(usccs, today: dt.date | None = None) -> dict[str, tuple[PublicListing, ...]]:
    """The live listings of several enterprises at once: uscc -> listings (A before D)."""
    usccs = list(dict.fromkeys(usccs))
    found: dict[str, list[PublicListing]] = {u: [] for u in usccs}
    day = _day(today)
    if usccs:
        raw, dialect = driver_connection()
        postgresql = dialect == "postgresql"
    for start in range(0, len(usccs), _MANY):
        some = usccs[start:start + _MANY]
        statement = _listings_of_many_sql(postgresql, len(some))
        named: dict[str, Any] = {f"u{i}": uscc for i, uscc in enumerate(some)}
        named["today"] = _driver_day(day, postgresql)
        for row in _fetch(raw, postgresql, statement.sql, statement.values(named)):
            row = _ListingRow(*row)
            found[row.uscc].append(_public(row, row.uscc, row.name, row.district))
    return {u: tuple(items) for u, items in found.items()}


def listings_of_found(found: Mapping[int, Any], today: dt.date | None = None
                      ) -> dict[str, tuple[PublicListing, ...]]:
    """The live listings of enterprises a statement has just read (a search's, a list page's):
    ``found`` maps an internal id to the enterprise's public facts (``uscc``, ``name``,
    ``district``: a search result), the answer a USCC to its listings (A before D), as
    :func:`listings_for_many` gives them.

    The ids come from that statement and stay on the server. By id, the listings are read
    without looking the USCCs up again (docs/benchmarks.md).
    """
    day = _day(today)
    listings = dict.fromkeys([facts.uscc for facts in found.values()], ())
    ids = list(found)
    if ids:
        raw, dialect = driver_connection()
        postgresql = dialect == "postgresql"
        day = _driver_day(day, postgresql)
    for start in range(0, len(ids), _MANY):
        some = ids[start:start + _MANY]
        sql = _listings_of_ids_sql(postgresql, len(some)).sql  # values: today, today, ids
        for *row, enterprise_id in _fetch(raw, postgresql, sql, [day, day, *some]):
            facts = found[enterprise_id]
            listings[facts.uscc] += (_public(
                _ListingRow(*row, facts.uscc, facts.name, facts.district),
                facts.uscc, facts.name, facts.district),)
    return listings


#: USCCs a statement of listings_for_many asks for (the CSV download asks for a thousand).
_MANY = 100


def listed_enterprises(kind: str, *, district: str | None = None, industry: str | None = None,
                       limit: int = 20, offset: int = 0,
                       today: dt.date | None = None) -> list[ListedEnterprise]:
    """Enterprises with a live listing of ``kind``, each once (an enterprise may have several
    live D listings), the one with the newest such listing first. ``industry`` is a GB/T 4754
    code prefix (a section, division or class: ``C``, ``C13``, ``C1311``)."""
    kind, day = _kind(kind), _day(today)
    if kind is None:
        raise InvalidInput("kind must be A or D, got None")
    district = _optional_text(district, "district")
    industry = _optional_text(industry, "industry")
    limit, offset = _count(limit, "limit", MAX_PAGE), _count(offset, "offset", 10**9)
    params: dict[str, Any] = {"kind": kind, "limit": limit, "offset": offset}
    if district:
        params["district"] = district
    if industry:
        params["industry"] = _LIKE_ESCAPES.sub(r"/\g<0>", industry) + "%"
    raw, dialect = driver_connection()
    postgresql = dialect == "postgresql"
    params["today"] = _driver_day(day, postgresql)
    statement = _listed_sql(postgresql, bool(district), bool(industry))
    rows = raw.execute(statement.sql, statement.values(params)).fetchall()
    if not postgresql:  # SQLite keeps dates as ISO text
        rows = [(*row[:3], dt.date.fromisoformat(row[3]), *row[4:]) for row in rows]
    listings = listings_of_found({row[-1]: _Named(*row[:3]) for row in rows}, day)
    return [ListedEnterprise(uscc=uscc, name=name, district=district_, established_on=est,
                             industry=industry_, address=address, listings=listings[uscc])
            for uscc, name, district_, est, industry_, address, _id in rows]


class _Named(NamedTuple):
    """What :func:`listings_of_found` needs of an enterprise."""

    uscc: str
    name: str
    district: str


_LIKE_ESCAPES = re.compile(r"[%_/]")


@functools.cache
def _listed_sql(postgresql: bool, by_district: bool, by_industry: bool) -> _DriverSQL:
    """The list pages' statement for the driver, compiled once a dialect and shape: through the
    Session and SQLAlchemy's rows, a list page's two statements had cost it a sixth of its
    instructions (docs/benchmarks.md). The enterprise's id comes last, for its listings."""
    day = bindparam("today", type_=Date)
    newest = (select(Listing.enterprise_id,
                     func.max(Listing.published_on).label("published_on"),
                     func.max(Listing.id).label("listing_id"))
              .where(_live(day), Listing.kind == bindparam("kind"))
              .group_by(Listing.enterprise_id)
              .subquery())
    stmt = (select(Enterprise.uscc, Enterprise.name, Enterprise.district,
                   Enterprise.established_on, Enterprise.industry, Enterprise.address,
                   Enterprise.id)
            .join(newest, newest.c.enterprise_id == Enterprise.id)
            .order_by(newest.c.published_on.desc(), newest.c.listing_id.desc())
            .limit(bindparam("limit")).offset(bindparam("offset")))
    if by_district:
        stmt = stmt.where(Enterprise.district == bindparam("district"))
    if by_industry:
        stmt = stmt.where(Enterprise.industry.like(bindparam("industry"), escape="/"))
    return _for_driver(stmt, postgresql)


def iter_listed(kind: str, today: dt.date | None = None, batch: int = 1000):
    """Every enterprise with a live listing of ``kind`` (for the CSV download), in batches."""
    offset = 0
    while True:
        rows = listed_enterprises(kind, limit=batch, offset=offset, today=today)
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def count_by_kind(today: dt.date | None = None) -> dict[str, int]:
    """How many live listings of each kind: {"A": n, "D": m}."""
    stmt = (select(Listing.kind, func.count(Listing.id)).where(_live(_day(today)))
            .group_by(Listing.kind))
    counts = {kind.value: 0 for kind in ListingKind}
    counts.update({kind: n for kind, n in db.session.execute(stmt)})
    return counts


def recent_changes(limit: int = 10, change: str | None = None) -> list[NamedChange]:
    """The latest publications and removals that have happened, newest first, with the
    enterprise's name."""
    limit = _count(limit, "limit", 500)
    if change is not None and change not in ("published", "removed"):
        raise InvalidInput(f"change must be published or removed, got {change!r}")
    stmt = (select(ListingChange.uscc, Enterprise.name, Enterprise.district, ListingChange.kind,
                   ListingChange.change, ListingChange.at)
            .join(Enterprise, Enterprise.uscc == ListingChange.uscc)
            .where(ListingChange.feed_at <= clock.now())
            .order_by(ListingChange.at.desc(), ListingChange.id.desc())
            .limit(limit))
    if change is not None:
        stmt = stmt.where(ListingChange.change == change)
    return [NamedChange(*row) for row in db.session.execute(stmt)]


def change_page(since: dt.datetime | None = None, *, limit: int = 100,
                offset: int = 0) -> list[PublicChange]:
    """One page of the change feed after ``since`` (see :func:`changes_since`)."""
    return _feed(since, limit, _count(offset, "offset", 10**9), None)


def certificate(token: str, today: dt.date | None = None) -> PublicCertificate | None:
    """The certificate of an A listing by its token: valid, expired or withdrawn; ``None`` for
    an unknown token. Says nothing of why a listing ended."""
    if not token or len(token) > 64:
        return None
    row = db.session.execute(
        select(Listing.published_on, Listing.expires_on, Listing.removed_on,
               Listing.removal_reason, Enterprise.uscc, Enterprise.name)
        .join(Enterprise, Enterprise.id == Listing.enterprise_id)
        .where(Listing.certificate_token == token, Listing.kind == ListingKind.A.value)
    ).first()
    day = today or clock.today()
    if row is None or row.published_on > day:
        return None
    if row.removed_on is not None and row.removal_reason != "expired" \
            and row.removed_on < row.expires_on:
        status = "withdrawn"
    elif row.removed_on is not None or day >= row.expires_on:
        status = "expired"
    else:
        status = "valid"
    return PublicCertificate(token=token, uscc=row.uscc, name=row.name,
                             published_on=row.published_on, expires_on=row.expires_on,
                             status=status)
