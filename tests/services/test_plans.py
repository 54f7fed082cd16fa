"""Random inspection plans in the database: create, draw once, verify, cancel, results."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from credit.models import (
    AuditEntry,
    Enterprise,
    Grade,
    PlanItem,
    PlanJurisdiction,
    PlanStratum,
    Record,
)
from credit.permissions import OPERATOR
from credit.services import draw
from credit.services.importer import write_enterprises
from credit.services.inspectors import set_inspector_active
from credit.services.plans import (
    Result,
    cancel_plan,
    close_plan,
    create_plan,
    draw_plan,
    get_plan,
    plan_items,
    plans_for,
    record_result,
    verify_plan,
)
from credit.services.settings import set_inspection_ratios
from credit.workflows.errors import InvalidInput, InvalidTransition, NotPermitted
from tests.supervision import DAY, add_pool, generate_city
from tests.workflows.conftest import firm

BOTH = ["向阳区", "桦南县"]


def draw_new(actor=OPERATOR, *, period="2026-11", jurisdictions=BOTH, **kwargs):
    plan = create_plan(actor, period=period, jurisdictions=jurisdictions, **kwargs)
    selection = draw_plan(actor, plan)
    return plan, selection


def actions(db, plan_id: int) -> list[str]:
    return db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "inspection_plan", AuditEntry.object_id == str(plan_id))
        .order_by(AuditEntry.id)).all()


# -- creating and drawing ----------------------------------------------------------------------


def test_seed_is_fixed_and_audited_before_the_draw(db, city):
    plan = create_plan(city.u["publisher_city"], period="2026-11", jurisdictions=BOTH)
    assert plan.state == "created" and re.fullmatch(r"[0-9a-f]{32}", plan.seed)
    assert plan.seed_source == "generated" and plan.algorithm == draw.ALGORITHM
    assert plan.ratios == {"A": "0.05", "B": "0.15", "C": "0.4", "D": "1"}
    assert plan.team_size == 2
    created = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "inspection_plan.create"))
    assert created.after["seed"] == plan.seed and created.actor == "publisher_city"
    assert db.session.scalar(select(func.count()).select_from(PlanItem)) == 0
    selection = draw_plan(city.u["publisher_city"], plan)
    assert plan.state == "drawn" and plan.selected_count == len(selection) > 0
    assert actions(db, plan.id) == ["inspection_plan.create", "inspection_plan.draw"]
    logged = db.session.scalar(select(AuditEntry.after).where(
        AuditEntry.action == "inspection_plan.draw"))
    assert logged["inputs_digest"] == plan.inputs_digest
    assert logged["selection_digest"] == plan.selection_digest
    assert logged["seed"] == plan.seed


def test_a_given_seed_is_recorded_as_given(db, city):
    plan = create_plan(OPERATOR, period="2026-11", jurisdictions=BOTH, seed="双色球2026125")
    assert (plan.seed, plan.seed_source) == ("双色球2026125", "given")
    for bad in ("", " padded", "x" * 101, "tab\there"):
        with pytest.raises(InvalidInput, match="seed"):
            create_plan(OPERATOR, period="2026-12", jurisdictions=BOTH, seed=bad)


def test_draw_ratios_are_exact_on_a_large_generated_archive(db, today):
    """20,000 enterprises: each (jurisdiction, grade) gives exactly ceil(ratio * n), every
    drawn enterprise is in the frozen list of its stratum, and no part of the USCC order is
    favoured (the drawn share of the lower half of each list within binomial bounds)."""
    today(DAY)
    grades = generate_city(20_000, districts=tuple(BOTH))
    add_pool("向阳区", 5)
    add_pool("桦南县", 5)
    plan, selection = draw_new(seed="large")
    strata = db.session.scalars(select(PlanStratum).where(PlanStratum.plan_id == plan.id)).all()
    assert len(strata) == 8
    ratios = {"A": Decimal("0.05"), "B": Decimal("0.15"), "C": Decimal("0.4"), "D": Decimal(1)}
    lower_half = 0
    expected_lower = 0.0
    variance = 0.0
    for s in strata:
        usccs = draw.unpack_usccs(s.usccs)
        assert s.eligible == len(usccs) == sum(
            1 for j, g in grades.values() if (j, g) == (s.jurisdiction, s.grade))
        assert list(usccs) == sorted(u for u, jg in grades.items()
                                     if jg == (s.jurisdiction, s.grade))
        assert s.selected == math.ceil(ratios[s.grade] * s.eligible)
        chosen = [d.uscc for d in selection if (d.jurisdiction, d.grade) == (s.jurisdiction,
                                                                             s.grade)]
        assert len(chosen) == s.selected and set(chosen) <= set(usccs)
        assert sorted(d.rank for d in selection
                      if (d.jurisdiction, d.grade) == (s.jurisdiction, s.grade)) == list(
            range(1, s.selected + 1))
        if 0 < s.selected < s.eligible:
            half = set(usccs[: len(usccs) // 2])
            lower_half += sum(1 for u in chosen if u in half)
            p = (len(usccs) // 2) / len(usccs)
            expected_lower += s.selected * p
            variance += s.selected * p * (1 - p)
    assert abs(lower_half - expected_lower) < 5 * math.sqrt(variance)
    assert sum(s.eligible for s in strata) == 20_000 == plan.eligible_count
    counts = {g: sum(1 for d in selection if d.grade == g) for g in "ABCD"}
    graded = {g: sum(1 for _, v in grades.values() if v == g) for g in "ABCD"}
    assert counts["D"] == graded["D"]
    for g in "ABC":
        assert abs(counts[g] / graded[g] - float(ratios[g])) < 0.005


def test_same_seed_same_selection_other_seed_other_selection(db, city):
    plan, first = draw_new(seed="same")
    cancel_plan(OPERATOR, plan, reason="drill: repeat the draw")
    assert verify_plan(OPERATOR, plan).ok  # a cancelled draw can still be proved
    again, second = draw_new(seed="same")
    assert [(d.uscc, d.inspectors) for d in second] == [(d.uscc, d.inspectors) for d in first]
    cancel_plan(OPERATOR, again, reason="drill")
    _, third = draw_new(seed="other")
    assert {d.uscc for d in third} != {d.uscc for d in first}


def test_a_drawn_plan_is_never_drawn_again(db, city):
    plan, _ = draw_new()
    with pytest.raises(InvalidTransition, match="is drawn, it must be created"):
        draw_plan(OPERATOR, plan)


def test_a_second_plan_for_the_period_needs_the_first_cancelled(db, city):
    plan, _ = draw_new(jurisdictions=["向阳区"])
    for jurisdictions in (["向阳区"], ["桦南县", "向阳区"]):
        with pytest.raises(InvalidTransition, match=f"向阳区 already has plan {plan.id}"):
            create_plan(OPERATOR, period="2026-11", jurisdictions=jurisdictions)
    create_plan(OPERATOR, period="2026-11", jurisdictions=["桦南县"])  # another jurisdiction
    create_plan(OPERATOR, period="2026-12", jurisdictions=["向阳区"])  # another month
    create_plan(OPERATOR, period="2026-11", jurisdictions=["向阳区"], kind="licence_review")
    with pytest.raises(InvalidInput, match="reason"):
        cancel_plan(OPERATOR, plan, reason="  ")
    cancel_plan(city.u["publisher"], plan, reason="wrong pool")
    assert plan.state == "cancelled" and plan.cancel_reason == "wrong pool"
    assert "inspection_plan.cancel" in actions(db, plan.id)
    create_plan(OPERATOR, period="2026-11", jurisdictions=["向阳区"])


def test_the_database_refuses_two_live_plans_for_one_jurisdiction(db, city):
    draw_new(jurisdictions=["向阳区"])
    other = create_plan(OPERATOR, period="2026-12", jurisdictions=["桦南县"])
    db.session.add(PlanJurisdiction(plan_id=other.id, jurisdiction="向阳区", period="2026-11",
                                    kind="routine", live=False))
    db.session.flush()  # a cancelled claim may repeat
    db.session.add(PlanJurisdiction(plan_id=other.id, jurisdiction="东风区", period="2026-11",
                                    kind="routine", live=True))
    db.session.flush()
    claim = db.session.get(PlanJurisdiction, (other.id, "东风区"))
    claim.jurisdiction = "向阳区"
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(("period", "message"), [
    ("2026-9", "not a month"), ("2026-13", "not a month"), ("2026-09", "is over"),
    ("2027-11", "more than 12 months ahead"), ("", "not a month"),
])
def test_bad_periods_are_refused(db, city, period, message):
    with pytest.raises(InvalidInput, match=message):
        create_plan(OPERATOR, period=period, jurisdictions=BOTH)


def test_the_current_month_may_be_planned(db, city):
    assert create_plan(OPERATOR, period="2026-10", jurisdictions=BOTH).period == "2026-10"


def test_unknown_jurisdiction_and_kind_are_refused(db, city):
    with pytest.raises(InvalidInput, match="'松花江区' is not one of the 11"):
        create_plan(OPERATOR, period="2026-11", jurisdictions=["松花江区"])
    with pytest.raises(InvalidInput, match="name at least one"):
        create_plan(OPERATOR, period="2026-11", jurisdictions=[])
    with pytest.raises(InvalidInput, match="kind"):
        create_plan(OPERATOR, period="2026-11", jurisdictions=BOTH, kind="weekly")


@pytest.mark.parametrize(("user", "jurisdictions", "allowed"), [
    ("admin", BOTH, True), ("publisher_city", BOTH, True), ("publisher", ["向阳区"], True),
    ("publisher", BOTH, False), ("publisher", ["桦南县"], False), ("recorder", ["向阳区"], False),
    ("reviewer", ["向阳区"], False), ("auditor", ["向阳区"], False),
    ("inspector", ["向阳区"], False),
])
def test_who_may_plan(db, city, user, jurisdictions, allowed):
    if allowed:
        plan = create_plan(city.u[user], period="2026-11", jurisdictions=jurisdictions)
        draw_plan(city.u[user], plan)
    else:
        with pytest.raises(NotPermitted):
            create_plan(city.u[user], period="2026-11", jurisdictions=jurisdictions)


def test_another_jurisdiction_cannot_draw_cancel_or_see_a_plan(db, city):
    plan = create_plan(OPERATOR, period="2026-11", jurisdictions=["向阳区"])
    with pytest.raises(NotPermitted):
        draw_plan(city.u["publisher_h"], plan)
    draw_plan(OPERATOR, plan)
    with pytest.raises(NotPermitted):
        cancel_plan(city.u["publisher_h"], plan, reason="mine now")
    with pytest.raises(NotPermitted):
        verify_plan(city.u["publisher_h"], plan)
    assert get_plan(city.u["recorder_h"], plan.id) is None
    assert get_plan(city.u["recorder"], plan.id) is plan
    assert plans_for(city.u["recorder_h"]) == [] and plans_for(city.u["recorder"]) == [plan]
    assert plans_for(city.u["evaluator"]) == []


def test_district_staff_see_only_their_items_of_a_city_plan(db, city):
    plan, selection = draw_new()
    mine = plan_items(city.u["recorder"], plan, limit=10_000)
    assert mine and {i.jurisdiction for i in mine} == {"向阳区"}
    assert len(mine) == sum(1 for d in selection if d.jurisdiction == "向阳区")
    assert len(plan_items(city.u["admin"], plan, limit=10_000)) == len(selection)
    assert plan_items(city.u["evaluator"], plan) == []


def test_a_pool_too_small_refuses_the_draw_and_changes_nothing(db, city):
    from credit.models import Inspector

    for inspector in db.session.scalars(select(Inspector).where(
            Inspector.jurisdiction == "桦南县")).all()[:2]:
        set_inspector_active(OPERATOR, inspector, False, reason="on leave")
    plan = create_plan(OPERATOR, period="2026-11", jurisdictions=BOTH)
    with pytest.raises(InvalidInput, match="桦南县 has 1 active inspector"):
        draw_plan(OPERATOR, plan)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PlanItem)) == 0


# -- the A exemption and the ratios --------------------------------------------------------------


def test_routine_plans_draw_a_at_its_ratio(db, city):
    _, selection = draw_new(seed="a")
    a = sum(1 for _, g in city.grades.values() if g == "A")
    drawn_a = sum(1 for d in selection if d.grade == "A")
    assert 0 < drawn_a <= math.ceil(0.05 * a) + 1


def test_licence_review_exempts_a_and_covers_permit_holders(db, today):
    today(DAY)
    holders = [firm(31, "向阳区", {"type": "permit", "ref": "XK-31", "date": "2024-05-01",
                                  "status": "held"}, name="持证A"),
               firm(32, "向阳区", {"type": "permit", "ref": "XK-32", "date": "2024-05-01",
                                  "status": "held"},
                    {"type": "spot_check", "ref": "F-32", "date": "2026-04-11",
                     "subject": "product", "result": "fail"}, name="持证C"),
               firm(33, "向阳区", name="无证A"),
               firm(34, "向阳区", {"type": "permit", "ref": "XK-34", "date": "2024-05-01",
                                  "status": "held", "resolved_on": "2025-01-01"}, name="已注销"),
               firm(35, "向阳区", {"type": "permit", "ref": "XK-35", "date": "2024-05-01",
                                  "status": "held"}, name="持证A2")]
    write_enterprises([dict(f) for f in holders], today=DAY, source="test")
    add_pool("向阳区", 3)
    plan, selection = draw_new(jurisdictions=["向阳区"], kind="licence_review")
    assert plan.ratios["A"] == "0"
    strata = {s.grade: s for s in db.session.scalars(
        select(PlanStratum).where(PlanStratum.plan_id == plan.id))}
    assert strata["A"].eligible == 2 and strata["A"].selected == 0  # exempt, and listed
    assert set(draw.unpack_usccs(strata["A"].usccs)) == {holders[0]["uscc"], holders[4]["uscc"]}
    assert [d.uscc for d in selection] == [holders[1]["uscc"]]
    cancel_plan(OPERATOR, plan, reason="check routine")
    _, routine = draw_new(jurisdictions=["向阳区"], seed="r")
    assert {d.grade for d in routine} == {"A", "C"}  # routine plans cover every enterprise


def test_ratios_come_from_the_settings(db, city):
    set_inspection_ratios(city.u["admin"], {"A": "0", "B": "0.5", "C": "1", "D": "1"})
    plan, selection = draw_new()
    assert plan.ratios == {"A": "0", "B": "0.5", "C": "1", "D": "1"}
    assert not any(d.grade == "A" for d in selection)
    c = sum(1 for _, g in city.grades.values() if g == "C")
    assert sum(1 for d in selection if d.grade == "C") == c


# -- verifying -----------------------------------------------------------------------------------


def test_verify_repeats_the_draw_even_after_grades_change(db, city):
    plan, selection = draw_new()
    db.session.commit()
    assert verify_plan(OPERATOR, plan).ok
    # grades move and the pool changes after the draw: the frozen inputs still give the same
    db.session.execute(update(Grade).values(grade="D"))
    from credit.models import Inspector

    db.session.execute(update(Inspector).values(active=False))
    result = verify_plan(city.u["auditor"], plan)
    assert result.ok, result.problems
    assert result.selected == len(selection)


def _tamper(db, sql: str, **params) -> None:
    db.session.execute(text(sql), params)
    db.session.commit()
    db.session.expire_all()


def test_verify_finds_a_tampered_eligible_list(db, city):
    plan, _ = draw_new()
    db.session.commit()
    stratum = db.session.scalar(select(PlanStratum).where(
        PlanStratum.plan_id == plan.id, PlanStratum.grade == "C",
        PlanStratum.jurisdiction == "向阳区"))
    usccs = draw.unpack_usccs(stratum.usccs)
    fewer = usccs[:-7]  # leave out some enterprises and make the digest agree
    _tamper(db, "UPDATE inspection_plan_strata SET usccs = :b, digest = :d, eligible = :n "
                "WHERE id = :id", b=draw.pack_usccs(fewer), d=draw.list_digest(fewer),
            n=len(fewer), id=stratum.id)
    result = verify_plan(OPERATOR, plan)
    assert not result.ok
    assert any(p.startswith("inputs: their digest is now") for p in result.problems)


def test_verify_finds_a_list_that_no_longer_matches_its_digest(db, city):
    plan, _ = draw_new()
    db.session.commit()
    stratum = db.session.scalar(select(PlanStratum).where(PlanStratum.plan_id == plan.id,
                                                          PlanStratum.grade == "B"))
    usccs = draw.unpack_usccs(stratum.usccs)
    _tamper(db, "UPDATE inspection_plan_strata SET usccs = :b WHERE id = :id",
            b=draw.pack_usccs(usccs[1:]), id=stratum.id)
    problems = verify_plan(OPERATOR, plan).problems
    where = f"eligible list {stratum.jurisdiction}/B"
    assert f"{where}: its content does not match its recorded digest" in problems


@pytest.mark.parametrize("change", ["seed", "inspectors", "uscc", "ratio", "previous"])
def test_verify_finds_other_tampering(db, city, change):
    plan, selection = draw_new()
    db.session.commit()
    item = db.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id)
                             .order_by(PlanItem.id).limit(1))
    if change == "seed":
        _tamper(db, "UPDATE inspection_plans SET seed = 'favoured' WHERE id = :id", id=plan.id)
    elif change == "inspectors":
        _tamper(db, "UPDATE inspection_plan_items SET inspectors = :t WHERE id = :id",
                t='["XY-000", "XY-001"]' if item.inspectors != ["XY-000", "XY-001"]
                else '["XY-002", "XY-003"]', id=item.id)
    elif change == "uscc":
        other = db.session.scalar(select(Enterprise.uscc).where(
            Enterprise.uscc.not_in([d.uscc for d in selection]),
            Enterprise.district == item.jurisdiction).limit(1))
        _tamper(db, "UPDATE inspection_plan_items SET uscc = :u WHERE id = :id", u=other,
                id=item.id)
    elif change == "ratio":
        _tamper(db, "UPDATE inspection_plan_strata SET ratio = '0.06' WHERE plan_id = :id AND "
                    "grade = 'A'", id=plan.id)
    else:
        _tamper(db, "UPDATE inspection_plan_items SET previous = :t WHERE id = :id",
                t='["XY-000", "XY-001"]', id=item.id)
    result = verify_plan(OPERATOR, plan)
    assert not result.ok, change


# -- inspectors across plans ---------------------------------------------------------------------


def test_next_plan_never_gives_an_enterprise_the_same_pair(db, city):
    set_inspection_ratios(OPERATOR, {"A": "1", "B": "1", "C": "1", "D": "1"})
    first, one = draw_new(period="2026-11")
    second, two = draw_new(period="2026-12")
    before = {d.uscc: set(d.inspectors) for d in one}
    assert len(two) == len(before) == len(city.grades)
    for d in two:
        assert len(set(d.inspectors)) == 2
        assert set(d.inspectors) != before[d.uscc]
    recorded = dict(db.session.execute(select(PlanItem.uscc, PlanItem.previous).where(
        PlanItem.plan_id == second.id)).all())
    assert all(set(recorded[u]) == before[u] for u in before)
    assert verify_plan(OPERATOR, second).ok
    # a cancelled plan is not "last time"
    cancel_plan(OPERATOR, second, reason="drill")
    third = create_plan(OPERATOR, period="2026-12", jurisdictions=BOTH)
    draw_plan(OPERATOR, third)
    previous = dict(db.session.execute(select(PlanItem.uscc, PlanItem.previous).where(
        PlanItem.plan_id == third.id)).all())
    assert all(set(previous[u]) == before[u] for u in before)


def test_teams_come_from_the_enterprise_s_own_jurisdiction(db, city):
    _, selection = draw_new()
    for d in selection:
        assert set(d.inspectors) <= set(city.pools[d.jurisdiction])


# -- results -------------------------------------------------------------------------------------


@pytest.fixture
def graded_plan(db, today, fast_hashes):
    """A plan over five enterprises graded from real records (all drawn: ratios 1)."""
    today(DAY)
    from tests.supervision import make_staff

    users = make_staff()
    firms = [firm(41 + i, "向阳区", name=f"结果测试{i}") for i in range(5)]
    write_enterprises([dict(f) for f in firms], today=DAY, source="test")
    add_pool("向阳区", 3)
    set_inspection_ratios(OPERATOR, {"A": "1", "B": "1", "C": "1", "D": "1"})
    plan, _ = draw_new(jurisdictions=["向阳区"], period="2026-10")
    db.session.commit()
    items = db.session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)
                               .order_by(PlanItem.id)).all()
    return plan, items, users


def test_a_failed_inspection_becomes_a_record_and_moves_the_grade(db, graded_plan):
    plan, items, users = graded_plan
    item = items[0]
    assert db.session.get(Grade, item.enterprise_id).grade == "A"
    record = record_result(users["recorder"], item, Result("inspection", "fail",
                                                           dt.date(2026, 10, 12)))
    assert (record.type, record.result, record.date) == ("inspection", "fail",
                                                         dt.date(2026, 10, 12))
    assert record.source == f"plan:{plan.id}" and record.recorded_by_id == users["recorder"].id
    assert record.ref == f"SJ-2026-10-{plan.id}-{item.id}"
    assert db.session.get(Grade, item.enterprise_id).grade == "C"
    assert (item.result, item.record_id) == ("fail", record.id)
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "inspection_plan.result"))
    assert entry.after["record"] == record.id and entry.actor == "recorder"
    spot = record_result(users["admin"], items[1], Result(
        "spot_check", "pass", dt.date(2026, 10, 13), subject="metrology", ref="JMS-CC-9"))
    assert (spot.type, spot.subject, spot.ref) == ("spot_check", "metrology", "JMS-CC-9")


def test_results_are_checked(db, graded_plan):
    plan, items, users = graded_plan
    recorder = users["recorder"]
    for result, message in [
        (Result("inspection", "passed", DAY), "result: 'passed' is not one of pass, fail"),
        (Result("visit", "pass", DAY), "check_type"),
        (Result("spot_check", "pass", DAY), "subject"),
        (Result("inspection", "pass", DAY, subject="product"), "an inspection has no subject"),
        (Result("inspection", "pass", DAY + dt.timedelta(days=1)), "in the future"),
        (Result("inspection", "pass", dt.date(2026, 9, 30)), "before the plan's period"),
    ]:
        with pytest.raises(InvalidInput, match=re.escape(message)):
            record_result(recorder, items[0], result)
    record_result(recorder, items[0], Result("inspection", "pass", DAY))
    with pytest.raises(InvalidInput, match="already entered"):
        record_result(recorder, items[0], Result("inspection", "pass", DAY))


@pytest.mark.parametrize(("user", "allowed"), [
    ("recorder", True), ("admin", True), ("recorder_h", False), ("publisher", False),
    ("reviewer", False), ("auditor", False),
])
def test_who_may_enter_results(db, graded_plan, user, allowed):
    _, items, users = graded_plan
    if allowed:
        record_result(users[user], items[0], Result("inspection", "pass", DAY))
    else:
        with pytest.raises(NotPermitted):
            record_result(users[user], items[0], Result("inspection", "pass", DAY))


def test_results_close_the_door_to_cancelling(db, graded_plan):
    plan, items, users = graded_plan
    record_result(users["recorder"], items[0], Result("inspection", "pass", DAY))
    with pytest.raises(InvalidTransition, match="1 result"):
        cancel_plan(OPERATOR, plan, reason="too late")
    close_plan(OPERATOR, plan, note="done")
    with pytest.raises(InvalidTransition, match="enter results"):
        record_result(users["recorder"], items[1], Result("inspection", "pass", DAY))
    assert actions(db, plan.id)[-1] == "inspection_plan.close"
    assert db.session.scalar(select(func.count()).select_from(Record).where(
        Record.source == f"plan:{plan.id}")) == 1
