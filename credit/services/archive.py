"""Staff edits of the archive: registration facts and records, one at a time.

Every function takes the acting user and checks ``can_record`` (role and jurisdiction)
itself, whoever calls it (the staff backend, a script, a test): ``NotPermitted`` otherwise.
Each change is validated by the same rules as the exchange format, logged in the audit trail
(a correction or removal with the reason given for it), and regrades its enterprise in the
same transaction when a graded fact changed. Functions flush; the caller commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from credit import clock
from credit.extensions import db
from credit.models import Enterprise, GradeTrigger, Record, User
from credit.permissions import can_record, can_record_in, is_recorder
from credit.services import audit
from credit.services.exchange import (
    ENTERPRISE_COLUMNS,
    RECORD_COLUMNS,
    Problems,
    enterprise_values,
    record_object,
    record_values,
    validate_enterprise,
    validate_record,
)
from credit.services.grading import regrade
from credit.vocabulary import DISTRICTS
from credit.workflows.errors import InvalidInput, NotPermitted, ensure

#: Registration facts the rulebook reads: a change to one of them regrades the enterprise.
GRADED_ENTERPRISE_FACTS = ("established_on", "qualification")
REASON_MAX = 1000


class InvalidRecord(InvalidInput, ValueError):
    """The record was refused; ``problems`` names every field that is wrong."""

    def __init__(self, problems: Problems):
        super().__init__("; ".join(problems.items))
        self.problems = problems


class InvalidEnterprise(InvalidInput, ValueError):
    """The registration facts were refused; ``problems`` names every field that is wrong."""

    def __init__(self, problems: Problems):
        super().__init__("; ".join(problems.items))
        self.problems = problems


def _reason(reason: Any, problems: Problems, doing: str) -> str | None:
    """The reason given for a correction or removal (kept in its audit entry)."""
    if reason is not None and not isinstance(reason, str):
        problems.add("reason", f"must be text, got {type(reason).__name__}")
        return None
    text = (reason or "").strip()
    if not text:
        problems.add("reason", f"is required: say why the {doing}")
        return None
    if len(text) > REASON_MAX:
        problems.add("reason", f"must be at most {REASON_MAX} characters, got {len(text)}")
        return None
    return text


# -- records -----------------------------------------------------------------------------------


def _snapshot(record: Record) -> dict[str, Any]:
    return record_object({c: getattr(record, c) for c in RECORD_COLUMNS})


def _check_record(enterprise: Enterprise, data: Any, problems: Problems, *,
                  ignore: Record | None = None) -> None:
    validate_record(data, "record", enterprise.established_on, clock.today(), problems)
    if not problems:
        clash = db.session.scalar(select(Record.id).where(
            Record.enterprise_id == enterprise.id, Record.type == data["type"],
            Record.ref == data["ref"]))
        if clash is not None and (ignore is None or clash != ignore.id):
            problems.add("record.ref", f"{data['ref']!r} is already recorded as a {data['type']}")


def add_record(actor: User, enterprise: Enterprise, data: dict[str, Any]) -> Record:
    """Add a record (exchange-format fields) and regrade the enterprise."""
    ensure(can_record(actor, enterprise), "add a record", enterprise)
    problems = Problems()
    _check_record(enterprise, data, problems)
    if problems:
        raise InvalidRecord(problems)
    record = Record(enterprise_id=enterprise.id, source="staff", recorded_by_id=actor.id,
                    **record_values(data))
    db.session.add(record)
    db.session.flush()
    audit.record("record.create", "record", record.id, actor_id=actor.id,
                 after={"enterprise": enterprise.uscc, **_snapshot(record)})
    regrade([enterprise.id], as_of=clock.today(), cause=GradeTrigger.RECORD_ADDED,
            actor_id=actor.id)
    return record


def change_record(actor: User, record: Record, data: dict[str, Any], *, reason: str) -> Record:
    """Correct a record (all its fields given anew), saying why, and regrade the enterprise."""
    enterprise = db.session.get(Enterprise, record.enterprise_id)
    ensure(can_record(actor, enterprise), "correct the record", enterprise)
    problems = Problems()
    _check_record(enterprise, data, problems, ignore=record)
    reason = _reason(reason, problems, "record is corrected")
    if problems:
        raise InvalidRecord(problems)
    before = _snapshot(record)
    for column, value in record_values(data).items():
        setattr(record, column, value)
    db.session.flush()
    after = _snapshot(record)
    if after != before:
        audit.record("record.update", "record", record.id, actor_id=actor.id,
                     before=before, after={**after, "reason": reason})
        regrade([enterprise.id], as_of=clock.today(), cause=GradeTrigger.RECORD_CHANGED,
                actor_id=actor.id)
    return record


def remove_record(actor: User, record: Record, *, reason: str) -> None:
    """Remove a record entered in error, saying why; the audit entry keeps what it said."""
    enterprise = db.session.get(Enterprise, record.enterprise_id)
    ensure(can_record(actor, enterprise), "remove the record", enterprise)
    problems = Problems()
    reason = _reason(reason, problems, "record is removed")
    if problems:
        raise InvalidRecord(problems)
    audit.record("record.delete", "record", record.id, actor_id=actor.id,
                 before={"enterprise_id": enterprise.id, **_snapshot(record)},
                 after={"reason": reason})
    db.session.delete(record)
    db.session.flush()
    regrade([enterprise.id], as_of=clock.today(), cause=GradeTrigger.RECORD_REMOVED,
            actor_id=actor.id)


# -- registration facts ------------------------------------------------------------------------


def _registration(values: dict[str, Any]) -> dict[str, Any]:
    """Column values as the audit log keeps them (JSON-safe)."""
    return {c: values[c].isoformat() if c == "established_on" else values[c]
            for c in ENTERPRISE_COLUMNS}


def _check_enterprise(data: Any, problems: Problems) -> None:
    validate_enterprise(data, "enterprise", clock.today(), problems)
    if isinstance(data, dict) and "records" in data:
        problems.add("enterprise.records",
                     "records are added one at a time, not with the registration facts")


def create_enterprise(actor: User, data: dict[str, Any]) -> Enterprise:
    """Register an enterprise (exchange-format fields without records) and grade it."""
    if not is_recorder(actor):
        raise NotPermitted("you may not register enterprises")
    district = data.get("district") if isinstance(data, dict) else None
    if district in DISTRICTS and not can_record_in(actor, district):
        raise NotPermitted(f"you may not register an enterprise in {district}")
    problems = Problems()
    _check_enterprise(data, problems)
    if not problems:
        taken = db.session.scalar(select(Enterprise.district)
                                  .where(Enterprise.uscc == data["uscc"]))
        if taken is not None:
            problems.add("enterprise.uscc", f"{data['uscc']!r} is already registered")
    if problems:
        raise InvalidEnterprise(problems)
    values = enterprise_values(data)
    enterprise = Enterprise(recorded_by_id=actor.id, **values)
    db.session.add(enterprise)
    db.session.flush()
    audit.record("enterprise.create", "enterprise", enterprise.id, actor_id=actor.id,
                 after=_registration(values))
    regrade([enterprise.id], as_of=clock.today(), cause=GradeTrigger.ENTERPRISE_ADDED,
            actor_id=actor.id)
    return enterprise


def update_enterprise(actor: User, enterprise: Enterprise, data: dict[str, Any], *,
                      reason: str) -> Enterprise:
    """Correct the registration facts (all given anew, the USCC unchanged), saying why.

    Moving an enterprise to another jurisdiction needs the right to record in both. A change
    to a graded fact (``established_on``, ``qualification``) regrades the enterprise.
    """
    ensure(can_record(actor, enterprise), "change the registration facts", enterprise)
    district = data.get("district") if isinstance(data, dict) else None
    if (district in DISTRICTS and district != enterprise.district
            and not can_record_in(actor, district)):
        raise NotPermitted(f"you may not move the enterprise to {district}")
    problems = Problems()
    _check_enterprise(data, problems)
    reason = _reason(reason, problems, "registration facts are corrected")
    if not problems:
        if data["uscc"] != enterprise.uscc:
            problems.add("enterprise.uscc", f"the USCC identifies the enterprise and cannot be "
                         f"changed (it is {enterprise.uscc!r})")
        values = enterprise_values(data)
        first = db.session.scalar(select(func.min(Record.date))
                                  .where(Record.enterprise_id == enterprise.id))
        if first is not None and values["established_on"] > first:
            problems.add("enterprise.established_on",
                         f"{data['established_on']} is after the enterprise's first record "
                         f"({first.isoformat()})")
    if problems:
        raise InvalidEnterprise(problems)
    before = _registration({c: getattr(enterprise, c) for c in ENTERPRISE_COLUMNS})
    after = _registration(values)
    if after == before:
        return enterprise
    for column, value in values.items():
        setattr(enterprise, column, value)
    db.session.flush()
    audit.record("enterprise.update", "enterprise", enterprise.id, actor_id=actor.id,
                 before=before, after={**after, "reason": reason})
    if any(before[c] != after[c] for c in GRADED_ENTERPRISE_FACTS):
        regrade([enterprise.id], as_of=clock.today(), cause=GradeTrigger.ENTERPRISE_CHANGED,
                actor_id=actor.id)
    return enterprise


def manual_regrade(actor: User, enterprise_ids: list[int]) -> int:
    """Regrade on a clerk's request (e.g. after a rulebook change); returns changes.

    Only enterprises the actor may record for are regraded; others are refused.
    """
    enterprises = db.session.execute(
        select(Enterprise.id, Enterprise.district).where(Enterprise.id.in_(enterprise_ids))
    ).all()
    for eid, district in enterprises:
        if not can_record_in(actor, district):
            raise NotPermitted(f"you may not regrade enterprise {eid}")
    return regrade([eid for eid, _ in enterprises], as_of=clock.today(),
                   cause=GradeTrigger.MANUAL_REGRADE, actor_id=actor.id).changed
