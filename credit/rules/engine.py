"""Evaluate the rulebook: a pure function of (archive, date), no database, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from credit.rules.catalogue import RULES, RULES_BY_CODE, Context, Rule, record_order
from credit.rules.facts import ArchiveFacts, Assessment, Ground, Reason, RecordFacts

D_RULES: tuple[Rule, ...] = tuple(rule for rule in RULES if rule.level == "D")
C_RULES: tuple[Rule, ...] = tuple(rule for rule in RULES if rule.level == "C")
A_RULES: tuple[Rule, ...] = tuple(rule for rule in RULES if rule.level == "A")
B1_NEW: Rule = RULES_BY_CODE["B1-new"]

GRADE_RANK = {"D": 0, "C": 1, "B": 2, "A": 3}
"""Worst to best, for comparing grades."""


def refs_of(records: Iterable[RecordFacts]) -> tuple[str, ...]:
    """The records' refs in (date, ref) order, each once."""
    return tuple(dict.fromkeys(record.ref for record in sorted(records, key=record_order)))


def _holding(rules: tuple[Rule, ...], ctx: Context) -> tuple[Reason, ...]:
    """A reason for every rule of ``rules`` that holds, in rulebook order."""
    return tuple(
        Reason(rule.code, refs_of(found))
        for rule in rules
        if (found := rule.match(ctx)) is not None
    )


def evaluate(archive: ArchiveFacts, as_of: date) -> Assessment:
    """Grade an archive as of a date: D, then C, then A; B otherwise."""
    ctx = Context(archive, as_of)
    for level, rules in (("D", D_RULES), ("C", C_RULES)):
        reasons = _holding(rules, ctx)
        if reasons:
            return Assessment(level, reasons)
    unmet = tuple(
        Reason(rule.code, refs_of(rule.breaches(ctx)) if rule.breaches else ())
        for rule in A_RULES
        if rule.match(ctx) is None
    )
    if not unmet:
        return Assessment("A", ())
    return Assessment("B", _holding((B1_NEW,), ctx), unmet)


def _record_key(record: RecordFacts) -> tuple:
    return (record.date, record.ref, record.type)


#: D rules that read the enterprise's qualification (法定资质), not only its records.
QUALIFICATION_RULES = frozenset({"D1"})


def serious_grounds(archive: ArchiveFacts, as_of: date) -> tuple[Ground, ...]:
    """What a D grade rests on, rule by rule, with each record's type (empty unless D).

    Reasons name records by ref alone, and a ref is unique only within its type; these grounds
    are what a D case lists and what its facts are matched by.
    """
    ctx = Context(archive, as_of)
    return tuple(
        Ground(rule.code, tuple(sorted(dict.fromkeys(found), key=_record_key)),
               rule.code in QUALIFICATION_RULES and ctx.qualification == "invalid")
        for rule in D_RULES
        if (found := rule.match(ctx)) is not None
    )
