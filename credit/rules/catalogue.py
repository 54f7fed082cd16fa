"""The rulebook JMS-2020-42/1: one small named rule per clause of ``grading-rules.md``.

Every rule reads a :class:`Context`, built once per evaluation, and answers ``None`` when it
does not hold, else the records that made it hold (possibly none, as for D1 through the
enterprise's qualification).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from operator import attrgetter

from credit.rules.facts import ArchiveFacts, RecordFacts

Records = tuple[RecordFacts, ...]
Match = Callable[["Context"], Records | None]

STATE_TYPES = frozenset({"permit", "standard", "after_sales", "pass_rate"})
LEVELS = ("D", "C", "A", "B")

record_order = attrgetter("date", "ref")
"""Sort key of records everywhere: date, then ref (ties in D4 and in reason refs)."""

_NONE: Records = ()


# -- time ---------------------------------------------------------------------------------


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier; 29 February becomes 28 February if it must."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def anniversary(day: date, years: int) -> date:
    """The first date T with ``years_before(T, years) >= day``.

    This is the day a record dated ``day`` leaves a ``years``-long window, and the day an
    enterprise established on ``day`` has been established ``years`` years. For 29 February
    in a year without one it is 1 March, because ``years_before`` maps 28 February back to 28.
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


# -- context ------------------------------------------------------------------------------


class Context:
    """One archive sorted and bucketed once for one evaluation date; the rules read only this."""

    __slots__ = (
        "as_of",
        "qualification",
        "established_on",
        "established_3",
        "year",
        "recent",
        "in_force",
    )

    def __init__(self, archive: ArchiveFacts, as_of: date) -> None:
        window_start = years_before(as_of, 3)  # exclusive
        year_start = date(as_of.year, 1, 1)
        self.as_of = as_of
        self.qualification = archive.qualification
        self.established_on = archive.established_on
        self.established_3 = archive.established_on <= window_start
        # records of each type in (date, ref) order: this year, within 3 years, in force
        year: dict[str, list[RecordFacts]] = {}
        recent: dict[str, list[RecordFacts]] = {}
        in_force: dict[str, list[RecordFacts]] = {}
        latest_rates: list[RecordFacts] = []
        for record in sorted(archive.records, key=record_order):
            if record.date > as_of:
                break  # records after as_of do not exist for this evaluation
            kind = record.type
            if record.date > window_start:
                recent.setdefault(kind, []).append(record)
                if record.date >= year_start:
                    year.setdefault(kind, []).append(record)
            if kind == "pass_rate":
                # a later-dated pass rate replaces the earlier ones; same-date ones stand together
                if latest_rates and latest_rates[0].date != record.date:
                    latest_rates.clear()
                latest_rates.append(record)
            elif kind in STATE_TYPES and (record.resolved_on is None or record.resolved_on > as_of):
                in_force.setdefault(kind, []).append(record)
        if latest_rates:
            rate_start = years_before(as_of, 1)  # exclusive: a pass rate counts for one year
            rates = [
                r
                for r in latest_rates
                if r.date > rate_start and (r.resolved_on is None or r.resolved_on > as_of)
            ]
            if rates:
                in_force["pass_rate"] = rates
        self.year = year
        self.recent = recent
        self.in_force = in_force

    def this_year(self, kind: str) -> Sequence[RecordFacts]:
        """Records of ``kind`` dated from 1 January of the evaluation year through as_of."""
        return self.year.get(kind, _NONE)

    def within_3_years(self, kind: str) -> Sequence[RecordFacts]:
        """Records of ``kind`` dated after as_of minus 3 years, through as_of."""
        return self.recent.get(kind, _NONE)

    def current(self, kind: str) -> Sequence[RecordFacts]:
        """State records of ``kind`` in force on as_of."""
        return self.in_force.get(kind, _NONE)

    @property
    def established_2(self) -> bool:
        """Whether the enterprise has been established 2 years (only B1-new asks)."""
        return self.established_on <= years_before(self.as_of, 2)


def _pick(records: Sequence[RecordFacts], keep: Callable[[RecordFacts], bool]) -> Records | None:
    """The records ``keep`` selects, or None (the rule does not hold) when there are none."""
    if not records:
        return None
    return tuple(r for r in records if keep(r)) or None


def _either(*branches: Records | None) -> Records | None:
    """A rule of several branches holds through any of them, with all their records."""
    found = tuple(r for branch in branches if branch for r in branch)
    return found or None


def _failed(record: RecordFacts) -> bool:
    return record.result == "fail"


# -- rule unit ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One clause: its code, its level, a one-line description and its test."""

    code: str
    level: str  # D | C | A | B
    description: str
    match: Match
    # A conditions only: the records that break the condition (for a B grade's unmet list)
    breaches: Callable[[Context], Records] | None = None


# -- D: 严重失信 ---------------------------------------------------------------------------


def _d1(ctx: Context) -> Records | None:
    missing = _pick(ctx.current("permit"), lambda p: p.status == "missing") or _NONE
    return missing if missing or ctx.qualification == "invalid" else None


def _d2(ctx: Context) -> Records | None:
    return _pick(ctx.this_year("violation"), lambda v: v.category == "counterfeit")


def _d3(ctx: Context) -> Records | None:
    as_of = ctx.as_of
    return _pick(
        ctx.current("permit"),
        lambda p: p.status == "failed"
        or (p.status == "rectifying" and p.deadline is not None and p.deadline < as_of),
    )


def _consecutive_failures(checks: Sequence[RecordFacts]) -> Records | None:
    """Spot checks (in date, ref order) that fail next to another failing one."""
    paired: list[RecordFacts] = []
    for before, after in pairwise(checks):
        if before.result == "fail" and after.result == "fail":
            if not paired or paired[-1] is not before:
                paired.append(before)
            paired.append(after)
    return tuple(paired) or None


def _d4(ctx: Context) -> Records | None:
    return _either(
        _consecutive_failures(ctx.this_year("spot_check")),
        _pick(ctx.this_year("supervised_test"), lambda t: t.result in ("severe", "untested")),
    )


def _d5(ctx: Context) -> Records | None:
    return _pick(ctx.this_year("false_claim"), lambda f: f.harm == "major")


def _d6(ctx: Context) -> Records | None:
    return _pick(ctx.current("standard"), lambda s: s.finding == "no_standard")


def _d7(ctx: Context) -> Records | None:
    return _pick(ctx.this_year("violation"), lambda v: v.severity == "serious")


def _d8(ctx: Context) -> Records | None:
    return _pick(ctx.current("after_sales"), lambda a: a.finding == "serious_breach")


def _d9(ctx: Context) -> Records | None:
    return _pick(ctx.this_year("accident"), lambda a: a.severity == "major")


# -- C: 失信 -------------------------------------------------------------------------------


def _c1(ctx: Context) -> Records | None:
    as_of = ctx.as_of
    # a rectifying permit without a deadline (invalid input) is taken as still in its period
    return _pick(
        ctx.current("permit"),
        lambda p: p.status == "rectifying" and (p.deadline is None or p.deadline >= as_of),
    )


def _c2(ctx: Context) -> Records | None:
    return _either(
        _pick(ctx.this_year("spot_check"), _failed),
        _pick(ctx.this_year("inspection"), _failed),
    )


def _c3(ctx: Context) -> Records | None:
    return _either(
        _pick(ctx.this_year("supervised_test"), _failed),
        _pick(ctx.current("pass_rate"), lambda p: p.rate is not None and p.rate < 1),
    )


def _c4(ctx: Context) -> Records | None:
    return _pick(ctx.current("standard"), lambda s: s.finding == "below_declared")


def _c5(ctx: Context) -> Records | None:
    return _pick(ctx.this_year("false_claim"), lambda f: f.harm == "minor")


def _c6(ctx: Context) -> Records | None:
    return _either(
        _pick(ctx.this_year("complaint"), lambda c: c.resolution in ("late", "unresolved")),
        _pick(ctx.this_year("accident"), lambda a: a.severity == "general"),
    )


def _c7(ctx: Context) -> Records | None:
    return _pick(ctx.current("after_sales"), lambda a: a.finding == "deficient")


def _c8(ctx: Context) -> Records | None:
    return _pick(
        ctx.this_year("violation"),
        lambda v: v.category in ("quality", "metrology") and v.severity == "general",
    )


# -- A: 守信 (conditions), and B1-new -------------------------------------------------------


def _a1_breaches(ctx: Context) -> Records:
    return (
        _either(
            _pick(ctx.within_3_years("spot_check"), _failed),
            _pick(ctx.within_3_years("inspection"), _failed),
            tuple(ctx.within_3_years("violation")),
        )
        or _NONE
    )


def _a1(ctx: Context) -> Records | None:
    return _NONE if ctx.established_3 and not _a1_breaches(ctx) else None


def _a5_breaches(ctx: Context) -> Records:
    return (*ctx.this_year("complaint"), *ctx.this_year("accident"))


def _a5(ctx: Context) -> Records | None:
    return None if _a5_breaches(ctx) else _NONE


def _b1_new(ctx: Context) -> Records | None:
    return None if ctx.established_2 else _NONE


RULES: tuple[Rule, ...] = (
    Rule("D1", "D", "法定资质无效或缺失，或现存未取得行政许可的记录", _d1),
    Rule("D2", "D", "当年有故意生产假冒伪劣产品的违法记录", _d2),
    Rule("D3", "D", "行政许可未通过，或整改期限已过仍未完成整改", _d3),
    Rule("D4", "D", "当年监督抽查相邻两次均不合格，或监督检验严重不合格、未经检验出厂", _d4),
    Rule("D5", "D", "当年有造成重大危害的虚假广告、虚假数据或虚假宣传", _d5),
    Rule("D6", "D", "现存无标准生产或不按标准生产的情况", _d6),
    Rule("D7", "D", "当年有足以吊销许可证照或移送司法机关的严重违法行为", _d7),
    Rule("D8", "D", "现存严重违反售后服务承诺的情况", _d8),
    Rule("D9", "D", "当年因产品质量问题发生重大事故", _d9),
    Rule("C1", "C", "行政许可正在整改，且尚未超过整改期限", _c1),
    Rule("C2", "C", "当年监督抽查或监督检查不合格", _c2),
    Rule("C3", "C", "当年监督检验不合格，或现行出厂合格率低于百分之百", _c3),
    Rule("C4", "C", "现存产品质量低于明示或承诺标准的情况", _c4),
    Rule("C5", "C", "当年有危害较轻的虚假广告、虚假数据或虚假宣传", _c5),
    Rule("C6", "C", "当年有逾期处理或未处理的投诉，或发生一般质量事故", _c6),
    Rule("C7", "C", "现存售后服务不到位的情况", _c7),
    Rule("C8", "C", "当年有一般性质量或计量违法违规行为", _c8),
    Rule("A1", "A", "成立满三年，且三年内抽查、检查均合格并无任何违法记录", _a1, _a1_breaches),
    Rule("A5", "A", "当年没有任何投诉，也没有发生质量事故", _a5, _a5_breaches),
    Rule("B1-new", "B", "成立未满两年，且没有任何失信情形", _b1_new),
)

RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
