"""Settings the city bureau changes at run time: a small registry of named, validated values.

``get_setting(key)`` returns the stored value or the default; ``set_setting(actor, key, value)``
validates, stores and writes a ``setting.update`` audit entry (before/after). Only
``city_admin`` (or the command line) may change settings. Flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from credit.extensions import db
from credit.models import Setting, User
from credit.permissions import OPERATOR, Operator, can_manage_settings
from credit.services import audit
from credit.workflows.errors import InvalidInput, NotPermitted

GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    clean: Callable[[Any], Any]  # returns the value to store, or raises InvalidInput
    description: str


def _ratio(grade: str, value: Any) -> str:
    """A share from 0 to 1 as an exact decimal string (floats would make ceil() unstable)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidInput(f"ratio {grade}: give a decimal such as '0.15', got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"ratio {grade}: {value!r} is not a number") from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(1):
        raise InvalidInput(f"ratio {grade}: {value} is not between 0 and 1")
    if number.as_tuple().exponent < -4:
        raise InvalidInput(f"ratio {grade}: {value} has more than 4 decimal places")
    return format(number.normalize(), "f") if number else "0"


def _clean_ratios(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != set(GRADES):
        raise InvalidInput("inspection ratios: give one ratio for each of A, B, C and D")
    return {grade: _ratio(grade, value[grade]) for grade in GRADES}


def _clean_team_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= 5:
        raise InvalidInput(f"team size: {value!r} is not a whole number from 2 to 5")
    return value


INSPECTION_RATIOS = "supervision.inspection_ratios"
TEAM_SIZE = "supervision.team_size"

SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(INSPECTION_RATIOS, {"A": "0.05", "B": "0.15", "C": "0.4", "D": "1"},
                    _clean_ratios,
                    "share of each grade drawn for random inspection (Heilongjiang practice)"),
        SettingSpec(TEAM_SIZE, 2, _clean_team_size,
                    "inspectors drawn for each enterprise (at least two)"),
    )
}


def get_setting(key: str) -> Any:
    """The stored value of a registered setting, or its default."""
    spec = SPECS[key]
    row = db.session.get(Setting, key)
    return spec.default if row is None else row.value


def set_setting(actor: User | Operator, key: str, value: Any) -> Any:
    """Validate and store a setting (audited); returns the value as stored."""
    if actor is not OPERATOR and not can_manage_settings(actor):
        raise NotPermitted("only the city bureau's administrator may change settings")
    if key not in SPECS:
        raise InvalidInput(f"{key!r} is not a setting")
    cleaned = SPECS[key].clean(value)
    row = db.session.get(Setting, key)
    before = SPECS[key].default if row is None else row.value
    if row is None:
        row = Setting(key=key, value=cleaned, updated_by_id=actor.id)
        db.session.add(row)
    else:
        row.value, row.updated_by_id = cleaned, actor.id
    db.session.flush()
    if before != cleaned:
        audit.record("setting.update", "setting", key, actor_id=actor.id, before={"value": before},
                     after={"value": cleaned})
    return cleaned


def inspection_ratios() -> dict[str, Decimal]:
    """The current inspection ratio of each grade, as exact decimals."""
    return {grade: Decimal(text) for grade, text in get_setting(INSPECTION_RATIOS).items()}


def set_inspection_ratios(actor: User | Operator, ratios: dict[str, Any]) -> dict[str, str]:
    """Change the ratios (e.g. ``{"A": "0.05", "B": "0.15", "C": "0.4", "D": "1"}``)."""
    return set_setting(actor, INSPECTION_RATIOS, ratios)


def team_size() -> int:
    return int(get_setting(TEAM_SIZE))
