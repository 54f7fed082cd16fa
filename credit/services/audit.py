"""The audit log: append entries chained by SHA-256, and verify the chain.

Each entry's hash covers its content and the previous entry's hash, so editing, inserting or
deleting any row breaks the chain at that row. Appends are serialised: on PostgreSQL by a
transaction-scoped advisory lock (several workers may write at once), on SQLite by its single
writer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from credit.extensions import db
from credit.models import AuditEntry, User

GENESIS = "0" * 64
_LOCK_KEY = 0x4A4D5341  # "JMSA": the advisory lock that serialises appends on PostgreSQL
_LAST = "audit_last_hash"


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _plain(value: Any) -> Any:
    """A JSON-safe copy, exactly as it will be stored and hashed."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))


def entry_hash(prev_hash: str, at: dt.datetime, actor: str, action: str, object_type: str,
               object_id: str | None, before: Any, after: Any) -> str:
    """The hash of one entry's content, chained to the previous entry."""
    body = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor, action, object_type,
         object_id, before, after],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _actor_label(actor_id: int | None) -> str:
    if actor_id is not None:
        cache = db.session.info.setdefault("audit_actor_names", {})
        if actor_id not in cache:
            cache[actor_id] = db.session.scalar(select(User.username).where(User.id == actor_id))
        return cache[actor_id] or f"user:{actor_id}"
    if has_request_context():
        return "anonymous"
    return g.get("audit_actor", "system")


def _last_hash() -> str:
    session = db.session
    if _LAST not in session.info:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        last = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
        session.info[_LAST] = last or GENESIS
    return session.info[_LAST]


def record(action: str, object_type: str, object_id: Any, *, actor_id: int | None = None,
           before: Any = None, after: Any = None) -> AuditEntry:
    """Append an entry (flushed with the caller's transaction, never committed here)."""
    prev = _last_hash()
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    actor = _actor_label(actor_id)
    oid = None if object_id is None else str(object_id)
    before, after = _plain(before), _plain(after)
    digest = entry_hash(prev, at, actor, action, object_type, oid, before, after)
    entry = AuditEntry(at=at, actor_id=actor_id, actor=actor, action=action,
                       object_type=object_type, object_id=oid, before=before, after=after,
                       prev_hash=prev, hash=digest)
    db.session.add(entry)
    db.session.info[_LAST] = digest
    return entry


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_position(session: Session) -> None:
    """The cached chain head is only good inside the transaction that holds the lock."""
    session.info.pop(_LAST, None)


@dataclass
class Break:
    entry_id: int
    problem: str


def verify(batch: int = 5000) -> Iterator[Break]:
    """Walk the chain in order; yield the first broken link, if any (then stop)."""
    prev, last_id = GENESIS, 0
    while True:
        rows = db.session.execute(
            select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
                   AuditEntry.object_type, AuditEntry.object_id, AuditEntry.before,
                   AuditEntry.after, AuditEntry.prev_hash, AuditEntry.hash)
            .where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            if row.prev_hash != prev:
                yield Break(row.id, "does not follow the entry before it (a row was removed, "
                                    "inserted or its link edited)")
                return
            expected = entry_hash(row.prev_hash, row.at, row.actor, row.action, row.object_type,
                                  row.object_id, row.before, row.after)
            if expected != row.hash:
                yield Break(row.id, "its content does not match its hash (the row was edited)")
                return
            prev = row.hash
        last_id = rows[-1].id
