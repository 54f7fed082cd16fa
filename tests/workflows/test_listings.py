"""What the workflows share (credit/workflows/__init__.py) and the public read model's edges:
validity periods, the change feed's dates and order, refused arguments, check-before-write."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from credit import clock
from credit.models import AuditEntry, DCase, DCaseState, ListingChange
from credit.rules.catalogue import anniversary
from credit.services import disclosure
from credit.services.tick import tick
from credit.workflows import add_months
from credit.workflows.a_publication import (
    apply_for_publication,
    evaluate_application,
    publish_application,
)
from credit.workflows.d_listing import confirm_case, decide_case, send_notice
from credit.workflows.errors import InvalidInput, InvalidTransition

# -- validity periods --------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "months", "over"), [
    ("2028-02-29", 12, "2029-03-01"),  # the last day shown is 2029-02-28
    ("2028-02-29", 36, "2031-03-01"),
    ("2028-02-29", 48, "2032-02-29"),
    ("2026-10-15", 12, "2027-10-15"),
    ("2027-01-31", 1, "2027-03-01"),  # 31 February does not exist: never a shorter month
    ("2026-12-31", 2, "2027-03-01"),
    ("2026-03-31", 1, "2026-05-01"),
    ("2026-01-15", 1, "2026-02-15"),
])
def test_add_months_never_shortens_a_period(start, months, over):
    assert add_months(dt.date.fromisoformat(start), months) == dt.date.fromisoformat(over)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
       st.integers(min_value=1, max_value=5))
def test_add_months_of_whole_years_is_the_rulebooks_anniversary(day, years):
    assert add_months(day, 12 * years) == anniversary(day, years)


def _publish_a(w):
    app = apply_for_publication(w.u["ent_a"])
    evaluate_application(w.u["evaluator"], app, approve=True, reasons="ok")
    return publish_application(w.u["publisher"], app)


def test_a_listing_published_on_29_february_is_shown_a_full_year(db, world):
    world.pin("2028-02-29")
    listing = _publish_a(world)
    assert listing.expires_on == dt.date(2029, 3, 1)
    uscc = world.e["a"].uscc
    assert disclosure.listing_for(uscc, today=dt.date(2029, 2, 28))
    assert disclosure.listing_for(uscc, today=dt.date(2029, 3, 1)) == ()


# -- the change feed ---------------------------------------------------------------------------


def test_a_publication_is_never_in_the_feed_before_its_day(db, world):
    world.pin("2027-03-01")  # a day ahead of the machine's clock
    listing = _publish_a(world)
    db.session.commit()
    change = db.session.scalar(select(ListingChange))
    assert change.at >= clock.day_start(listing.published_on)
    assert change.feed_at >= change.at
    assert [c.change for c in disclosure.changes_since(None)] == ["published"]
    world.pin("2027-02-28")  # the day before: nothing has happened yet
    assert disclosure.changes_since(None) == []


def test_an_expiry_is_dated_by_its_day_and_reaches_mirrors_that_polled_past_it(db, world):
    listing = _publish_a(world)
    db.session.commit()
    published = disclosure.changes_since(None)
    # A mirror polls on the expiry day, after midnight, before tick has run: nothing new.
    world.pin(listing.expires_on)
    polled = disclosure.changes_since(published[-1].feed_at)
    assert polled == []
    # tick runs two days late.
    late = listing.expires_on + dt.timedelta(days=2)
    world.pin(late)
    assert tick(late).expired_a == 1
    db.session.commit()
    new = disclosure.changes_since(published[-1].feed_at)
    assert [(c.change, c.at) for c in new] == [("removed", clock.day_start(listing.expires_on))]
    assert listing.removed_on == listing.expires_on


def test_the_feed_orders_by_when_changes_were_written(db, world):
    """A change dated earlier but written later comes later in the feed."""
    a_listing = _publish_a(world)
    db.session.commit()
    world.pin(a_listing.expires_on + dt.timedelta(days=3))
    # a D listing published today, then tick expires the A listing (dated 3 days ago)
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    confirm_case(world.u["reviewer_city"], case)
    send_notice(world.u["publisher"], case)
    world.pin(case.answer_due + dt.timedelta(days=1))
    decide_case(world.u["publisher"], case, publish=True, reasons=["D2"])
    tick(case.answer_due + dt.timedelta(days=1))
    db.session.commit()
    feed = disclosure.changes_since(None)
    assert [(c.kind, c.change) for c in feed] == [("A", "published"), ("D", "published"),
                                                  ("A", "removed")]
    # dated before the D publication, placed after it: a mirror that read the D publication
    # (and passes its feed_at) still gets the expiry
    assert feed[2].at < feed[1].at and feed[2].feed_at > feed[1].feed_at
    assert disclosure.changes_since(feed[1].feed_at) == [feed[2]]
    assert [c.at for c in feed[:2]] == [c.feed_at for c in feed[:2]]  # placed when they happen
    positions = [c.feed_at for c in feed]
    assert positions == sorted(set(positions))


def test_answer_closed_on_is_the_day_after_the_due_date(db, world):
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    confirm_case(world.u["reviewer_city"], case)
    send_notice(world.u["publisher"], case)
    late = case.answer_due + dt.timedelta(days=6)
    world.pin(late)
    assert tick(late).answer_periods_closed == 1
    assert case.answer_closed_on == case.answer_due + dt.timedelta(days=1)


# -- refused arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "message"), [
    (lambda: disclosure.published_listings(kind="X"), "kind must be A or D"),
    (lambda: disclosure.published_listings(kind="a"), "kind must be A or D"),
    (lambda: disclosure.published_listings(kind=1), "kind must be A or D"),
    (lambda: disclosure.published_listings(limit=None), "limit must be a whole number"),
    (lambda: disclosure.published_listings(limit="20"), "limit must be a whole number"),
    (lambda: disclosure.published_listings(limit=True), "limit must be a whole number"),
    (lambda: disclosure.published_listings(limit=-1), "limit must be a whole number"),
    (lambda: disclosure.published_listings(limit=1001), "limit must be a whole number"),
    (lambda: disclosure.published_listings(offset=None), "offset must be a whole number"),
    (lambda: disclosure.published_listings(query=5), "query must be text"),
    (lambda: disclosure.published_listings(district=["向阳区"]), "district must be text"),
    (lambda: disclosure.published_listings(today="2026-10-15"), "today must be a date"),
    (lambda: disclosure.count_published(kind="B"), "kind must be A or D"),
    (lambda: disclosure.listing_for(None), "uscc must be text"),
    (lambda: disclosure.changes_since("2026-10-01"), "since must be a date and time"),
    (lambda: disclosure.changes_since(None, limit=None), "limit must be a whole number"),
])
def test_the_read_model_refuses_wrong_arguments(db, call, message):
    with pytest.raises(InvalidInput, match=message):
        call()


def test_an_aware_since_is_taken_in_utc(db, world):
    _publish_a(world)
    db.session.commit()
    change = disclosure.changes_since(None)[0]
    shanghai = (change.feed_at.replace(tzinfo=dt.UTC) - dt.timedelta(seconds=1)) \
        .astimezone(clock.BUREAU_TZ)
    assert disclosure.changes_since(shanghai) == [change]


# -- check everything before writing anything --------------------------------------------------


def _period_over(db, w):
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == w.e["d"].id))
    confirm_case(w.u["reviewer_city"], case)
    send_notice(w.u["publisher"], case)
    db.session.commit()
    w.pin(case.answer_due + dt.timedelta(days=1))  # tick has not run
    return case


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"publish": False}, InvalidInput),  # no note
    ({"publish": False, "note": "  "}, InvalidInput),
    ({"publish": True, "reasons": None}, InvalidInput),
    ({"publish": True, "reasons": "D2"}, InvalidInput),
    ({"publish": True, "reasons": ["D2"], "record_ids": None}, InvalidInput),
    ({"publish": True, "reasons": ["D2"], "record_ids": ["1"]}, InvalidInput),
    ({"publish": True, "reasons": ["D2"], "summary": 3}, InvalidInput),
    ({"publish": True, "reasons": ["C2"]}, InvalidInput),
    ({"publish": True}, InvalidInput),  # nothing chosen
    ({"publish": "yes", "reasons": ["D2"]}, InvalidInput),
])
def test_a_refused_decision_writes_nothing(db, world, kwargs, error):
    case = _period_over(db, world)
    version = case.version
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(error):
        decide_case(world.u["publisher"], case, **kwargs)
    # no rollback: nothing may have been changed in the session either
    assert (case.state, case.version, case.answer_closed_on) == (DCaseState.NOTIFIED,
                                                                 version, None)
    assert not db.session.dirty and not db.session.new
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def test_publishing_when_the_grade_left_d_writes_nothing(db, world):
    from credit.models import Grade

    case = _period_over(db, world)
    db.session.get(Grade, world.e["d"].id).grade = "C"
    db.session.commit()
    with pytest.raises(InvalidTransition, match="no longer D"):
        decide_case(world.u["publisher"], case, publish=True, reasons=["D2"])
    assert (case.state, case.answer_closed_on) == (DCaseState.NOTIFIED, None)
    assert not db.session.dirty
