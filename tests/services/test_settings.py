"""The settings store: defaults, validation, who may change them, the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from credit.models import AuditEntry
from credit.permissions import OPERATOR
from credit.services.settings import (
    INSPECTION_RATIOS,
    TEAM_SIZE,
    get_setting,
    inspection_ratios,
    set_inspection_ratios,
    set_setting,
    team_size,
)
from credit.workflows.errors import InvalidInput, NotPermitted


def test_defaults_are_heilongjiang_practice(db):
    assert inspection_ratios() == {"A": Decimal("0.05"), "B": Decimal("0.15"),
                                   "C": Decimal("0.4"), "D": Decimal(1)}
    assert team_size() == 2


def test_city_admin_changes_ratios_and_it_is_audited(db, city):
    stored = set_inspection_ratios(city.u["admin"], {"A": "0.03", "B": "0.150", "C": 1, "D": "1"})
    assert stored == {"A": "0.03", "B": "0.15", "C": "1", "D": "1"}
    assert inspection_ratios()["A"] == Decimal("0.03")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "setting.update"))
    assert entry.object_id == INSPECTION_RATIOS and entry.actor == "admin"
    assert entry.before == {"value": {"A": "0.05", "B": "0.15", "C": "0.4", "D": "1"}}
    assert entry.after == {"value": stored}
    set_inspection_ratios(city.u["admin"], stored)  # no change, no entry
    assert db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "setting.update").offset(1)) is None
    set_setting(OPERATOR, TEAM_SIZE, 3)
    assert get_setting(TEAM_SIZE) == 3


@pytest.mark.parametrize("user", ["publisher_city", "recorder", "auditor"])
def test_only_city_admin_changes_settings(db, city, user):
    with pytest.raises(NotPermitted):
        set_inspection_ratios(city.u[user], {"A": "0", "B": "0", "C": "0", "D": "1"})


@pytest.mark.parametrize(("ratios", "message"), [
    ({"A": "0.05", "B": "0.15", "C": "0.4"}, "one ratio for each of A, B, C and D"),
    ({"A": 0.05, "B": "0.15", "C": "0.4", "D": "1"}, "give a decimal"),
    ({"A": "five", "B": "0.15", "C": "0.4", "D": "1"}, "'five' is not a number"),
    ({"A": "1.5", "B": "0.15", "C": "0.4", "D": "1"}, "not between 0 and 1"),
    ({"A": "-0.1", "B": "0.15", "C": "0.4", "D": "1"}, "not between 0 and 1"),
    ({"A": "0.00001", "B": "0.15", "C": "0.4", "D": "1"}, "more than 4 decimal places"),
    ({"A": "NaN", "B": "0.15", "C": "0.4", "D": "1"}, "not between 0 and 1"),
])
def test_bad_ratios_are_refused(db, city, ratios, message):
    with pytest.raises(InvalidInput, match=message):
        set_inspection_ratios(city.u["admin"], ratios)


@pytest.mark.parametrize("value", [1, 6, "2", True])
def test_bad_team_sizes_are_refused(db, city, value):
    with pytest.raises(InvalidInput, match="team size"):
        set_setting(city.u["admin"], TEAM_SIZE, value)


def test_unknown_settings_are_refused(db, city):
    with pytest.raises(InvalidInput, match="is not a setting"):
        set_setting(city.u["admin"], "colour", "red")
