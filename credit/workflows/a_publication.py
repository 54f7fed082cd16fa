"""A publication (守信企业公示): apply, inspection opinion, provincial evaluation, publish,
expire, withdraw consent; withdrawn automatically when the grade falls below A.

    (apply) -> inspection_pending -> evaluating -> approved -> published -> expired
                     (products under supervised inspection)  \\-> rejected
    any of inspection_pending, evaluating, approved, published -> withdrawn
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from credit import clock
from credit.extensions import db
from credit.models import (
    APublicationApplication,
    APubState,
    ConsentEntry,
    ConsentKind,
    Enterprise,
    Grade,
    Listing,
    ListingKind,
    Record,
    RemovalReason,
    User,
)
from credit.models.listings import APUB_ACTIVE
from credit.permissions import (
    can_act_for_enterprise,
    can_evaluate,
    can_give_inspection_opinion,
    can_publish,
)
from credit.services import audit, grading
from credit.workflows import end_listing, open_listing
from credit.workflows.errors import (
    InvalidInput,
    InvalidTransition,
    NotEligible,
    check_version,
    ensure,
    ensure_state,
    flush,
    required_text,
)

#: Products under supervised inspection (监督检验) show in the archive as supervised_test records.
INSPECTION_RECORD_TYPE = "supervised_test"


def _state(app: APublicationApplication) -> dict:
    return {"state": app.state, "version": app.version}


def _log(action: str, app: APublicationApplication, actor_id: int | None, before: dict,
         **extra) -> None:
    audit.record(f"a_application.{action}", "a_application", app.id, actor_id=actor_id,
                 before=before, after={**_state(app), **extra})


def _grade(enterprise_id: int) -> str | None:
    return db.session.scalar(select(Grade.grade).where(Grade.enterprise_id == enterprise_id))


def is_eligible(enterprise: Enterprise) -> bool:
    """Whether the enterprise may apply now (what its own account may see; never the letter)."""
    return _grade(enterprise.id) == "A" and active_application(enterprise) is None


def needs_inspection(enterprise: Enterprise) -> bool:
    """Whether its products are under supervised inspection: any supervised_test in its archive."""
    return db.session.scalar(
        select(Record.id).where(Record.enterprise_id == enterprise.id,
                                Record.type == INSPECTION_RECORD_TYPE).limit(1)
    ) is not None


def active_application(enterprise: Enterprise) -> APublicationApplication | None:
    return db.session.scalar(
        select(APublicationApplication).where(
            APublicationApplication.enterprise_id == enterprise.id,
            APublicationApplication.state.in_([s.value for s in APUB_ACTIVE]),
        )
    )


def live_listing(app: APublicationApplication) -> Listing | None:
    return db.session.scalar(
        select(Listing).where(Listing.application_id == app.id, Listing.removed_on.is_(None))
    )


def apply_for_publication(actor: User, enterprise: Enterprise | None = None
                          ) -> APublicationApplication:
    """The enterprise applies (and consents to publication). Refused unless graded A now."""
    enterprise = enterprise or actor.enterprise
    ensure(can_act_for_enterprise(actor, enterprise), "apply for A publication", enterprise)
    if active_application(enterprise) is not None:
        raise InvalidTransition("an application or publication is already in progress")
    if _grade(enterprise.id) != "A":
        raise NotEligible()
    inspect = needs_inspection(enterprise)
    app = APublicationApplication(
        enterprise=enterprise, applicant_id=actor.id, applied_on=clock.today(),
        needs_inspection=inspect,
        state=(APubState.INSPECTION_PENDING if inspect else APubState.EVALUATING).value,
    )
    db.session.add(app)
    flush(app)
    db.session.add(ConsentEntry(enterprise_id=enterprise.id, application_id=app.id,
                                kind=ConsentKind.CONSENT.value, at=clock.now(),
                                actor_id=actor.id))
    _log("apply", app, actor.id, {}, enterprise=enterprise.uscc,
         needs_inspection=inspect)
    flush(app)
    return app


def give_inspection_opinion(actor: User, app: APublicationApplication, opinion: str, *,
                            version: int | None = None) -> None:
    """The inspection institution records its opinion; the application goes to evaluation."""
    ensure(can_give_inspection_opinion(actor, app), "give an inspection opinion", app)
    ensure_state(app, APubState.INSPECTION_PENDING, doing="record an inspection opinion")
    check_version(app, version)
    opinion = required_text(opinion, "the opinion", "the inspection opinion is empty")
    before = _state(app)
    app.inspection_opinion = opinion
    app.inspector_id, app.inspected_at = actor.id, clock.now()
    app.state = APubState.EVALUATING.value
    flush(app)
    _log("inspect", app, actor.id, before, opinion=app.inspection_opinion)


def evaluate_application(actor: User, app: APublicationApplication, *, approve: bool,
                         reasons: str, version: int | None = None) -> None:
    """The provincial evaluator approves or rejects, with reasons."""
    ensure(can_evaluate(actor, app), "evaluate", app)
    ensure_state(app, APubState.EVALUATING, doing="evaluate")
    check_version(app, version)
    if not isinstance(approve, bool):
        raise InvalidInput("approve must be true or false")
    reasons = required_text(reasons, "the reasons", "an evaluation needs its reasons")
    before = _state(app)
    app.approved = approve
    app.evaluation_reasons = reasons
    app.evaluator_id, app.evaluated_at = actor.id, clock.now()
    app.state = (APubState.APPROVED if approve else APubState.REJECTED).value
    flush(app)
    _log("evaluate", app, actor.id, before, approved=app.approved, reasons=app.evaluation_reasons)


def publish_application(actor: User, app: APublicationApplication, *,
                        version: int | None = None) -> Listing:
    """The publisher publishes an approved application: a listing valid for 12 months."""
    ensure(can_publish(actor, app), "publish", app)
    ensure_state(app, APubState.APPROVED, doing="publish")
    check_version(app, version)
    if _grade(app.enterprise_id) != "A":
        raise NotEligible("the enterprise is not eligible at present; it cannot be published")
    before = _state(app)
    app.state = APubState.PUBLISHED.value
    app.publisher_id, app.published_at = actor.id, clock.now()
    flush(app)
    listing = open_listing(ListingKind.A, app.enterprise, published_on=clock.today(),
                           actor_id=actor.id, application=app)
    _log("publish", app, actor.id, before, listing=listing.id)
    flush(app)
    return listing


def withdraw_consent(actor: User, app: APublicationApplication, *,
                     version: int | None = None) -> None:
    """The enterprise withdraws its consent: the application ends, any listing ends at once."""
    ensure(can_act_for_enterprise(actor, app.enterprise), "withdraw consent", app)
    ensure_state(app, *APUB_ACTIVE, doing="withdraw consent")
    check_version(app, version)
    db.session.add(ConsentEntry(enterprise_id=app.enterprise_id, application_id=app.id,
                                kind=ConsentKind.WITHDRAWAL.value, at=clock.now(),
                                actor_id=actor.id))
    _end(app, RemovalReason.WITHDRAWN_CONSENT, actor.id, clock.today())
    flush(app)


def _end(app: APublicationApplication, reason: RemovalReason, actor_id: int | None,
         on: dt.date, note: str | None = None) -> None:
    before = _state(app)
    listing = live_listing(app)
    if listing is not None:
        end_listing(listing, reason, on=on, actor_id=actor_id, note=note)
    app.state = APubState.WITHDRAWN.value
    app.ended_reason, app.ended_at = reason.value, clock.now()
    flush(app)
    _log("withdraw", app, actor_id, before, reason=reason.value)


def end_for_publisher_decision(actor_id: int, app: APublicationApplication, note: str) -> None:
    """Called when a publisher removes an A listing by decision."""
    _end(app, RemovalReason.PUBLISHER_DECISION, actor_id, clock.today(), note)


def expire_application(app: APublicationApplication, listing: Listing) -> None:
    """Time passed: the listing reached its 12 months (called by tick)."""
    before = _state(app)
    end_listing(listing, RemovalReason.EXPIRED, on=listing.expires_on, actor_id=None)
    app.state = APubState.EXPIRED.value
    flush(app)
    _log("expire", app, None, before)


def on_grade_changes(history: list[dict]) -> None:
    """A grade that is not (or no longer) A ends every active application and listing at once."""
    ids = {row["enterprise_id"] for row in history if row["new_grade"] != "A"}
    if not ids:
        return
    apps = db.session.scalars(
        select(APublicationApplication).where(
            APublicationApplication.enterprise_id.in_(ids),
            APublicationApplication.state.in_([s.value for s in APUB_ACTIVE]),
        )
    ).all()
    for app in apps:  # the system acts; the grade change itself names who caused it
        _end(app, RemovalReason.GRADE_FELL, None, clock.today())


if on_grade_changes not in grading.grade_change_listeners:
    grading.grade_change_listeners.append(on_grade_changes)
