"""The grading rulebook: facts in, an :class:`Assessment` out."""

from credit.rules.catalogue import RULES, RULES_BY_CODE, Rule
from credit.rules.engine import evaluate
from credit.rules.facts import (
    RULEBOOK_ID,
    ArchiveFacts,
    Assessment,
    Reason,
    RecordFacts,
)
from credit.rules.forecast import Change, forecast

__all__ = [
    "RULEBOOK_ID",
    "RULES",
    "RULES_BY_CODE",
    "ArchiveFacts",
    "Assessment",
    "Change",
    "Reason",
    "RecordFacts",
    "Rule",
    "evaluate",
    "forecast",
]
