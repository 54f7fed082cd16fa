"""The archive's vocabulary: jurisdictions, record types and their fields.

One source of truth for the exchange-file validator, the database check constraints, the demo
data and the staff forms. Field rules follow ``spec/archive-exchange.md`` and
``policy/grading-rules.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The 11 jurisdictions of the city (policy 五(一)); city-bureau staff have all of them.
DISTRICTS: tuple[str, ...] = (
    "向阳区",
    "前进区",
    "东风区",
    "郊区",
    "桦南县",
    "桦川县",
    "汤原县",
    "同江市",
    "富锦市",
    "抚远市",
    "建三江管委会",
)

QUALIFICATIONS: tuple[str, ...] = ("valid", "invalid")

NAME_MAX = 200


@dataclass(frozen=True)
class FieldSpec:
    """A type-specific record field: ``kind`` is ``enum``, ``date`` or ``rate``."""

    name: str
    kind: str
    values: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class RecordKind:
    """A record type: an event (happened on a date) or a state (holds until resolved)."""

    name: str
    label: str
    state: bool
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _enum(name: str, *values: str) -> FieldSpec:
    return FieldSpec(name, "enum", values)


RECORD_KINDS: dict[str, RecordKind] = {
    k.name: k
    for k in (
        RecordKind("spot_check", "监督抽查", False,
                   (_enum("subject", "product", "metrology"), _enum("result", "pass", "fail"))),
        RecordKind("inspection", "监督检查", False, (_enum("result", "pass", "fail"),)),
        RecordKind("supervised_test", "监督检验", False,
                   (_enum("result", "pass", "fail", "severe", "untested"),)),
        RecordKind("violation", "违法违规", False,
                   (_enum("category", "quality", "metrology", "counterfeit"),
                    _enum("severity", "general", "serious"))),
        RecordKind("false_claim", "虚假宣传", False, (_enum("harm", "minor", "major"),)),
        RecordKind("complaint", "投诉索赔退货", False,
                   (_enum("resolution", "timely", "late", "unresolved"),)),
        RecordKind("accident", "质量事故", False, (_enum("severity", "general", "major"),)),
        RecordKind("permit", "行政许可", True,
                   (_enum("status", "held", "rectifying", "failed", "missing"),
                    FieldSpec("deadline", "date", required=False))),
        RecordKind("standard", "执行标准", True,
                   (_enum("finding", "below_declared", "no_standard"),)),
        RecordKind("after_sales", "售后服务", True,
                   (_enum("finding", "deficient", "serious_breach"),)),
        RecordKind("pass_rate", "出厂合格率", True, (FieldSpec("rate", "rate"),)),
    )
}

RECORD_TYPES: tuple[str, ...] = tuple(RECORD_KINDS)
STATE_TYPES: tuple[str, ...] = tuple(k.name for k in RECORD_KINDS.values() if k.state)

#: Every type-specific column, in a stable order (the union over all record types).
DETAIL_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(f.name for k in RECORD_KINDS.values() for f in k.fields)
)
