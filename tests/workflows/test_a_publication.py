"""A publication: every transition allowed from its start state by its role in its
jurisdiction, and refused otherwise; consent ledger; withdrawal when the grade falls."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from credit.models import (
    APublicationApplication,
    APubState,
    AuditEntry,
    ConsentEntry,
    Listing,
    ListingChange,
)
from credit.services import disclosure
from credit.services.tick import tick
from credit.workflows.a_publication import (
    apply_for_publication,
    evaluate_application,
    give_inspection_opinion,
    is_eligible,
    publish_application,
    withdraw_consent,
)
from credit.workflows.errors import (
    ConcurrentChange,
    InvalidTransition,
    NotEligible,
    NotPermitted,
)
from tests.workflows.conftest import drop_grade

S = APubState


def bring(w, key: str, state: APubState) -> APublicationApplication:
    """An application of firm ``key`` in ``state``, driven through the services."""
    app = apply_for_publication(w.u[f"ent_{key}"])
    if state is S.INSPECTION_PENDING:
        return app
    if app.state == S.INSPECTION_PENDING:
        give_inspection_opinion(w.u["inspector"], app, "产品监督检验合格")
    if state is S.EVALUATING:
        return app
    evaluate_application(w.u["evaluator"], app, approve=state is not S.REJECTED,
                         reasons="符合守信企业条件")
    if state in (S.APPROVED, S.REJECTED):
        return app
    publish_application(w.u["publisher"], app)
    if state is S.PUBLISHED:
        return app
    withdraw_consent(w.u[f"ent_{key}"], app)
    assert state is S.WITHDRAWN
    return app


def _inspect(w, actor, app):
    give_inspection_opinion(actor, app, "合格")


def _approve(w, actor, app):
    evaluate_application(actor, app, approve=True, reasons="符合条件")


def _reject(w, actor, app):
    evaluate_application(actor, app, approve=False, reasons="不符合条件")


def _publish(w, actor, app):
    publish_application(actor, app)


def _withdraw(w, actor, app):
    withdraw_consent(actor, app)


OK = None
TABLE = [
    # transition, firm, start state, actor, outcome, end state
    (_inspect, "a_tested", S.INSPECTION_PENDING, "inspector", OK, S.EVALUATING),
    (_inspect, "a_tested", S.INSPECTION_PENDING, "admin", OK, S.EVALUATING),
    (_inspect, "a_tested", S.INSPECTION_PENDING, "inspector_h", NotPermitted, None),
    (_inspect, "a_tested", S.INSPECTION_PENDING, "evaluator", NotPermitted, None),
    (_inspect, "a_tested", S.INSPECTION_PENDING, "ent_a_tested", NotPermitted, None),
    (_inspect, "a_tested", S.EVALUATING, "inspector", InvalidTransition, None),
    (_inspect, "a", S.EVALUATING, "inspector", NotPermitted, None),  # no inspection needed
    (_approve, "a", S.EVALUATING, "evaluator", OK, S.APPROVED),
    (_reject, "a", S.EVALUATING, "evaluator", OK, S.REJECTED),
    (_approve, "a", S.EVALUATING, "admin", OK, S.APPROVED),
    (_approve, "a", S.EVALUATING, "inspector", NotPermitted, None),
    (_approve, "a", S.EVALUATING, "publisher", NotPermitted, None),
    (_approve, "a", S.EVALUATING, "auditor", NotPermitted, None),
    (_approve, "a", S.EVALUATING, "ent_a", NotPermitted, None),
    (_approve, "a_tested", S.INSPECTION_PENDING, "evaluator", InvalidTransition, None),
    (_approve, "a", S.APPROVED, "evaluator", InvalidTransition, None),
    (_publish, "a", S.APPROVED, "publisher", OK, S.PUBLISHED),
    (_publish, "a", S.APPROVED, "admin", OK, S.PUBLISHED),
    (_publish, "a_h", S.APPROVED, "publisher_h", OK, S.PUBLISHED),
    (_publish, "a", S.APPROVED, "publisher_h", NotPermitted, None),  # other jurisdiction
    (_publish, "a", S.APPROVED, "evaluator", NotPermitted, None),
    (_publish, "a", S.APPROVED, "reviewer", NotPermitted, None),
    (_publish, "a", S.APPROVED, "recorder", NotPermitted, None),
    (_publish, "a", S.EVALUATING, "publisher", InvalidTransition, None),
    (_publish, "a", S.REJECTED, "publisher", InvalidTransition, None),
    (_publish, "a", S.PUBLISHED, "publisher", InvalidTransition, None),
    (_withdraw, "a_tested", S.INSPECTION_PENDING, "ent_a_tested", OK, S.WITHDRAWN),
    (_withdraw, "a", S.EVALUATING, "ent_a", OK, S.WITHDRAWN),
    (_withdraw, "a", S.APPROVED, "ent_a", OK, S.WITHDRAWN),
    (_withdraw, "a", S.PUBLISHED, "ent_a", OK, S.WITHDRAWN),
    (_withdraw, "a", S.PUBLISHED, "ent_b", NotPermitted, None),
    (_withdraw, "a", S.PUBLISHED, "publisher", NotPermitted, None),
    (_withdraw, "a", S.PUBLISHED, "admin", NotPermitted, None),  # consent is the firm's own
    (_withdraw, "a", S.REJECTED, "ent_a", InvalidTransition, None),
    (_withdraw, "a", S.WITHDRAWN, "ent_a", InvalidTransition, None),
]


@pytest.mark.parametrize(
    ("transition", "key", "start", "actor", "outcome", "end"), TABLE,
    ids=[f"{t.__name__[1:]}-{k}-{s}-{a}-{o.__name__ if o else 'ok'}"
         for t, k, s, a, o, _ in TABLE],
)
def test_transition_table(db, world, transition, key, start, actor, outcome, end):
    app = bring(world, key, start)
    db.session.commit()
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    if outcome is None:
        transition(world, world.u[actor], app)
        db.session.commit()
        assert app.state == end
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) > entries
    else:
        with pytest.raises(outcome) as caught:
            transition(world, world.u[actor], app)
        assert str(caught.value)
        db.session.rollback()
        assert db.session.get(APublicationApplication, app.id).state == start


@pytest.mark.parametrize(("transition", "start", "actor"), [
    (_inspect, S.INSPECTION_PENDING, "inspector"),
    (_approve, S.EVALUATING, "evaluator"),
    (_publish, S.APPROVED, "publisher"),
    (_withdraw, S.APPROVED, "ent_a_tested"),
])
def test_stale_version_is_refused(db, world, transition, start, actor):
    app = bring(world, "a_tested", start)
    db.session.commit()
    loaded = app.version
    # Someone else changed the row since it was loaded.
    db.session.execute(text("UPDATE a_publication_applications SET version = version + 1 "
                            "WHERE id = :id"), {"id": app.id})
    with pytest.raises(ConcurrentChange, match="changed by someone else"):
        transition(world, world.u[actor], app)
    db.session.rollback()
    # A caller that passes the version it showed the user is refused before any write.
    db.session.execute(text("UPDATE a_publication_applications SET version = version + 1 "
                            "WHERE id = :id"), {"id": app.id})
    db.session.commit()
    app = db.session.get(APublicationApplication, app.id)
    assert app.version == loaded + 1
    with pytest.raises(ConcurrentChange, match="reload"):
        VERSIONED[transition](world, world.u[actor], app, loaded)


VERSIONED = {
    _inspect: lambda w, a, app, v: give_inspection_opinion(a, app, "x", version=v),
    _approve: lambda w, a, app, v: evaluate_application(a, app, approve=True, reasons="x",
                                                        version=v),
    _publish: lambda w, a, app, v: publish_application(a, app, version=v),
    _withdraw: lambda w, a, app, v: withdraw_consent(a, app, version=v),
}


@pytest.mark.parametrize("key", ["b", "c", "d"])
def test_only_grade_a_may_apply_and_the_refusal_names_no_grade(db, world, key):
    with pytest.raises(NotEligible) as caught:
        apply_for_publication(world.u[f"ent_{key}"])
    message = str(caught.value)
    assert message == "not eligible at present"
    assert not any(letter in message for letter in "ABCD")
    assert not is_eligible(world.e[key])


def test_apply_refusals(db, world):
    with pytest.raises(NotPermitted):
        apply_for_publication(world.u["ent_a"], world.e["a_h"])  # another firm
    with pytest.raises(NotPermitted):
        apply_for_publication(world.u["publisher"], world.e["a"])  # staff cannot apply
    assert is_eligible(world.e["a"])
    apply_for_publication(world.u["ent_a"])
    assert not is_eligible(world.e["a"])
    with pytest.raises(InvalidTransition, match="already in progress"):
        apply_for_publication(world.u["ent_a"])


def test_inspection_needed_only_for_firms_under_supervised_inspection(db, world):
    assert bring(world, "a_tested", S.INSPECTION_PENDING).state == S.INSPECTION_PENDING
    plain = apply_for_publication(world.u["ent_a"])
    assert (plain.needs_inspection, plain.state) == (False, S.EVALUATING)


def test_publication_lasts_12_months_then_expires(db, world):
    world.pin("2026-02-13")  # the Friday before Spring Festival 2026
    app = bring(world, "a", S.PUBLISHED)
    listing = db.session.scalar(select(Listing).where(Listing.application_id == app.id))
    # Calendar months, not working days: holidays do not stretch the validity.
    assert (listing.published_on, listing.expires_on) == (dt.date(2026, 2, 13),
                                                          dt.date(2027, 2, 13))
    db.session.commit()
    uscc = world.e["a"].uscc
    assert [p.kind for p in disclosure.listing_for(uscc, today=dt.date(2027, 2, 12))] == ["A"]
    assert disclosure.listing_for(uscc, today=dt.date(2027, 2, 13)) == ()  # gone on the day
    assert tick(dt.date(2027, 2, 12)).changed == 0
    assert tick(dt.date(2027, 2, 13)).expired_a == 1
    assert tick(dt.date(2027, 2, 13)).changed == 0  # idempotent
    db.session.commit()
    assert (app.state, listing.removal_reason, listing.removed_on) == (
        S.EXPIRED, "expired", dt.date(2027, 2, 13))
    world.pin("2027-02-15")
    again = apply_for_publication(world.u["ent_a"])  # may apply again
    assert again.state == S.EVALUATING


def test_withdrawal_of_consent_ends_the_listing_at_once_and_is_ledgered(db, world):
    app = bring(world, "a", S.PUBLISHED)
    db.session.commit()
    assert disclosure.listing_for(world.e["a"].uscc)
    withdraw_consent(world.u["ent_a"], app)
    db.session.commit()
    assert disclosure.listing_for(world.e["a"].uscc) == ()
    ledger = db.session.scalars(select(ConsentEntry.kind).order_by(ConsentEntry.id)).all()
    assert ledger == ["consent", "withdrawal"]
    changes = db.session.scalars(select(ListingChange.change).order_by(ListingChange.id)).all()
    assert changes == ["published", "removed"]


@pytest.mark.parametrize("start", [S.EVALUATING, S.APPROVED, S.PUBLISHED])
def test_grade_falling_below_a_withdraws_at_once(db, world, start):
    app = bring(world, "a", start)
    db.session.commit()
    drop_grade(db, world.e["a"], world.day)  # same transaction as the grade change
    assert app.state == S.WITHDRAWN and app.ended_reason == "grade_fell"
    assert disclosure.listing_for(world.e["a"].uscc) == ()
    db.session.commit()
    listing = db.session.scalar(select(Listing).where(Listing.application_id == app.id))
    if start is S.PUBLISHED:
        assert (listing.removal_reason, listing.removed_on) == ("grade_fell", world.day)
    else:
        assert listing is None
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type.in_(["a_application", "listing"])).order_by(AuditEntry.id)).all()
    assert actions[-1] == "a_application.withdraw"
