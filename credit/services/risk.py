"""The risk score that ranks C enterprises for yellow-card warnings (policy 四(三): 加强质量失信
企业风险分析，对风险较大的企业进行预警或黄牌警告).

The score adds up the records behind an enterprise's C reasons:

    score(T) = sum over event records  w(code) * 2 ** (-(T - record date) / 90 days)
             + sum over state records  w(code)            (a finding still in force)

- number: every record behind a reason counts, so two failed checks weigh more than one;
- severity: ``WEIGHTS`` below, higher where the finding is one step from a D rule (a failed
  check: a second one in a row is D4; a permit under rectification: D3 once the deadline
  passes; a violation: D7 when serious) or harms buyers directly;
- recency: an event's weight halves every 90 days; a state record in force (rectification
  under way, a standard not met, poor after-sales service, a pass rate below 100%) counts in
  full while it holds.

A reason without any record behind it counts once, in full. Scores are kept in
``risk_scores``, updated with each batch of grade changes (``on_grade_changes``, a few queries
per batch), in a form whose order never goes stale: the event part is stored multiplied by
``2 ** ((date - EPOCH) / 90)``, so rows written on different days compare correctly on any
later day, and the ranking is one indexed query even at a million enterprises.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, delete, desc, select

from credit.extensions import db
from credit.models import Enterprise, Grade, Record, RiskScore, User, WarningNotice, WarningState
from credit.permissions import Operator, can_view_supervision_reports
from credit.services import grading
from credit.services.bulk import insert_rows
from credit.vocabulary import STATE_TYPES

EPOCH = dt.date(2020, 1, 1)
HALF_LIFE_DAYS = 90

#: Severity of each C rule (see the module docstring).
WEIGHTS = {"C1": 3, "C2": 3, "C3": 2, "C4": 2, "C5": 2, "C6": 1, "C7": 1, "C8": 3}

#: The record types each C rule can name, to match a reason's refs to records.
RULE_TYPES = {
    "C1": ("permit",), "C2": ("spot_check", "inspection"), "C3": ("supervised_test", "pass_rate"),
    "C4": ("standard",), "C5": ("false_claim",), "C6": ("complaint", "accident"),
    "C7": ("after_sales",), "C8": ("violation",),
}


def growth(day: dt.date) -> float:
    """2 ** ((day - EPOCH) / half-life): the anchored weight of an event on ``day``."""
    return 2.0 ** ((day - EPOCH).days / HALF_LIFE_DAYS)


@dataclass(frozen=True)
class Parts:
    event_weight: float
    state_weight: float
    codes: tuple[str, ...]
    records: int
    latest_on: dt.date | None

    def score(self, as_of: dt.date) -> float:
        return self.event_weight / growth(as_of) + self.state_weight


def score_parts(reasons: list[dict], records: dict[tuple[str, str], dt.date]) -> Parts:
    """The stored parts of one enterprise's score from its C reasons ([{"code", "refs"}]) and
    its records {(type, ref): date}."""
    event = state = 0.0
    count = 0
    latest = None
    codes = []
    for reason in reasons:
        code = reason["code"]
        if code not in WEIGHTS:
            continue
        codes.append(code)
        weight = WEIGHTS[code]
        matched = False
        for ref in reason.get("refs", ()):
            for rtype in RULE_TYPES[code]:
                day = records.get((rtype, ref))
                if day is None:
                    continue
                matched = True
                count += 1
                latest = day if latest is None or day > latest else latest
                if rtype in STATE_TYPES:
                    state += weight
                else:
                    event += weight * growth(day)
        if not matched:
            state += weight
    return Parts(event, state, tuple(codes), count, latest)


def _records_of(changes: list[dict]) -> dict[int, dict[tuple[str, str], dt.date]]:
    refs = {ref for row in changes for reason in row["reasons"] for ref in reason.get("refs", ())}
    found: dict[int, dict[tuple[str, str], dt.date]] = defaultdict(dict)
    if refs:
        for eid, rtype, ref, day in db.session.execute(
            select(Record.enterprise_id, Record.type, Record.ref, Record.date).where(
                Record.enterprise_id.in_([row["enterprise_id"] for row in changes]),
                Record.ref.in_(refs))
        ):
            found[eid][(rtype, ref)] = day
    return found


def store_scores(changes: list[dict]) -> None:
    """Replace the stored scores of these enterprises from their grade-change (or grade) rows:
    ``{"enterprise_id", "new_grade", "reasons", "changed_on"}``; only C keeps a score."""
    if not changes:
        return
    latest = {row["enterprise_id"]: row for row in changes}  # the last row of each wins
    db.session.execute(delete(RiskScore).where(RiskScore.enterprise_id.in_(list(latest))))
    graded_c = [row for row in latest.values() if row["new_grade"] == "C"]
    records = _records_of(graded_c)
    rows = []
    for row in graded_c:
        parts = score_parts(row["reasons"], records.get(row["enterprise_id"], {}))
        rows.append({"enterprise_id": row["enterprise_id"], "event_weight": parts.event_weight,
                     "state_weight": parts.state_weight, "codes": list(parts.codes),
                     "records": parts.records, "latest_on": parts.latest_on,
                     "computed_on": row["changed_on"]})
    insert_rows(RiskScore.__table__, rows)


def on_grade_changes(history: list[dict]) -> None:
    """Keep the scores of a batch of grade changes current (a few queries per batch)."""
    touched = [row for row in history if row["new_grade"] == "C" or row["old_grade"] == "C"]
    store_scores(touched)


def rescore_all(as_of: dt.date) -> int:
    """Recompute every C enterprise's score from its stored grade (after an upgrade that
    brought this table, or to repair it); returns how many. Flushes only."""
    size = current_app.config["BATCH_SIZE"]
    db.session.execute(delete(RiskScore))
    last, total = 0, 0
    while True:
        rows = db.session.execute(
            select(Grade.enterprise_id, Grade.reasons).where(
                Grade.grade == "C", Grade.enterprise_id > last)
            .order_by(Grade.enterprise_id).limit(size)).all()
        if not rows:
            return total
        store_scores([{"enterprise_id": eid, "new_grade": "C", "reasons": reasons,
                       "changed_on": as_of} for eid, reasons in rows])
        total += len(rows)
        last = rows[-1].enterprise_id


# -- ranking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A C enterprise in the warning ranking."""

    enterprise_id: int
    uscc: str
    name: str
    district: str
    score: float
    codes: tuple[str, ...]
    records: int
    latest_on: dt.date | None
    c_since: dt.date
    open_warning_id: int | None


def _ranking(actor: User | Operator, jurisdiction: str | None, as_of: dt.date,
             without_open_warning: bool):
    score = RiskScore.event_weight * (1.0 / growth(as_of)) + RiskScore.state_weight
    query = (
        select(Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.district,
               score.label("score"), RiskScore.codes, RiskScore.records, RiskScore.latest_on,
               Grade.since, WarningNotice.id.label("warning_id"))
        .join(Grade, and_(Grade.enterprise_id == RiskScore.enterprise_id, Grade.grade == "C"))
        .join(Enterprise, Enterprise.id == RiskScore.enterprise_id)
        .outerjoin(WarningNotice, and_(WarningNotice.enterprise_id == Enterprise.id,
                                       WarningNotice.state == WarningState.ISSUED.value))
    )
    district = jurisdiction or getattr(actor, "jurisdiction", None)
    if district is not None:
        query = query.where(Enterprise.district == district)
    if without_open_warning:
        query = query.where(WarningNotice.id.is_(None))
    return query, score


def warning_candidates(actor: User | Operator, *, as_of: dt.date,
                       jurisdiction: str | None = None, without_open_warning: bool = False,
                       limit: int = 50, offset: int = 0) -> list[Candidate]:
    """C enterprises in the actor's jurisdiction, riskiest first (score, then number of
    records, then the newest record, then USCC). Empty for those who may not see them."""
    if not can_view_supervision_reports(actor, jurisdiction or getattr(actor, "jurisdiction",
                                                                        None)):
        return []
    query, score = _ranking(actor, jurisdiction, as_of, without_open_warning)
    rows = db.session.execute(
        query.order_by(desc(score), desc(RiskScore.records),
                       RiskScore.latest_on.desc().nulls_last(), Enterprise.uscc)
        .limit(limit).offset(offset)).all()
    return [Candidate(r.id, r.uscc, r.name, r.district, round(r.score, 2), tuple(r.codes),
                      r.records, r.latest_on, r.since, r.warning_id) for r in rows]


def count_candidates(actor: User | Operator, *, as_of: dt.date,
                     jurisdiction: str | None = None,
                     without_open_warning: bool = False) -> int:
    if not can_view_supervision_reports(actor, jurisdiction or getattr(actor, "jurisdiction",
                                                                        None)):
        return 0
    query, _ = _ranking(actor, jurisdiction, as_of, without_open_warning)
    return db.session.scalar(query.with_only_columns(db.func.count())) or 0


def current_score(enterprise_id: int, as_of: dt.date) -> float | None:
    row = db.session.get(RiskScore, enterprise_id)
    if row is None:
        return None
    return round(row.event_weight / growth(as_of) + row.state_weight, 2)


if on_grade_changes not in grading.grade_change_listeners:
    grading.grade_change_listeners.append(on_grade_changes)
