"""One enterprise's file for staff: its grade and why, what changes it next, and its history.

Everything the enterprise page shows, loaded in a fixed number of queries (one per kind of
row), for a user who may read internal data of that enterprise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from credit.extensions import db
from credit.models import (
    APublicationApplication,
    DCase,
    Enterprise,
    Grade,
    GradeChange,
    Listing,
    Record,
    RepairApplication,
    User,
)
from credit.permissions import can_view_internal
from credit.services.grading import outlook
from credit.services.scoping import scope_to_jurisdiction

HISTORY_LIMIT = 100


@dataclass(frozen=True)
class ReasonLine:
    """A rule that holds (or an A condition not met) with the records behind it."""

    code: str
    refs: tuple[str, ...]
    records: tuple[Record, ...]


@dataclass(frozen=True)
class Event:
    on: dt.date
    kind: str  # a key of admin.wording.EVENTS
    obj: Any
    detail: dict = field(default_factory=dict)


@dataclass
class Dossier:
    enterprise: Enterprise
    grade: Grade | None
    reasons: list[ReasonLine]
    unmet: list[ReasonLine]
    next_changes: list[dict]
    history: list[GradeChange]
    records: list[Record]
    listings: list[Listing]
    cases: list[DCase]
    applications: list[APublicationApplication]
    repairs: list[RepairApplication]
    timeline: list[Event]


def find_enterprise(user: User, enterprise_id: int) -> Enterprise | None:
    """The enterprise, if it lies in the user's jurisdiction."""
    stmt = select(Enterprise).where(Enterprise.id == enterprise_id)
    return db.session.scalar(scope_to_jurisdiction(stmt, user, Enterprise.district))


def _lines(reasons: list[dict], by_ref: dict[str, list[Record]]) -> list[ReasonLine]:
    return [ReasonLine(r["code"], tuple(r.get("refs") or ()),
                       tuple(rec for ref in r.get("refs") or () for rec in by_ref.get(ref, ())))
            for r in reasons]


def load_dossier(user: User, enterprise: Enterprise, today: dt.date) -> Dossier:
    """Everything about one enterprise that its page shows (internal readers only)."""
    if not can_view_internal(user, enterprise):
        raise PermissionError("not an internal reader of this enterprise")
    eid = enterprise.id
    records = list(db.session.scalars(
        select(Record).where(Record.enterprise_id == eid)
        .order_by(Record.date.desc(), Record.type, Record.ref)))
    by_ref: dict[str, list[Record]] = {}
    for record in records:
        by_ref.setdefault(record.ref, []).append(record)
    grade = db.session.get(Grade, eid)
    history = list(db.session.scalars(
        select(GradeChange).where(GradeChange.enterprise_id == eid)
        .order_by(GradeChange.changed_on.desc(), GradeChange.id.desc()).limit(HISTORY_LIMIT)))
    look = outlook(eid, today)
    listings = list(db.session.scalars(
        select(Listing).where(Listing.enterprise_id == eid).order_by(Listing.id.desc())))
    cases = list(db.session.scalars(
        select(DCase).where(DCase.enterprise_id == eid).order_by(DCase.id.desc())))
    applications = list(db.session.scalars(
        select(APublicationApplication).where(APublicationApplication.enterprise_id == eid)
        .order_by(APublicationApplication.id.desc())))
    repairs = list(db.session.scalars(
        select(RepairApplication).join(Listing, Listing.id == RepairApplication.listing_id)
        .where(Listing.enterprise_id == eid).order_by(RepairApplication.id.desc())))
    return Dossier(
        enterprise=enterprise, grade=grade,
        reasons=_lines(grade.reasons if grade else [], by_ref),
        unmet=_lines(grade.unmet if grade else [], by_ref),
        next_changes=look["next"], history=history, records=records, listings=listings,
        cases=cases, applications=applications, repairs=repairs,
        timeline=_timeline(records, history, listings, cases, applications, repairs),
    )


def _day(value: dt.date | dt.datetime | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _timeline(records, history, listings, cases, applications, repairs) -> list[Event]:
    events: list[Event] = []

    def add(on, kind: str, obj: Any, **detail) -> None:
        if on is not None:
            events.append(Event(_day(on), kind, obj, detail))

    for r in records:
        add(r.date, "record", r)
    for h in history:
        add(h.changed_on, "grade", h)
    for a in applications:
        add(a.applied_on, "a_applied", a)
        add(a.inspected_at, "a_inspected", a)
        add(a.evaluated_at, "a_evaluated", a, approved=a.approved)
        add(a.published_at, "a_published", a)
        add(a.ended_at, "a_ended", a, reason=a.ended_reason)
    for c in cases:
        add(c.proposed_on, "d_proposed", c)
        add(c.reviewed_at, "d_reviewed", c, state=c.state)
        add(c.notice_sent_on, "d_notified", c)
        add(c.answered_on, "d_answered", c)
        add(c.answer_closed_on, "d_answer_closed", c)
        add(c.decided_on, "d_decided", c, state=c.state)
    for listing in listings:
        add(listing.published_on, "listing_published", listing)
        add(listing.removed_on, "listing_removed", listing, reason=listing.removal_reason)
    for p in repairs:
        add(p.applied_on, "repair_applied", p)
        add(p.handled_on, "repair_handled", p, state=p.state)
        add(p.verified_on, "repair_verified", p, state=p.state)
    events.sort(key=lambda e: e.on, reverse=True)
    return events
