"""Staff work queues: what waits for whom, with its deadline in working days.

Each queue is one scoped query (the user's jurisdiction is in the query), a few queries per
page whatever its length, and the same definition serves the queue pages, their counts on the
dashboard and the tests. Deadlines come from :func:`credit.workflows.deadline_of` (the A steps
and the D review have none in the policy, so only their waiting time is shown).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from credit.extensions import db
from credit.models import (
    APublicationApplication,
    APubState,
    DCase,
    DCaseState,
    Enterprise,
    Listing,
    ListingKind,
    Record,
    RepairApplication,
    RepairState,
    Role,
    User,
)
from credit.permissions import (
    can_evaluate_any,
    can_inspect_any,
    can_publish_any,
    can_review_cases,
    has_role,
)
from credit.services.scoping import scope_to_jurisdiction
from credit.workdays import workdays_between
from credit.workflows import deadline_of

#: Listings whose validity ends within this many calendar days are shown as expiring.
EXPIRING_DAYS = 30


@dataclass(frozen=True)
class QueueItem:
    """One thing waiting for someone."""

    kind: str  # "a_application" | "d_case" | "repair" | "listing"
    id: int
    version: int
    state: str
    enterprise_id: int
    uscc: str
    name: str
    district: str
    since: dt.date  # when it entered the stage it waits in
    due: dt.date | None  # the last day still in time; None when the policy sets no deadline
    workdays_left: int | None  # working days from today to ``due`` (0 on the day itself)
    overdue: bool
    waited: int  # working days since ``since``
    blocked: str | None = None  # why this user may not act on it ("four_eyes"), if so
    obj: Any = None  # the ORM row, for the item's page


@dataclass(frozen=True)
class QueueDef:
    key: str
    kind: str
    may_act: Callable[[User | None], bool]
    query: Callable[[dt.date], Select]
    since: Callable[[Any], dt.date]
    #: SQL condition for "overdue today" (None: this queue has no deadline).
    overdue: Callable[[dt.date], Any] | None = None
    #: Order: the most urgent first.
    order: Callable[[], tuple] = lambda: ()


@dataclass
class Queue:
    key: str
    kind: str
    items: list[QueueItem]
    total: int
    overdue: int
    may_act: bool


def _application(*states: APubState, inspection: bool = False) -> Callable[[dt.date], Select]:
    def query(today: dt.date) -> Select:
        stmt = (select(APublicationApplication, Enterprise)
                .join(Enterprise, Enterprise.id == APublicationApplication.enterprise_id)
                .where(APublicationApplication.state.in_([s.value for s in states])))
        if inspection:
            stmt = stmt.where(APublicationApplication.needs_inspection.is_(True))
        return stmt
    return query


def _case(*states: DCaseState) -> Callable[[dt.date], Select]:
    def query(today: dt.date) -> Select:
        return (select(DCase, Enterprise).join(Enterprise, Enterprise.id == DCase.enterprise_id)
                .where(DCase.state.in_([s.value for s in states])))
    return query


def _repair(state: RepairState) -> Callable[[dt.date], Select]:
    def query(today: dt.date) -> Select:
        return (select(RepairApplication, Enterprise)
                .join(Listing, Listing.id == RepairApplication.listing_id)
                .join(Enterprise, Enterprise.id == Listing.enterprise_id)
                .where(RepairApplication.state == state.value))
    return query


def _expiring(today: dt.date) -> Select:
    return (select(Listing, Enterprise).join(Enterprise, Enterprise.id == Listing.enterprise_id)
            .where(Listing.removed_on.is_(None),
                   Listing.expires_on <= today + dt.timedelta(days=EXPIRING_DAYS + 1)))


def _prompted(today: dt.date) -> Select:
    return (select(Listing, Enterprise).join(Enterprise, Enterprise.id == Listing.enterprise_id)
            .where(Listing.removed_on.is_(None), Listing.kind == ListingKind.D.value,
                   Listing.removal_prompted.is_(True)))


def _day(value: dt.datetime | dt.date | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


QUEUES: tuple[QueueDef, ...] = (
    QueueDef("a_inspection", "a_application", can_inspect_any,
             _application(APubState.INSPECTION_PENDING, inspection=True),
             lambda a: a.applied_on,
             order=lambda: (APublicationApplication.applied_on, APublicationApplication.id)),
    QueueDef("a_evaluation", "a_application", can_evaluate_any,
             _application(APubState.EVALUATING),
             lambda a: _day(a.inspected_at) or a.applied_on,
             order=lambda: (APublicationApplication.applied_on, APublicationApplication.id)),
    QueueDef("a_publication", "a_application", can_publish_any,
             _application(APubState.APPROVED), lambda a: _day(a.evaluated_at),
             order=lambda: (APublicationApplication.evaluated_at, APublicationApplication.id)),
    QueueDef("d_review", "d_case", can_review_cases, _case(DCaseState.PROPOSED),
             lambda c: c.proposed_on, order=lambda: (DCase.proposed_on, DCase.id)),
    QueueDef("d_notice", "d_case", can_publish_any, _case(DCaseState.CONFIRMED),
             lambda c: _day(c.reviewed_at), order=lambda: (DCase.reviewed_at, DCase.id)),
    QueueDef("d_answer", "d_case", can_publish_any, _case(DCaseState.NOTIFIED),
             lambda c: c.notice_sent_on,
             overdue=lambda today: DCase.answer_due < today,
             order=lambda: (DCase.answer_due, DCase.id)),
    QueueDef("d_decision", "d_case", can_publish_any,
             _case(DCaseState.ANSWERED, DCaseState.ANSWER_CLOSED),
             lambda c: c.answered_on or c.answer_closed_on or c.answer_due,
             order=lambda: (DCase.answer_due, DCase.id)),
    QueueDef("repair_accept", "repair", can_publish_any, _repair(RepairState.APPLIED),
             lambda r: r.applied_on, overdue=lambda today: RepairApplication.accept_due < today,
             order=lambda: (RepairApplication.accept_due, RepairApplication.id)),
    QueueDef("repair_verify", "repair", can_publish_any, _repair(RepairState.ACCEPTED),
             lambda r: r.handled_on, overdue=lambda today: RepairApplication.verify_due < today,
             order=lambda: (RepairApplication.verify_due, RepairApplication.id)),
    QueueDef("listing_removal", "listing", can_publish_any, _prompted,
             lambda listing: listing.published_on,
             order=lambda: (Listing.expires_on, Listing.id)),
    QueueDef("listing_expiring", "listing", can_publish_any, _expiring,
             lambda listing: listing.published_on,
             order=lambda: (Listing.expires_on, Listing.id)),
)
QUEUES_BY_KEY = {q.key: q for q in QUEUES}


def may_read(user: User | None, queue: QueueDef) -> bool:
    """Who sees a queue: those who act on it, and the auditor (read-only)."""
    return queue.may_act(user) or has_role(user, Role.AUDITOR)


def queues_for(user: User | None) -> list[QueueDef]:
    return [q for q in QUEUES if may_read(user, q)]


def _scoped(queue: QueueDef, user: User, today: dt.date) -> Select:
    return scope_to_jurisdiction(queue.query(today), user, Enterprise.district)


def load_queue(user: User, key: str, today: dt.date, *, limit: int = 100) -> Queue:
    """The items of one queue the user may read, the most urgent first (at most ``limit``)."""
    queue = QUEUES_BY_KEY[key]
    if not may_read(user, queue):
        return Queue(key, queue.kind, [], 0, 0, False)
    stmt = _scoped(queue, user, today)
    rows = db.session.execute(stmt.order_by(*queue.order()).limit(limit)).all()
    total, overdue = _counts(queue, user, today)
    blocked = _four_eyes(user, [obj for obj, _ in rows]) if key == "d_review" else set()
    items = [_item(queue, obj, ent, today, "four_eyes" if obj.id in blocked else None)
             for obj, ent in rows]
    return Queue(key, queue.kind, items, total, overdue, queue.may_act(user))


def _counts(queue: QueueDef, user: User, today: dt.date) -> tuple[int, int]:
    base = _scoped(queue, user, today).with_only_columns(func.count()).order_by(None)
    total = db.session.scalar(base) or 0
    overdue = 0
    if queue.overdue is not None and total:
        overdue = db.session.scalar(base.where(queue.overdue(today))) or 0
    return total, overdue


def queue_counts(user: User, today: dt.date) -> list[tuple[str, int, int]]:
    """(queue key, items, overdue items) of every queue the user may read."""
    return [(q.key, *_counts(q, user, today)) for q in queues_for(user)]


def _item(queue: QueueDef, obj: Any, ent: Enterprise, today: dt.date,
          blocked: str | None) -> QueueItem:
    due = deadline_of(obj) if queue.kind != "a_application" else None
    since = queue.since(obj) or today
    left = None
    if due is not None:
        left = (workdays_between(today, due) if due >= today
                else -workdays_between(due, today))
    return QueueItem(
        kind=queue.kind, id=obj.id, version=obj.version, state=_state(obj),
        enterprise_id=ent.id, uscc=ent.uscc, name=ent.name, district=ent.district,
        since=since, due=due, workdays_left=left,
        overdue=due is not None and today > due and queue.overdue is not None,
        waited=workdays_between(since, today), blocked=blocked, obj=obj)


def _state(obj: Any) -> str:
    if isinstance(obj, Listing):
        return "prompted" if obj.removal_prompted else "live"
    return obj.state


def _four_eyes(user: User, cases: list[DCase]) -> set[int]:
    """Ids of the cases built on records this user entered (one query for the page)."""
    wanted = {rid for case in cases for rid in (case.record_ids or ())}
    if not wanted:
        return set()
    own = set(db.session.scalars(
        select(Record.id).where(Record.id.in_(wanted), Record.recorded_by_id == user.id)))
    return {case.id for case in cases if own & set(case.record_ids or ())}


# -- one item, for its page and its actions -----------------------------------------------------

_ITEM_QUERIES: dict[str, Callable[[], Select]] = {
    "a_application": lambda: select(APublicationApplication).join(
        Enterprise, Enterprise.id == APublicationApplication.enterprise_id),
    "d_case": lambda: select(DCase).join(Enterprise, Enterprise.id == DCase.enterprise_id),
    "repair": lambda: select(RepairApplication)
    .join(Listing, Listing.id == RepairApplication.listing_id)
    .join(Enterprise, Enterprise.id == Listing.enterprise_id),
    "listing": lambda: select(Listing).join(Enterprise, Enterprise.id == Listing.enterprise_id),
}
_MODELS = {"a_application": APublicationApplication, "d_case": DCase,
           "repair": RepairApplication, "listing": Listing}


def find_item(user: User, kind: str, item_id: int) -> Any | None:
    """One application, case, repair or listing in the user's jurisdiction, or ``None``.

    An inspection institution sees only the applications that need its opinion.
    """
    stmt = _ITEM_QUERIES[kind]().where(_MODELS[kind].id == item_id)
    if kind == "a_application" and has_role(user, Role.INSPECTOR):
        stmt = stmt.where(APublicationApplication.needs_inspection.is_(True))
    return db.session.scalar(scope_to_jurisdiction(stmt, user, Enterprise.district))


def item_deadline(obj: Any, today: dt.date) -> tuple[dt.date | None, int | None, bool]:
    """(last day in time, working days left, overdue) of one open item."""
    due = deadline_of(obj)
    if due is None:
        return None, None, False
    if due >= today:
        return due, workdays_between(today, due), False
    return due, -workdays_between(due, today), True


def open_work(user: User, today: dt.date) -> dict[str, int]:
    """Totals for the dashboard: open items and overdue ones, over the user's queues."""
    counts = queue_counts(user, today)
    return {"open": sum(total for key, total, _ in counts if key != "listing_expiring"),
            "overdue": sum(over for _, _, over in counts)}
