"""Stored grades: compute them from the archive in bulk, keep the current one and its history.

Reads enterprises and records a batch at a time (two queries per batch, never one per
enterprise), evaluates the pure rulebook, and writes only the grades that changed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields

from flask import current_app
from sqlalchemy import select

from credit.extensions import db
from credit.models import Enterprise, Grade, GradeChange, GradeTrigger, Record
from credit.rules.engine import evaluate
from credit.rules.facts import ArchiveFacts, Assessment, Reason, RecordFacts
from credit.services import audit
from credit.services.bulk import end_batch, insert_rows, update_rows
from credit.vocabulary import DETAIL_FIELDS

_FACT_COLUMNS = ("type", "ref", "date", *DETAIL_FIELDS, "resolved_on")
_RECORD_COLUMNS = [getattr(Record, name) for name in _FACT_COLUMNS]
# Rows become RecordFacts positionally (fast); keep the two orders the same.
assert _FACT_COLUMNS == tuple(f.name for f in fields(RecordFacts))


def batched(items: Iterable[int], size: int) -> Iterator[list[int]]:
    """Split ids into lists of at most ``size``."""
    batch: list[int] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_facts(enterprise_ids: Sequence[int]) -> dict[int, ArchiveFacts]:
    """The archives of these enterprises as the rules see them: two queries in all."""
    if not enterprise_ids:
        return {}
    heads = db.session.execute(
        select(Enterprise.id, Enterprise.established_on, Enterprise.qualification).where(
            Enterprise.id.in_(enterprise_ids)
        )
    ).all()
    records: dict[int, list[RecordFacts]] = defaultdict(list)
    rows = db.session.execute(
        select(Record.enterprise_id, *_RECORD_COLUMNS).where(
            Record.enterprise_id.in_(enterprise_ids)
        )
    )
    for row in rows:
        records[row[0]].append(RecordFacts(*row[1:]))
    return {
        eid: ArchiveFacts(established, qualification, tuple(records.get(eid, ())))
        for eid, established, qualification in heads
    }


def reasons_json(reasons: Iterable[Reason]) -> list[dict]:
    """Reasons as stored and printed: ``[{"code": "C2", "refs": [...]}]``."""
    return [{"code": r.code, "refs": list(r.refs)} for r in reasons]


@dataclass
class RegradeResult:
    evaluated: int = 0
    changed: int = 0

    def __iadd__(self, other: RegradeResult) -> RegradeResult:
        self.evaluated += other.evaluated
        self.changed += other.changed
        return self


def regrade(
    enterprise_ids: Sequence[int],
    *,
    as_of: dt.date,
    cause: GradeTrigger,
    actor_id: int | None = None,
) -> RegradeResult:
    """Grade these enterprises as of a date; store and log only what changed. Flushes only."""
    result = RegradeResult()
    size = current_app.config["BATCH_SIZE"]
    for batch in batched(enterprise_ids, size):
        result += _regrade_batch(batch, as_of, cause, actor_id)
    return result


def _regrade_batch(ids: list[int], as_of: dt.date, cause: GradeTrigger,
                   actor_id: int | None) -> RegradeResult:
    facts = load_facts(ids)
    stored = {
        g.enterprise_id: g
        for g in db.session.execute(
            select(Grade.enterprise_id, Grade.grade, Grade.reasons, Grade.unmet, Grade.rulebook)
            .where(Grade.enterprise_id.in_(ids))
        )
    }
    new_rows, changed_rows, history = [], [], []
    for eid, archive in facts.items():
        assessment = evaluate(archive, as_of)
        reasons, unmet = reasons_json(assessment.reasons), reasons_json(assessment.unmet)
        old = stored.get(eid)
        if old is not None and (old.grade, old.reasons, old.unmet, old.rulebook) == (
            assessment.grade, reasons, unmet, assessment.rulebook
        ):
            continue
        values = {
            "enterprise_id": eid,
            "grade": assessment.grade,
            "reasons": reasons,
            "unmet": unmet,
            "rulebook": assessment.rulebook,
        }
        if old is None:
            new_rows.append({**values, "since": as_of})
        else:
            if old.grade != assessment.grade:
                values["since"] = as_of
            changed_rows.append(values)
        history.append({
            "enterprise_id": eid,
            "changed_on": as_of,
            "old_grade": old.grade if old else None,
            "new_grade": assessment.grade,
            "reasons": reasons,
            "rulebook": assessment.rulebook,
            "cause": cause.value,
            "actor_id": actor_id,
        })
    insert_rows(Grade.__table__, new_rows)
    # Rows that keep their grade keep their "since"; update the two shapes separately.
    for rows in (
        [r for r in changed_rows if "since" in r],
        [r for r in changed_rows if "since" not in r],
    ):
        update_rows(Grade.__table__, rows, key="enterprise_id")
    if history:
        # One audit entry per batch covers its rows by their digest; each row names it.
        entry_id = audit.record_grade_changes(history, actor_id=actor_id)
        for row in history:
            row["audit_entry_id"] = entry_id
        insert_rows(GradeChange.__table__, history)
    after_grade_changes(history)
    return RegradeResult(evaluated=len(facts), changed=len(history))


#: Called with the history rows of each batch of grade changes (the workflows listen here).
grade_change_listeners: list[Callable[[list[dict]], None]] = []


def after_grade_changes(history: list[dict]) -> None:
    for listener in grade_change_listeners:
        listener(history)


def regrade_all(
    *,
    as_of: dt.date,
    cause: GradeTrigger,
    actor_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> RegradeResult:
    """Grade every enterprise, a batch at a time in bounded memory (keyset over ids)."""
    size = current_app.config["BATCH_SIZE"]
    result = RegradeResult()
    last = 0
    while True:
        ids = db.session.scalars(
            select(Enterprise.id).where(Enterprise.id > last).order_by(Enterprise.id).limit(size)
        ).all()
        if not ids:
            return result
        result += _regrade_batch(list(ids), as_of, cause, actor_id)
        end_batch()
        last = ids[-1]
        if progress:
            progress(len(ids))


def assess(enterprise_id: int, as_of: dt.date) -> Assessment:
    """The grade an enterprise has (or had, or will have) on a date, not stored."""
    return evaluate(load_facts([enterprise_id])[enterprise_id], as_of)


def iter_assessments(as_of: dt.date) -> Iterator[tuple[str, Assessment]]:
    """(uscc, assessment) of every enterprise in USCC order, a batch at a time."""
    size = current_app.config["BATCH_SIZE"]
    last = ""
    while True:
        rows = db.session.execute(
            select(Enterprise.id, Enterprise.uscc).where(Enterprise.uscc > last)
            .order_by(Enterprise.uscc).limit(size)
        ).all()
        if not rows:
            return
        facts = load_facts([r.id for r in rows])
        for eid, uscc in rows:
            yield uscc, evaluate(facts[eid], as_of)
        last = rows[-1].uscc


def outlook(enterprise_id: int, as_of: dt.date) -> dict:
    """The grade on a date and how it will change if nothing new is recorded."""
    from credit.rules.forecast import forecast

    archive = load_facts([enterprise_id])[enterprise_id]
    now = evaluate(archive, as_of)
    return {
        "as_of": as_of.isoformat(),
        "grade": now.grade,
        "reasons": reasons_json(now.reasons),
        "unmet": reasons_json(now.unmet),
        "rulebook": now.rulebook,
        "next": [{"on": c.on.isoformat(), "grade": c.grade, "reasons": reasons_json(c.reasons)}
                 for c in forecast(archive, as_of)],
    }
