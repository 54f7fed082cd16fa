"""The warning risk score: its parts, the ranking, and scores kept current by grade changes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from credit.models import Enterprise, Grade, GradeTrigger, Record, RiskScore, User
from credit.services.grading import regrade
from credit.services.importer import write_enterprises
from credit.services.risk import (
    WEIGHTS,
    count_candidates,
    growth,
    on_grade_changes,
    rescore_all,
    score_parts,
    warning_candidates,
)
from tests.supervision import DAY
from tests.workflows.conftest import firm

FAIL = {"type": "spot_check", "subject": "product", "result": "fail"}


def fail(ref: str, date: str) -> dict:
    return {**FAIL, "ref": ref, "date": date}


def test_score_parts_number_severity_recency():
    day = dt.date(2026, 10, 15)
    one = score_parts([{"code": "C2", "refs": ["F1"]}], {("spot_check", "F1"): day})
    assert one.score(day) == pytest.approx(3.0)
    assert one.score(day + dt.timedelta(days=90)) == pytest.approx(1.5)  # half-life 90 days
    assert one.records == 1 and one.latest_on == day and one.codes == ("C2",)
    old = score_parts([{"code": "C2", "refs": ["F1"]}],
                      {("spot_check", "F1"): day - dt.timedelta(days=180)})
    assert old.score(day) == pytest.approx(0.75)
    two = score_parts([{"code": "C2", "refs": ["F1", "F2"]}],
                      {("spot_check", "F1"): day, ("inspection", "F2"): day})
    assert two.score(day) == pytest.approx(6.0) and two.records == 2
    state = score_parts([{"code": "C1", "refs": ["P1"]}],
                        {("permit", "P1"): dt.date(2024, 5, 1)})
    assert state.score(day) == state.score(day + dt.timedelta(days=400)) == WEIGHTS["C1"]
    # a ref is matched only to the record types its rule can name
    other_type = score_parts([{"code": "C2", "refs": ["F1"]}], {("violation", "F1"): day})
    assert other_type.records == 0 and other_type.score(day) == WEIGHTS["C2"]
    assert score_parts([{"code": "D2", "refs": []}], {}).score(day) == 0


def test_stored_order_never_goes_stale():
    """Rows computed on different days compare as if computed on the day of the ranking."""
    assert growth(dt.date(2020, 1, 1)) == 1.0
    early = score_parts([{"code": "C2", "refs": ["a"]}],
                        {("spot_check", "a"): dt.date(2026, 1, 1)})
    late = score_parts([{"code": "C6", "refs": ["b"]}], {("complaint", "b"): dt.date(2026, 9, 1)})
    for day in (dt.date(2026, 9, 1), dt.date(2026, 12, 31), dt.date(2027, 6, 1)):
        assert (early.score(day) > late.score(day)) == (
            3 * 0.5 ** ((day - dt.date(2026, 1, 1)).days / 90)
            > 1 * 0.5 ** ((day - dt.date(2026, 9, 1)).days / 90))


@pytest.fixture
def c_firms(db, city):
    firms = {
        "recent_two": firm(8901, "向阳区", fail("F-1", "2026-10-01"),
                           {"type": "inspection", "ref": "I-1", "date": "2026-09-20",
                            "result": "fail"}),
        "recent_one": firm(8902, "向阳区", fail("F-2", "2026-10-10")),
        "old_one": firm(8903, "向阳区", fail("F-3", "2026-02-01")),
        "rectifying": firm(8904, "向阳区", {"type": "permit", "ref": "P-4", "date": "2025-03-01",
                                          "status": "rectifying", "deadline": "2026-12-31"}),
        "other_county": firm(8905, "桦南县", fail("F-5", "2026-10-10")),
        "d": firm(8906, "向阳区", {"type": "violation", "ref": "V-6", "date": "2026-03-15",
                                 "category": "counterfeit", "severity": "general"}),
    }
    write_enterprises([dict(f) for f in firms.values()], today=DAY, source="test")
    city.u = {name: db.session.scalar(select(User).where(User.username == name))
              for name in city.u}  # the import's batches leave the session empty
    ids = {k: db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == f["uscc"]))
           for k, f in firms.items()}
    return ids


def test_ranking_riskiest_first_in_the_actor_s_jurisdiction(db, city, c_firms):
    ranked = warning_candidates(city.u["publisher"], as_of=DAY)
    ours = [c.enterprise_id for c in ranked if c.enterprise_id in c_firms.values()]
    assert ours == [c_firms[k] for k in ("recent_two", "rectifying", "recent_one", "old_one")]
    top = next(c for c in ranked if c.enterprise_id == c_firms["recent_two"])
    assert top.codes == ("C2",) and top.records == 2 and top.latest_on == dt.date(2026, 10, 1)
    assert top.score == pytest.approx(3 * 0.5 ** (14 / 90) + 3 * 0.5 ** (25 / 90), abs=0.01)
    assert all(c.district == "向阳区" for c in ranked)
    assert c_firms["d"] not in {c.enterprise_id for c in ranked}
    everyone = warning_candidates(city.u["admin"], as_of=DAY, limit=10_000)
    assert c_firms["other_county"] in {c.enterprise_id for c in everyone}
    assert count_candidates(city.u["admin"], as_of=DAY) == len(everyone)
    assert warning_candidates(city.u["publisher"], as_of=DAY, jurisdiction="桦南县") == []
    assert warning_candidates(city.u["evaluator"], as_of=DAY) == []
    # months later the permit under rectification still counts in full, the failures faded
    later = [c.enterprise_id for c in warning_candidates(
        city.u["publisher"], as_of=dt.date(2026, 12, 30)) if c.enterprise_id in c_firms.values()]
    assert later[0] == c_firms["rectifying"]


def test_scores_follow_grade_changes(db, city, c_firms):
    eid = c_firms["recent_one"]
    before = db.session.get(RiskScore, eid).event_weight
    db.session.add(Record(enterprise_id=eid, type="complaint", ref="CP-2",
                          date=dt.date(2026, 10, 12), resolution="unresolved"))
    db.session.flush()
    regrade([eid], as_of=DAY, cause=GradeTrigger.RECORD_ADDED)
    db.session.expire_all()
    row = db.session.get(RiskScore, eid)
    assert row.codes == ["C2", "C6"] and row.event_weight > before
    for record in db.session.scalars(select(Record).where(Record.enterprise_id == eid)):
        db.session.delete(record)
    db.session.flush()
    regrade([eid], as_of=DAY, cause=GradeTrigger.RECORD_REMOVED)  # no longer C
    assert db.session.get(RiskScore, eid) is None


def test_rescore_rebuilds_the_table(db, city, c_firms):
    kept = {r.enterprise_id: r.event_weight for r in db.session.scalars(select(RiskScore))}
    assert set(kept) == {c_firms[k] for k in ("recent_two", "recent_one", "old_one",
                                              "rectifying", "other_county")}
    db.session.execute(RiskScore.__table__.delete())
    graded_c = db.session.scalar(select(func.count()).select_from(Grade).where(
        Grade.grade == "C"))
    assert rescore_all(DAY) == graded_c  # the generated ones too (no reasons: score 0)
    db.session.expire_all()
    again = {r.enterprise_id: r.event_weight for r in db.session.scalars(select(RiskScore))}
    assert {k: again[k] for k in kept} == pytest.approx(kept)


def test_the_listener_takes_a_few_statements_per_batch(db, city, c_firms):
    rows = [{"enterprise_id": eid, "old_grade": "B", "new_grade": "C", "changed_on": DAY,
             "reasons": [{"code": "C2", "refs": [f"F-{i}"]}]}
            for i, eid in enumerate(db.session.scalars(select(Enterprise.id).limit(1000)))]
    statements = []
    engine = db.session.get_bind()

    def count(conn, cursor, statement, *args):
        statements.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", count)
    try:
        on_grade_changes(rows)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 6, statements
    assert db.session.scalar(select(func.count()).select_from(RiskScore)) >= len(rows)
