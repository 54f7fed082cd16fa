"""The audit log: append entries sealed by a keyed hash chain, anchor it outside the database,
and verify all of it. The threat model is in docs/workflows.md (Audit).

Sealing. Each entry's hash is HMAC-SHA256, under the audit key, of its content and the previous
entry's hash. The key (``AUDIT_KEY``) never enters the database, so someone who can only change
the database cannot write an entry that verifies: an edited, inserted or removed row breaks the
chain there, even if every later hash is recomputed.

Writing. :func:`record` inserts the entry at once, in the caller's transaction: it is committed
or rolled back with the change it describes, and nothing the session does in between (a bulk
path emptying the session, a later flush) can lose it. Appends are serialised: on PostgreSQL by
a transaction-scoped advisory lock (several workers may write at once), on SQLite by its single
writer. The chain head is kept in ``session.info`` until the transaction ends.

Grade history. Each batch of grade changes is covered by one ``grade.changes`` entry holding the
count and digest of its rows, and each row names that entry (``grade_changes.audit_entry_id``).

Anchors. A checkpoint (entry count, last id, head hash, sealed with the key) is appended to a
file outside the database (``AUDIT_CHECKPOINTS``) by ``credit audit checkpoint`` (daily cron) and
by ``credit audit verify``. Entries removed from the end of the log, or a log rebuilt from an
earlier point, no longer match it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import (
    Connection,
    bindparam,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from credit.extensions import db
from credit.models import AuditEntry, Enterprise, Grade, GradeChange, User

GENESIS = "0" * 64
GRADE_ACTION = "grade.changes"
CHECKPOINT_ACTION = "audit.checkpoint"
_LOCK_KEY = 0x4A4D5341  # "JMSA": the advisory lock that serialises appends on PostgreSQL
_HEAD = "audit_head"
_ENTRIES = AuditEntry.__table__
_INSERT = insert(_ENTRIES)  # one statement object: compiled once, rows passed as parameters
_GRADE_COLUMNS = (GradeChange.enterprise_id, GradeChange.changed_on, GradeChange.old_grade,
                  GradeChange.new_grade, GradeChange.reasons, GradeChange.rulebook,
                  GradeChange.cause, GradeChange.actor_id)
_GRADE_KEYS = tuple(c.key for c in _GRADE_COLUMNS)

log = logging.getLogger(__name__)


class AuditKeyMismatch(RuntimeError):
    """This process's audit key is not the one that sealed the log's last entry."""


# --- sealing -----------------------------------------------------------------------------


def audit_key() -> bytes:
    """The configured audit key (``AUDIT_KEY``; ``create_app`` supplies one)."""
    key = current_app.config.get("AUDIT_KEY")
    if not key:
        raise RuntimeError("AUDIT_KEY is not configured")
    return key.encode() if isinstance(key, str) else key


def key_id(key: bytes) -> str:
    """A fingerprint that names a key without revealing it."""
    return hmac.new(key, b"jms-audit key id", hashlib.sha256).hexdigest()[:16]


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


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=_json_default).encode()


def entry_hash(key: bytes | None, prev_hash: str, at: dt.datetime, actor: str, action: str,
               object_type: str, object_id: str | None, before: Any, after: Any) -> str:
    """One entry's seal: HMAC-SHA256 of its content chained to the previous entry's hash.

    ``key=None`` gives the unkeyed SHA-256 that entries had before the log was keyed; it is only
    used to check such entries once, when :func:`reseal_unkeyed` seals them with the key.
    """
    body = _canonical([prev_hash, at.isoformat(timespec="microseconds"), actor, action,
                       object_type, object_id, before, after])
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def grade_digest(rows: Iterable[Any]) -> tuple[int, str]:
    """(count, SHA-256) of grade-change rows in the order they were written (their id order).

    Each row is a dict with the keys of ``_GRADE_KEYS``, or a sequence of their values in that
    order (a database row).
    """
    digest, count = hashlib.sha256(), 0
    for row in rows:
        values = [row[k] for k in _GRADE_KEYS] if isinstance(row, dict) else list(row)
        digest.update(_canonical(values) + b"\n")
        count += 1
    return count, digest.hexdigest()


# --- writing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One entry to append: what was done to which object, by whom, before and after."""

    action: str
    object_type: str
    object_id: Any = None
    actor_id: int | None = None
    before: Any = None
    after: Any = None


def _actor_label(actor_id: int | None) -> str:
    if actor_id is not None:
        cache = db.session.info.setdefault("audit_actor_names", {})
        if actor_id not in cache:
            cache[actor_id] = db.session.scalar(select(User.username).where(User.id == actor_id))
        return cache[actor_id] or f"user:{actor_id}"
    if has_request_context():
        return "anonymous"
    return g.get("audit_actor", "system")


def ensure_key() -> None:
    """Raise :class:`AuditKeyMismatch` if the log's last entry was sealed with another key."""
    key = audit_key()
    last = db.session.execute(select(AuditEntry.id, AuditEntry.key_id)
                              .order_by(AuditEntry.id.desc()).limit(1)).first()
    _refuse_other_key(last, key)


def _refuse_other_key(last: Any, key: bytes) -> None:
    if last is not None and last.key_id is not None and last.key_id != key_id(key):
        raise AuditKeyMismatch(
            f"audit entry {last.id} was sealed with audit key {last.key_id}, this process has "
            f"{key_id(key)}: every process writing to this database needs the same AUDIT_KEY"
        )


def _head(key: bytes) -> str:
    """The hash of the last entry, read once per transaction under the append lock."""
    session = db.session
    if _HEAD not in session.info:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        last = session.execute(
            select(AuditEntry.id, AuditEntry.hash, AuditEntry.key_id)
            .order_by(AuditEntry.id.desc()).limit(1)
        ).first()
        _refuse_other_key(last, key)
        session.info[_HEAD] = last.hash if last is not None else GENESIS
    return session.info[_HEAD]


def _seal(changes: Sequence[Change], key: bytes, prev: str) -> list[dict]:
    rows, kid = [], key_id(key)
    for change in changes:
        at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        actor = _actor_label(change.actor_id)
        oid = None if change.object_id is None else str(change.object_id)
        before, after = _plain(change.before), _plain(change.after)
        digest = entry_hash(key, prev, at, actor, change.action, change.object_type, oid,
                            before, after)
        rows.append({"at": at, "actor_id": change.actor_id, "actor": actor,
                     "action": change.action, "object_type": change.object_type,
                     "object_id": oid, "before": before, "after": after, "prev_hash": prev,
                     "hash": digest, "key_id": kid})
        prev = digest
    return rows


def record(action: str, object_type: str, object_id: Any, *, actor_id: int | None = None,
           before: Any = None, after: Any = None) -> int:
    """Append an entry now, in the caller's transaction (never committed here); its id."""
    key = audit_key()
    row = _seal([Change(action, object_type, object_id, actor_id, before, after)], key,
                _head(key))[0]
    # Core, not the unit of work: written at once, and no autoflush of the caller's objects.
    entry_id = db.session.execute(_INSERT, row).inserted_primary_key[0]
    db.session.info[_HEAD] = row["hash"]
    return entry_id


def record_many(changes: Sequence[Change]) -> None:
    """Append several entries at once (one statement), in order, in the caller's transaction."""
    if not changes:
        return
    key = audit_key()
    rows = _seal(changes, key, _head(key))
    db.session.execute(_INSERT, rows)
    db.session.info[_HEAD] = rows[-1]["hash"]


def record_grade_changes(history: Sequence[dict], *, actor_id: int | None = None) -> int:
    """Cover a batch of grade-change rows (about to be inserted in this order) with one entry.

    Returns the entry's id, which each row must carry as ``audit_entry_id``.
    """
    count, digest = grade_digest(history)
    causes = sorted({row["cause"] for row in history})
    days = sorted({row["changed_on"] for row in history})
    return record(GRADE_ACTION, "grades", None, actor_id=actor_id,
                  after={"changes": count, "digest": digest, "causes": causes,
                         "changed_on": [days[0], days[-1]] if days else []})


@event.listens_for(Session, "after_soft_rollback")
def _forget_head_on_rollback(session: Session, previous_transaction: Any) -> None:
    """A rollback (of a savepoint too) may have taken entries with it: read the head again."""
    session.info.pop(_HEAD, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction: Any) -> None:
    """The cached head is only good inside the transaction that holds the append lock."""
    if transaction.parent is None:
        session.info.pop(_HEAD, None)


# --- checkpoints -------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    at: str
    entries: int
    last_id: int
    head: str
    line: int = 0

    def fields(self) -> dict:
        return {"at": self.at, "entries": self.entries, "last_id": self.last_id,
                "head": self.head}


def checkpoint_path() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINTS"])


def _mac(key: bytes, fields: dict) -> str:
    return hmac.new(key, _canonical(fields), hashlib.sha256).hexdigest()


@dataclass
class Break:
    """The first problem found: where (an entry, a grade change, a checkpoint) and what."""

    entry_id: int | None
    problem: str
    where: str = ""

    def __post_init__(self) -> None:
        if not self.where:
            self.where = f"entry {self.entry_id}"


def read_checkpoints(key: bytes) -> tuple[list[Checkpoint], Break | None]:
    """The checkpoints in the file, oldest first, each checked against the key."""
    path = checkpoint_path()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return [], None  # none written yet
    except (OSError, UnicodeDecodeError) as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
        return [], Break(None, f"cannot be read ({problem})", f"checkpoint file {path}")
    found, kid = [], key_id(key)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"checkpoint {path}:{number}"
        try:
            data = json.loads(line)
            point = Checkpoint(str(data["at"]), int(data["entries"]), int(data["last_id"]),
                               str(data["head"]), number)
        except (ValueError, KeyError, TypeError):
            return found, Break(None, "is not a checkpoint (the file was edited)", where)
        if data.get("key_id") != kid:
            return found, Break(None, f"was written with another audit key "
                                      f"({data.get('key_id')}; this process has {kid}): "
                                      "AUDIT_KEY differs, or the line was forged", where)
        if not hmac.compare_digest(str(data.get("mac", "")), _mac(key, point.fields())):
            return found, Break(None, "is not sealed with the audit key (the file was edited)",
                                where)
        found.append(point)
    return found, None


def append_checkpoint(report: Report, *, register: bool = False) -> Checkpoint | None:
    """Anchor an intact log's head in the checkpoint file; None if nothing new to anchor.

    ``register`` also appends an ``audit.checkpoint`` entry naming the line (the caller
    commits), so that a checkpoint file later replaced, truncated or lost is noticed.
    """
    if report.broken is not None:
        raise ValueError("an audit log that does not verify is not anchored")
    last = report.last_checkpoint
    if report.unanchored == 0:
        if not register or last is None or report.registered == last.last_id:
            return None
        # The head is anchored by a line `verify` wrote; the cron registers that line.
        record(CHECKPOINT_ACTION, "audit", None,
               after={**last.fields(), "file": str(checkpoint_path())})
        return last
    key = audit_key()
    point = Checkpoint(dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
                       + "Z", report.entries, report.last_id, report.head)
    line = json.dumps({**point.fields(), "key_id": key_id(key), "mac": _mac(key, point.fields())},
                      sort_keys=True) + "\n"
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())  # one write to an O_APPEND file: whole lines, never mixed
        os.fsync(fd)
    finally:
        os.close(fd)
    if register:
        record(CHECKPOINT_ACTION, "audit", None, after={**point.fields(), "file": str(path)})
    return point


# --- verifying ---------------------------------------------------------------------------


@dataclass
class Report:
    """What :func:`check` found: the verified length and head, or the first problem."""

    entries: int = 0
    last_id: int = 0
    head: str = GENESIS
    checkpoints: int = 0  # checkpoint lines checked
    last_checkpoint: Checkpoint | None = None  # the one with the highest entry id
    unanchored: int = 0  # entries after the last checkpoint (other than audit.checkpoint ones)
    registered: int = 0  # the entry id of the last checkpoint an audit.checkpoint entry names
    broken: Break | None = None


def _stream(statement: Any, batch: int, opened: list) -> Iterator[Any]:
    """Rows of one query, fetched ``batch`` at a time from a server-side cursor: one sort (or
    index scan) for the whole table, whatever the planner thinks of the table's size."""
    result = db.session.execute(statement.execution_options(yield_per=batch))
    opened.append(result)
    yield from result


def _entries(batch: int, opened: list) -> Iterator[Any]:
    return _stream(
        select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
               AuditEntry.object_type, AuditEntry.object_id, AuditEntry.before,
               AuditEntry.after, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.key_id)
        .order_by(AuditEntry.id), batch, opened)


def _grade_rows(batch: int, opened: list) -> Iterator[Any]:
    """Grade-change rows in (covering entry, id) order."""
    return _stream(select(GradeChange.audit_entry_id, GradeChange.id, *_GRADE_COLUMNS)
                   .order_by(GradeChange.audit_entry_id, GradeChange.id), batch, opened)


class _Peek:
    def __init__(self, rows: Iterator[Any]):
        self._rows, self.next = rows, next(rows, None)

    def take(self, entry_id: int) -> Iterator[Any]:
        """The grade columns of the rows that name this entry."""
        while self.next is not None and self.next.audit_entry_id == entry_id:
            row, self.next = self.next, next(self._rows, None)
            yield row[2:]


def _stray(row: Any) -> Break:
    return Break(None, f"names audit entry {row.audit_entry_id}, which covers no grade changes "
                       "(the row was added or moved)", f"grade change {row.id}")


def check(*, batch: int = 5000) -> Report:
    """Walk the whole log in order: links, keyed hashes, grade digests and checkpoints."""
    opened: list = []
    try:
        return _check(batch, opened)
    finally:
        for result in opened:
            result.close()


def _check(batch: int, opened: list) -> Report:
    key = audit_key()
    kid = key_id(key)
    report = Report()
    anchors, broken = read_checkpoints(key)
    if broken is not None:
        report.broken = broken
        return report
    todo = sorted(anchors, key=lambda a: a.last_id)
    report.last_checkpoint = todo[-1] if todo else None
    anchored_to = todo[-1].last_id if todo else 0
    lines = {a.last_id: a for a in todo}
    grades = _Peek(_grade_rows(batch, opened))

    def fail(entry_id: int | None, problem: str, where: str = "") -> Report:
        report.broken = Break(entry_id, problem, where)
        return report

    for row in _entries(batch, opened):
        if todo and todo[0].last_id < row.id:
            point = todo[0]
            return fail(point.last_id, f"is missing: the checkpoint of {point.at} recorded it "
                                       f"as entry number {point.entries} (entries were removed)")
        if row.prev_hash != report.head:
            return fail(row.id, "does not follow the entry before it (a row was removed, "
                                "inserted or its link edited)")
        if row.key_id != kid:
            return fail(row.id, "was not sealed with this audit key (key "
                                f"{row.key_id or 'none: an unkeyed hash'}, this process has "
                                f"{kid}): the row was forged, or AUDIT_KEY differs")
        expected = entry_hash(key, row.prev_hash, row.at, row.actor, row.action,
                              row.object_type, row.object_id, row.before, row.after)
        if not hmac.compare_digest(expected, row.hash):
            return fail(row.id, "its content does not match its hash (the row was edited)")
        report.entries += 1
        while todo and todo[0].last_id == row.id:
            point = todo.pop(0)
            if point.head != row.hash:
                return fail(row.id, f"is not the entry the checkpoint of {point.at} recorded "
                                    "(the log was rewritten from here or before)")
            if point.entries != report.entries:
                return fail(row.id, f"is entry number {report.entries}, the checkpoint of "
                                    f"{point.at} counted {point.entries} (entries were "
                                    "removed or inserted before it)")
            report.checkpoints += 1
        while grades.next is not None and grades.next.audit_entry_id < row.id:
            report.broken = _stray(grades.next)
            return report
        if row.action == CHECKPOINT_ACTION:
            after = row.after or {}
            line = lines.get(after.get("last_id"))
            report.registered = after.get("last_id") or 0
            if line is None or line.head != after.get("head"):
                return fail(row.id, f"records the checkpoint of {after.get('at')} (entry "
                                    f"{after.get('last_id')}), which {checkpoint_path()} does "
                                    "not hold: the file was replaced or cut short, or "
                                    "AUDIT_CHECKPOINTS names another file than the one "
                                    "'credit audit checkpoint' writes")
        elif row.id > anchored_to:
            report.unanchored += 1
        if row.action == GRADE_ACTION:
            count, digest = grade_digest(grades.take(row.id))
            after = row.after or {}
            if (count, digest) != (after.get("changes"), after.get("digest")):
                return fail(row.id, f"the {count} grade changes it covers do not match its "
                                    f"digest of {after.get('changes')} (a grade change was "
                                    "edited, added or removed)")
        report.head, report.last_id = row.hash, row.id
    if todo:
        point = todo[0]
        return fail(point.last_id, f"is missing: the checkpoint of {point.at} recorded "
                                   f"{point.entries} entries up to it, the log now has "
                                   f"{report.entries} up to entry {report.last_id} (entries "
                                   "were removed from the end)")
    if grades.next is not None:
        report.broken = _stray(grades.next)
        return report
    uncovered = db.session.scalar(
        select(func.min(GradeChange.id)).where(GradeChange.audit_entry_id.is_(None)))
    if uncovered is not None:
        return fail(None, "is not covered by the audit log (the row was added)",
                    f"grade change {uncovered}")
    return _check_current_grades(report, batch, opened)


def _check_current_grades(report: Report, batch: int, opened: list) -> Report:
    """Each stored grade must be the one its enterprise's last recorded grade change gave.

    Grades are streamed; each chunk's changes are looked up by the enterprise index. The plan
    cannot go wrong on tables just loaded, before the database has statistics for them (one
    correlated query did on PostgreSQL: a backward scan of the whole table per grade).
    """
    stream = _stream(select(Grade.enterprise_id, Grade.grade, Grade.rulebook)
                     .order_by(Grade.enterprise_id), batch, opened)
    while grades := list(islice(stream, batch)):
        latest: dict[int, tuple] = {}
        for eid, change_id, new_grade, rulebook in db.session.execute(
            select(GradeChange.enterprise_id, GradeChange.id, GradeChange.new_grade,
                   GradeChange.rulebook)
            .where(GradeChange.enterprise_id.in_([row.enterprise_id for row in grades]))
        ):
            if eid not in latest or change_id > latest[eid][0]:
                latest[eid] = (change_id, new_grade, rulebook)
        for eid, grade, rulebook in grades:
            given = latest.get(eid, (None, None, None))
            if given[1:] != (grade, rulebook):
                uscc = db.session.scalar(select(Enterprise.uscc).where(Enterprise.id == eid))
                report.broken = Break(
                    None, f"is {grade}, but its last recorded grade change gave "
                          f"{given[1] or 'none'} (the stored grade was edited)",
                    f"the grade of enterprise {uscc}")
                return report
    return report


def verify(batch: int = 5000) -> Iterator[Break]:
    """Yield the first problem of the log, if any (then stop)."""
    broken = check(batch=batch).broken
    if broken is not None:
        yield broken


# --- logs written before the key ---------------------------------------------------------


@dataclass
class ResealResult:
    entries: int  # unkeyed entries sealed with the key
    grade_changes: int  # grade changes that no entry covered, now covered by one
    broken_at: int | None  # the first unkeyed entry that did not verify (then none resealed)


_COLUMNS = [_ENTRIES.c[name] for name in ("id", "at", "actor", "action", "object_type",
                                          "object_id", "before", "after", "prev_hash", "hash")]


def _unkeyed_rows(connection: Connection, batch: int) -> Iterator[list[Any]]:
    last_id = 0
    while rows := connection.execute(select(*_COLUMNS).where(_ENTRIES.c.id > last_id)
                                     .order_by(_ENTRIES.c.id).limit(batch)).all():
        yield rows
        last_id = rows[-1].id


def _content(row: Any) -> tuple:
    return (row.at, row.actor, row.action, row.object_type, row.object_id, row.before, row.after)


def reseal_unkeyed(connection: Connection, key: bytes, *, batch: int = 5000) -> ResealResult:
    """Seal with the key a log written before the audit was keyed (run by the migration).

    The old entries must form an intact unkeyed SHA-256 chain; if they do, each is sealed again
    in place (same content, same order) and an ``audit.reseal`` entry records how many there
    were and their old head. If they do not, they are left as they were, so ``credit audit
    verify`` keeps failing on them: a break from before the upgrade is never laundered. Grade
    changes that no entry covers (all of them, before the upgrade) get one ``grade.changes``
    entry either way.
    """
    table, kid = _ENTRIES, key_id(key)
    counts = dict(connection.execute(
        select(table.c.key_id.is_(None), func.count()).group_by(table.c.key_id.is_(None))).all())
    unkeyed, keyed = counts.get(True, 0), counts.get(False, 0)
    resealed, broken_at = 0, None
    if unkeyed and keyed:
        log.warning("audit log: %s entries are keyed already; nothing resealed", keyed)
    elif unkeyed:
        prev = GENESIS
        for rows in _unkeyed_rows(connection, batch):
            for row in rows:
                if row.prev_hash != prev or entry_hash(None, prev, *_content(row)) != row.hash:
                    broken_at = row.id
                    break
                prev = row.hash
            if broken_at is not None:
                break
        if broken_at is not None:
            log.warning("audit log: entry %s does not verify under the old unkeyed hash; the "
                        "log was left unsealed (credit audit verify reports it)", broken_at)
        else:
            old_head, new_prev = prev, GENESIS
            statement = (update(table).where(table.c.id == bindparam("_id"))
                         .values(prev_hash=bindparam("prev_hash"), hash=bindparam("hash"),
                                 key_id=bindparam("key_id")))
            for rows in _unkeyed_rows(connection, batch):
                values = []
                for row in rows:
                    sealed = entry_hash(key, new_prev, *_content(row))
                    values.append({"_id": row.id, "prev_hash": new_prev, "hash": sealed,
                                   "key_id": kid})
                    new_prev = sealed
                connection.execute(statement, values)
                resealed += len(values)
            _append_raw(connection, key, Change(
                "audit.reseal", "audit", None,
                after={"entries": resealed, "unkeyed_head": old_head}))
    grades = _cover_uncovered_grades(connection, key, batch)
    return ResealResult(resealed, grades, broken_at)


def _append_raw(connection: Connection, key: bytes, change: Change) -> int:
    """Append an entry through a bare connection (in a migration, where no session runs)."""
    prev = connection.scalar(select(_ENTRIES.c.hash).order_by(_ENTRIES.c.id.desc()).limit(1))
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    after = _plain(change.after)
    digest = entry_hash(key, prev or GENESIS, at, "migration", change.action,
                        change.object_type, None, None, after)
    return connection.execute(insert(_ENTRIES).values(
        at=at, actor_id=None, actor="migration", action=change.action,
        object_type=change.object_type, object_id=None, before=None, after=after,
        prev_hash=prev or GENESIS, hash=digest, key_id=key_id(key),
    )).inserted_primary_key[0]


def _cover_uncovered_grades(connection: Connection, key: bytes, batch: int) -> int:
    table = GradeChange.__table__
    uncovered = table.c.audit_entry_id.is_(None)

    def rows() -> Iterator[Any]:
        last = 0
        while chunk := connection.execute(
            select(table.c.id, *[table.c[k] for k in _GRADE_KEYS])
            .where(uncovered, table.c.id > last).order_by(table.c.id).limit(batch)
        ).all():
            for row in chunk:
                yield row[1:]
            last = chunk[-1].id

    count, digest = grade_digest(rows())
    if count:
        entry_id = _append_raw(connection, key, Change(
            GRADE_ACTION, "grades", None, after={"changes": count, "digest": digest,
                                                 "before_upgrade": True}))
        connection.execute(update(table).where(uncovered).values(audit_entry_id=entry_id))
    return count
