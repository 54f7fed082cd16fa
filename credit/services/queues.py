"""Staff work queues: what waits for whom, with its deadline in working days.

Each queue is one scoped query (the user's jurisdiction is in the query), a few queries per
page whatever its length, and the same definition serves the queue pages, their counts on the
dashboard and the tests. Deadlines come from :func:`credit.workflows.deadline_of` (the A steps
and the D review have none in the policy, so only their waiting time is shown).
"""

from __future__ import annotations

import datetime as dt
import enum
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
    is_active_staff,
    review_excluded,
)
from credit.services.calendar import deadline_is_provisional
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
    provisional: bool = False  # the deadline was counted over a year not yet confirmed
    obj: Any = None  # the ORM row, for the item's page


@dataclass(frozen=True)
class QueueDef:
    key: str
    kind: str
    may_act: Callable[[User | None], bool]
    model: type
    where: Callable[[dt.date], tuple]  # the SQL conditions of the queue
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


def _states(column, *states: enum.StrEnum):
    return column.in_([s.value for s in states])


def _expiring(today: dt.date) -> tuple:
    return (Listing.removed_on.is_(None),
            Listing.expires_on <= today + dt.timedelta(days=EXPIRING_DAYS + 1))


def _day(value: dt.datetime | dt.date | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


A, D, R = APublicationApplication, DCase, RepairApplication

QUEUES: tuple[QueueDef, ...] = (
    QueueDef("a_inspection", "a_application", can_inspect_any, A,
             lambda today: (_states(A.state, APubState.INSPECTION_PENDING),
                            A.needs_inspection.is_(True)),
             lambda a: a.applied_on, order=lambda: (A.applied_on, A.id)),
    QueueDef("a_evaluation", "a_application", can_evaluate_any, A,
             lambda today: (_states(A.state, APubState.EVALUATING),),
             lambda a: _day(a.inspected_at) or a.applied_on,
             order=lambda: (A.applied_on, A.id)),
    QueueDef("a_publication", "a_application", can_publish_any, A,
             lambda today: (_states(A.state, APubState.APPROVED),),
             lambda a: _day(a.evaluated_at), order=lambda: (A.evaluated_at, A.id)),
    QueueDef("d_review", "d_case", can_review_cases, D,
             lambda today: (_states(D.state, DCaseState.PROPOSED),),
             lambda c: c.proposed_on, order=lambda: (D.proposed_on, D.id)),
    QueueDef("d_notice", "d_case", can_publish_any, D,
             lambda today: (_states(D.state, DCaseState.CONFIRMED),),
             lambda c: _day(c.reviewed_at), order=lambda: (D.reviewed_at, D.id)),
    QueueDef("d_answer", "d_case", can_publish_any, D,
             lambda today: (_states(D.state, DCaseState.NOTIFIED),),
             lambda c: c.notice_sent_on, overdue=lambda today: D.answer_due < today,
             order=lambda: (D.answer_due, D.id)),
    QueueDef("d_decision", "d_case", can_publish_any, D,
             lambda today: (_states(D.state, DCaseState.ANSWERED, DCaseState.ANSWER_CLOSED),),
             lambda c: c.answered_on or c.answer_closed_on or c.answer_due,
             order=lambda: (D.answer_due, D.id)),
    QueueDef("repair_accept", "repair", can_publish_any, R,
             lambda today: (R.state == RepairState.APPLIED.value,),
             lambda r: r.applied_on, overdue=lambda today: R.accept_due < today,
             order=lambda: (R.accept_due, R.id)),
    QueueDef("repair_verify", "repair", can_publish_any, R,
             lambda today: (R.state == RepairState.ACCEPTED.value,),
             lambda r: r.handled_on, overdue=lambda today: R.verify_due < today,
             order=lambda: (R.verify_due, R.id)),
    QueueDef("listing_removal", "listing", can_publish_any, Listing,
             lambda today: (Listing.removed_on.is_(None), Listing.kind == ListingKind.D.value,
                            Listing.removal_prompted.is_(True)),
             lambda listing: listing.published_on,
             order=lambda: (Listing.expires_on, Listing.id)),
    QueueDef("listing_expiring", "listing", can_publish_any, Listing, _expiring,
             lambda listing: listing.published_on,
             order=lambda: (Listing.expires_on, Listing.id)),
)
QUEUES_BY_KEY = {q.key: q for q in QUEUES}


def may_read(user: User | None, queue: QueueDef) -> bool:
    """Who sees a queue: those who act on it, and the auditor (read-only)."""
    return queue.may_act(user) or has_role(user, Role.AUDITOR)


def queues_for(user: User | None) -> list[QueueDef]:
    return [q for q in QUEUES if may_read(user, q)]


def _with_enterprise(stmt: Select, model: type) -> Select:
    """Join the enterprise an item is about (a repair's through its listing)."""
    if model is RepairApplication:
        stmt = stmt.join(Listing, Listing.id == RepairApplication.listing_id)
        return stmt.join(Enterprise, Enterprise.id == Listing.enterprise_id)
    return stmt.join(Enterprise, Enterprise.id == model.enterprise_id)


def _scoped(queue: QueueDef, user: User, today: dt.date, *columns) -> Select:
    """The queue's rows in the user's jurisdiction. Whole-city users need no join with
    enterprises (counting a city's proposed cases then reads only ``d_cases``)."""
    stmt = select(*(columns or (queue.model,))).select_from(queue.model) \
        .where(*queue.where(today))
    if is_active_staff(user) and user.jurisdiction is None:
        return stmt
    return scope_to_jurisdiction(_with_enterprise(stmt, queue.model), user,
                                 Enterprise.district)


def load_queue(user: User, key: str, today: dt.date, *, limit: int = 100,
               counts: tuple[int, int] | None = None) -> Queue:
    """The items of one queue the user may read, the most urgent first (at most ``limit``).
    ``counts`` (total, overdue) may be given when already known."""
    queue = QUEUES_BY_KEY[key]
    if not may_read(user, queue):
        return Queue(key, queue.kind, [], 0, 0, False)
    page = _scoped(queue, user, today, queue.model.id).order_by(*queue.order()).limit(limit)
    ids = list(db.session.scalars(page))
    rows = db.session.execute(
        _with_enterprise(select(queue.model, Enterprise), queue.model)
        .where(queue.model.id.in_(ids)).order_by(*queue.order())).all() if ids else []
    total, overdue = counts if counts is not None else _counts(queue, user, today)
    blocked = _four_eyes(user, [obj for obj, _ in rows]) if key == "d_review" else set()
    spans: dict[tuple[dt.date, dt.date], int] = {}  # items of one batch share their dates
    items = [_item(queue, obj, ent, today, "four_eyes" if obj.id in blocked else None, spans)
             for obj, ent in rows]
    return Queue(key, queue.kind, items, total, overdue, queue.may_act(user))


def _counts(queue: QueueDef, user: User, today: dt.date) -> tuple[int, int]:
    base = _scoped(queue, user, today, func.count())
    total = db.session.scalar(base) or 0
    overdue = 0
    if queue.overdue is not None and total:
        overdue = db.session.scalar(base.where(queue.overdue(today))) or 0
    return total, overdue


def queue_counts(user: User, today: dt.date) -> list[tuple[str, int, int]]:
    """(queue key, items, overdue items) of every queue the user may read."""
    return [(q.key, *_counts(q, user, today)) for q in queues_for(user)]


def _workdays(spans: dict, start: dt.date, end: dt.date) -> int:
    if (start, end) not in spans:
        spans[(start, end)] = workdays_between(start, end)
    return spans[(start, end)]


def _item(queue: QueueDef, obj: Any, ent: Enterprise, today: dt.date,
          blocked: str | None, spans: dict) -> QueueItem:
    due = deadline_of(obj) if queue.kind != "a_application" else None
    since = queue.since(obj) or today
    left = None
    if due is not None:
        left = (_workdays(spans, today, due) if due >= today
                else -_workdays(spans, due, today))
    return QueueItem(
        kind=queue.kind, id=obj.id, version=obj.version, state=_state(obj),
        enterprise_id=ent.id, uscc=ent.uscc, name=ent.name, district=ent.district,
        since=since, due=due, workdays_left=left,
        overdue=due is not None and today > due and queue.overdue is not None,
        waited=_workdays(spans, since, today), blocked=blocked, obj=obj,
        provisional=due is not None and deadline_is_provisional(obj))


def _state(obj: Any) -> str:
    if isinstance(obj, Listing):
        return "prompted" if obj.removal_prompted else "live"
    return obj.state


def _four_eyes(user: User, cases: list[DCase]) -> set[int]:
    """Ids of the cases this user may not review because they made its facts (entered,
    corrected, imported or removed its records...): a few queries for the whole page."""
    if not cases:
        return set()
    excluded = review_excluded(cases)
    return {case.id for case in cases if user.id in excluded[case.id]}


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
