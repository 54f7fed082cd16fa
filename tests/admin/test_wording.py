"""The backend's wording covers every code the domain uses, and says what the rulebook says."""

from __future__ import annotations

import pytest

from admin import wording
from credit.models import APubState, DCaseState, RemovalReason, RepairState, Role
from credit.models.grades import GradeTrigger
from credit.rules.catalogue import RULES
from credit.services.queues import QUEUES
from credit.vocabulary import RECORD_KINDS
from credit.workflows.errors import (
    ConcurrentChange,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotPermitted,
)


@pytest.fixture
def chinese(app):
    with app.test_request_context():
        yield


def test_rule_wording_is_the_rulebook_s(chinese):
    assert set(wording.RULES) == {rule.code for rule in RULES} == set(wording.CLAUSES)
    for rule in RULES:
        assert str(wording.RULES[rule.code]) == rule.description


def test_every_code_has_a_label(chinese):
    assert set(wording.RECORD_TYPES) == set(RECORD_KINDS)
    for kind in RECORD_KINDS.values():
        assert str(wording.RECORD_TYPES[kind.name]) == kind.label
        for spec in kind.fields:
            assert spec.name in wording.FIELDS
            for value in spec.values:
                assert value in wording.VALUES[spec.name], (spec.name, value)
    assert set(wording.STATES["a_application"]) == {s.value for s in APubState}
    assert set(wording.STATES["d_case"]) == {s.value for s in DCaseState}
    assert set(wording.STATES["repair"]) == {s.value for s in RepairState}
    assert set(wording.REMOVAL_REASONS) == {r.value for r in RemovalReason}
    assert set(wording.CAUSES) == {t.value for t in GradeTrigger}
    assert set(wording.ROLES) == {r.value for r in Role}
    assert set(wording.QUEUES) == {q.key for q in QUEUES}


@pytest.mark.parametrize(("error", "expected"), [
    (ConcurrentChange("x"), "其他人已先处理了此事项"),
    (NotPermitted("you may not review"), "您无权进行此操作"),
    (NotEligible(), "不符合公示条件"),
    (InvalidInput("a dismissal needs its reasons"), "请填写理由或意见"),
    (InvalidTransition("cannot decide yet: the enterprise may answer until 2027-11-01"),
     "企业可在2027-11-01前陈述申辩"),
    (InvalidTransition("cannot review: D case 3 is confirmed"), "不允许该操作"),
])
def test_every_workflow_error_gets_a_clear_message(chinese, error, expected):
    assert expected in wording.workflow_message(error)
