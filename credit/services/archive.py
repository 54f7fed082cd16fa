"""Staff edits of the archive: add, correct and remove records one at a time.

Each change is validated by the same rules as the exchange format, logged in the audit trail,
and regrades its enterprise in the same transaction. Functions flush; the caller commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from credit import clock
from credit.extensions import db
from credit.models import Enterprise, GradeTrigger, Record
from credit.services import audit
from credit.services.exchange import (
    RECORD_COLUMNS,
    Problems,
    record_object,
    record_values,
    validate_record,
)
from credit.services.grading import regrade


class InvalidRecord(ValueError):
    """The record was refused; ``problems`` names every field that is wrong."""

    def __init__(self, problems: Problems):
        super().__init__("; ".join(problems.items))
        self.problems = problems


def _snapshot(record: Record) -> dict[str, Any]:
    return record_object({c: getattr(record, c) for c in RECORD_COLUMNS})


def _check(enterprise: Enterprise, data: dict[str, Any], *, ignore: Record | None = None) -> None:
    problems = Problems()
    validate_record(data, "record", enterprise.established_on, clock.today(), problems)
    if not problems:
        clash = db.session.scalar(select(Record.id).where(
            Record.enterprise_id == enterprise.id, Record.type == data["type"],
            Record.ref == data["ref"]))
        if clash is not None and (ignore is None or clash != ignore.id):
            problems.add("record.ref", f"{data['ref']!r} is already recorded as a {data['type']}")
    if problems:
        raise InvalidRecord(problems)


def add_record(enterprise: Enterprise, data: dict[str, Any], *,
               actor_id: int | None = None, source: str = "staff") -> Record:
    """Add a record (exchange-format fields) and regrade the enterprise."""
    _check(enterprise, data)
    record = Record(enterprise_id=enterprise.id, source=source, recorded_by_id=actor_id,
                    **record_values(data))
    db.session.add(record)
    db.session.flush()
    audit.record("record.create", "record", record.id, actor_id=actor_id,
                 after={"enterprise": enterprise.uscc, **_snapshot(record)})
    regrade([enterprise.id], as_of=clock.today(), cause=GradeTrigger.RECORD_ADDED,
            actor_id=actor_id)
    return record


def change_record(record: Record, data: dict[str, Any], *, actor_id: int | None = None) -> Record:
    """Correct a record (all its fields given anew) and regrade the enterprise."""
    enterprise = db.session.get(Enterprise, record.enterprise_id)
    _check(enterprise, data, ignore=record)
    before = _snapshot(record)
    for column, value in record_values(data).items():
        setattr(record, column, value)
    db.session.flush()
    after = _snapshot(record)
    if after != before:
        audit.record("record.update", "record", record.id, actor_id=actor_id,
                     before=before, after=after)
        regrade([enterprise.id], as_of=clock.today(), cause=GradeTrigger.RECORD_CHANGED,
                actor_id=actor_id)
    return record


def remove_record(record: Record, *, actor_id: int | None = None) -> None:
    """Remove a record entered in error; the audit entry keeps what it said."""
    enterprise_id = record.enterprise_id
    audit.record("record.delete", "record", record.id, actor_id=actor_id,
                 before={"enterprise_id": enterprise_id, **_snapshot(record)})
    db.session.delete(record)
    db.session.flush()
    regrade([enterprise_id], as_of=clock.today(), cause=GradeTrigger.RECORD_REMOVED,
            actor_id=actor_id)


def manual_regrade(enterprise_ids: list[int], *, actor_id: int | None = None) -> int:
    """Regrade on a clerk's request (e.g. after a rulebook change); returns changes."""
    return regrade(enterprise_ids, as_of=clock.today(), cause=GradeTrigger.MANUAL_REGRADE,
                   actor_id=actor_id).changed
