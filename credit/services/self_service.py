"""What an enterprise account sees of itself: its listings, applications, notices, repair
applications and their deadlines, in a few queries. Read-only; the actions are the workflows'
own functions (they check permissions themselves).

Never the internal grade: for A publication only whether it may apply now
(:func:`credit.workflows.a_publication.is_eligible`). D cases appear from the notice on; a case
still under review is internal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from credit import clock
from credit.extensions import db
from credit.models import (
    APublicationApplication,
    DCase,
    DCaseState,
    Enterprise,
    Listing,
    ListingKind,
    Record,
    RepairApplication,
    Role,
    User,
)
from credit.models.listings import APUB_ACTIVE, REPAIR_OPEN
from credit.workflows import a_publication, deadline_of, repair
from credit.workflows.errors import NotPermitted

#: Case states the enterprise has been told about (the notice was sent).
VISIBLE_CASE_STATES = (DCaseState.NOTIFIED, DCaseState.ANSWERED, DCaseState.ANSWER_CLOSED,
                       DCaseState.PUBLISHED, DCaseState.NOT_PUBLISHED)


@dataclass
class RepairOutlook:
    """For one live D listing: when repair may be applied for and whether it may be now."""

    listing: Listing
    earliest: dt.date
    open_application: RepairApplication | None
    may_apply: bool


@dataclass
class Overview:
    enterprise: Enterprise
    today: dt.date
    eligible: bool
    active_application: APublicationApplication | None
    applications: list[APublicationApplication]
    listings: list[Listing]
    cases: list[DCase]
    repairs: list[RepairApplication]
    repair_outlooks: list[RepairOutlook] = field(default_factory=list)
    case_records: dict[int, list[Record]] = field(default_factory=dict)

    @property
    def live_listings(self) -> list[Listing]:
        return [item for item in self.listings
                if item.removed_on is None and item.expires_on > self.today]

    @property
    def notices_to_answer(self) -> list[DCase]:
        return [c for c in self.cases
                if c.state == DCaseState.NOTIFIED and self.today <= c.answer_due]


def own_enterprise(user: User | None) -> Enterprise:
    """The enterprise an enterprise account is bound to; NotPermitted for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False) \
            or user.role != Role.ENTERPRISE or not user.active or user.enterprise_id is None:
        raise NotPermitted("only an enterprise account has an enterprise page")
    return db.session.get(Enterprise, user.enterprise_id)


def overview(user: User) -> Overview:
    enterprise = own_enterprise(user)
    today = clock.today()
    applications = list(db.session.scalars(
        select(APublicationApplication)
        .where(APublicationApplication.enterprise_id == enterprise.id)
        .order_by(APublicationApplication.id.desc()).limit(20)))
    active = next((a for a in applications if a.state in {s.value for s in APUB_ACTIVE}), None)
    listings = list(db.session.scalars(
        select(Listing).where(Listing.enterprise_id == enterprise.id)
        .order_by(Listing.published_on.desc(), Listing.id.desc()).limit(20)))
    cases = list(db.session.scalars(
        select(DCase).where(DCase.enterprise_id == enterprise.id,
                            DCase.state.in_([s.value for s in VISIBLE_CASE_STATES]))
        .order_by(DCase.id.desc()).limit(20)))
    repairs = list(db.session.scalars(
        select(RepairApplication).join(Listing, Listing.id == RepairApplication.listing_id)
        .where(Listing.enterprise_id == enterprise.id)
        .order_by(RepairApplication.id.desc()).limit(20)))
    record_ids = {rid for case in cases for rid in (case.record_ids or [])}
    by_id = {r.id: r for r in db.session.scalars(
        select(Record).where(Record.id.in_(record_ids or [-1]),
                             Record.enterprise_id == enterprise.id))}
    result = Overview(
        enterprise=enterprise, today=today,
        eligible=active is None and a_publication.is_eligible(enterprise),
        active_application=active, applications=applications, listings=listings,
        cases=cases, repairs=repairs,
        case_records={c.id: sorted((by_id[i] for i in (c.record_ids or []) if i in by_id),
                                   key=lambda r: (r.date, r.ref))
                      for c in cases},
    )
    open_states = {s.value for s in REPAIR_OPEN}
    for item in result.live_listings:
        if item.kind != ListingKind.D:
            continue
        pending = next((r for r in repairs if r.listing_id == item.id
                        and r.state in open_states), None)
        earliest = repair.earliest_application(item)
        result.repair_outlooks.append(RepairOutlook(
            listing=item, earliest=earliest, open_application=pending,
            may_apply=pending is None and today >= earliest))
    return result


def owned(user: User, model: type, object_id: int):
    """One of the account's own applications, cases, listings or repairs; ``None`` otherwise
    (the view answers 404, so a guessed id tells nothing)."""
    enterprise = own_enterprise(user)
    obj = db.session.get(model, object_id)
    if obj is None:
        return None
    owner = obj.listing.enterprise_id if isinstance(obj, RepairApplication) else obj.enterprise_id
    if owner != enterprise.id:
        return None
    if isinstance(obj, DCase) and obj.state not in {s.value for s in VISIBLE_CASE_STATES}:
        return None
    return obj


__all__ = ["Overview", "RepairOutlook", "deadline_of", "overview", "own_enterprise", "owned"]
