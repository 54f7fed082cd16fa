"""Named permission checks and jurisdiction scoping."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from credit.models import DCase, Enterprise
from credit.permissions import (
    can_act_for_enterprise,
    can_publish,
    can_record,
    can_review,
    can_view_audit,
    can_view_internal,
)
from credit.services.scoping import scope_to_jurisdiction
from tests.workflows.conftest import _fast_password_hashes, world  # noqa: F401

# (user, firm key) -> expected, for firm "a" in 向阳区 and "a_h" in 桦南县
VIEW = [
    ("admin", "a", True), ("admin", "a_h", True),
    ("recorder", "a", True), ("recorder", "a_h", False),
    ("reviewer", "a", True), ("publisher_h", "a", False), ("publisher_h", "a_h", True),
    ("auditor", "a_h", True),
    ("evaluator", "a", False), ("inspector", "a", False),  # no internal grades
    ("ent_a", "a", False), ("ent_b", "a", False),
]


@pytest.mark.parametrize(("user", "key", "expected"), VIEW)
def test_can_view_internal(db, world, user, key, expected):  # noqa: F811
    assert can_view_internal(world.u[user], world.e[key]) is expected


@pytest.mark.parametrize(("user", "expected"), [
    ("recorder", True), ("admin", True), ("reviewer", False), ("auditor", False),
    ("ent_a", False),
])
def test_can_record(db, world, user, expected):  # noqa: F811
    assert can_record(world.u[user], world.e["a"]) is expected


def test_auditor_reads_but_acts_on_nothing(db, world):  # noqa: F811
    auditor = world.u["auditor"]
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    assert can_view_audit(auditor) and can_view_internal(auditor, world.e["d"])
    assert not can_review(auditor, case) and not can_publish(auditor, case)
    assert not can_record(auditor, world.e["d"])


def test_four_eyes_applies_to_city_admin_too(db, world):  # noqa: F811
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == world.e["d"].id))
    assert can_review(world.u["admin"], case)
    assert not can_review(world.u["reviewer"], case)  # recorded the case's record
    from sqlalchemy import update

    from credit.models import Record

    db.session.execute(update(Record).values(recorded_by_id=world.u["admin"].id))
    assert not can_review(world.u["admin"], case)


def test_inactive_users_may_do_nothing(db, world):  # noqa: F811
    world.u["admin"].active = False
    world.u["ent_a"].active = False
    assert not can_view_internal(world.u["admin"], world.e["a"])
    assert not can_act_for_enterprise(world.u["ent_a"], world.e["a"])


@pytest.mark.parametrize(("user", "expected"), [
    ("admin", {"a", "a_tested", "a_h", "b", "c", "d", "d_h"}),
    ("auditor", {"a", "a_tested", "a_h", "b", "c", "d", "d_h"}),
    ("recorder", {"a", "a_tested", "b", "c", "d"}),
    ("publisher_h", {"a_h", "d_h"}),
    ("ent_a", set()),
    (None, set()),
])
def test_scope_to_jurisdiction(db, world, user, expected):  # noqa: F811
    query = scope_to_jurisdiction(select(Enterprise.uscc), world.u[user] if user else None,
                                  Enterprise.district)
    usccs = set(db.session.scalars(query))
    assert usccs == {world.e[k].uscc for k in expected}
