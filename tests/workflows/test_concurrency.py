"""Two people act on one case at once: exactly one wins (optimistic locking, PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from credit.extensions import db as _db
from credit.models import DCase, DCaseState, User
from credit.workflows.d_listing import confirm_case, dismiss_case
from credit.workflows.errors import ConcurrentChange


@pytest.fixture
def postgresql_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent sessions need PostgreSQL (SQLite has a single writer); "
                    "run with TEST_DATABASE_URL pointing at PostgreSQL")


@pytest.mark.postgresql
def test_two_reviewers_at_once_one_wins(app, db, world, postgresql_only):
    case_id = db.session.scalar(select(DCase.id).where(DCase.enterprise_id == world.e["d"].id))
    reviewers = [world.u["reviewer_city"].id, world.u["admin"].id]
    db.session.commit()
    db.session.remove()
    loaded = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def act(n: int) -> None:
        with app.app_context():  # its own session and connection
            session = _db.session
            case = session.get(DCase, case_id)
            actor = session.get(User, reviewers[n])
            assert case.version == 1
            loaded.wait(timeout=10)  # both hold the same version before either writes
            try:
                if n == 0:
                    confirm_case(actor, case)
                else:
                    dismiss_case(actor, case, note="不构成")
                session.commit()
                outcomes[n] = "won"
            except ConcurrentChange as exc:
                session.rollback()
                outcomes[n] = f"lost: {exc}"
            finally:
                session.remove()

    threads = [threading.Thread(target=act, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["lost", "won"]
    assert any("changed by someone else" in v for v in outcomes.values())
    case = db.session.get(DCase, case_id)
    assert case.version == 2
    assert case.state in (DCaseState.CONFIRMED, DCaseState.DISMISSED)


@pytest.mark.postgresql
def test_a_feed_entry_committed_late_is_placed_after_what_mirrors_read(app, db, world,
                                                                       postgresql_only):
    """T1 writes a change dated earlier but commits after T2: a mirror that read T2's change
    must still get T1's (the feed orders by place, given at commit, not by date)."""
    import datetime as dt

    from credit.models import ChangeKind, Listing
    from credit.services import disclosure
    from credit.workflows import announce
    from credit.workflows.a_publication import (
        apply_for_publication,
        evaluate_application,
        publish_application,
    )

    app_ = apply_for_publication(world.u["ent_a"])
    evaluate_application(world.u["evaluator"], app_, approve=True, reasons="ok")
    listing_id = publish_application(world.u["publisher"], app_).id
    db.session.commit()
    db.session.remove()
    t0 = dt.datetime(2026, 10, 15, 2, 0)
    written, read = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def late_writer() -> None:
        with app.app_context():
            try:
                announce(_db.session.get(Listing, listing_id), ChangeKind.REMOVED, at=t0)
                _db.session.flush()
                written.set()
                assert read.wait(timeout=20)
                _db.session.commit()
            except BaseException as exc:  # reported below
                errors.append(exc)
                written.set()
            finally:
                _db.session.remove()

    thread = threading.Thread(target=late_writer)
    thread.start()
    assert written.wait(timeout=20)
    with app.app_context():
        announce(_db.session.get(Listing, listing_id), ChangeKind.PUBLISHED,
                 at=t0 + dt.timedelta(seconds=1))
        _db.session.commit()
        _db.session.remove()
    future = dt.datetime(2100, 1, 1)
    seen = disclosure.changes_since(None, now=future)
    cursor = seen[-1].feed_at
    read.set()
    thread.join(timeout=30)
    assert not errors, errors
    later = disclosure.changes_since(cursor, now=future)
    assert [(c.change, c.at) for c in later] == [("removed", t0)]
    assert later[0].feed_at > cursor
