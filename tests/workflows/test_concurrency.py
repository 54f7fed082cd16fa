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
