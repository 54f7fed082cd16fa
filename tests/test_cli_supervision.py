"""`flask credit plan ...` and `flask credit warning ...`: the contract, exit codes, messages."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from credit.extensions import db as _db
from credit.models import AuditEntry, InspectionPlan, PlanItem
from tests.supervision import DAY, add_pool, generate_city


@pytest.fixture
def archive(db, today):
    today(DAY)
    grades = generate_city(600)
    add_pool("向阳区", 4)
    add_pool("桦南县", 4)
    _db.session.commit()
    return grades


def draw_json(cli, *args: str) -> dict:
    result = cli("plan", "draw", "--jurisdiction", "向阳区", "--jurisdiction", "桦南县",
                 "--period", "2026-11", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_draw_prints_the_documented_json(cli, archive):
    printed = draw_json(cli, "--seed", "S-2026-11")
    assert printed["plan"] == 1 and printed["seed"] == "S-2026-11"
    assert printed["algorithm"] == "jms-draw/1"
    assert printed["period"] == "2026-11" and printed["jurisdictions"] == ["向阳区", "桦南县"]
    selected = printed["selected"]
    assert selected and all(set(s) == {"uscc", "grade", "inspectors"} for s in selected)
    assert all(s["grade"] in "ABCD" and len(s["inspectors"]) == 2 for s in selected)
    assert len({s["uscc"] for s in selected}) == len(selected)
    assert {s["uscc"] for s in selected} <= set(archive)
    assert all(archive[s["uscc"]][1] == s["grade"] for s in selected)
    d = [u for u, (_, g) in archive.items() if g == "D"]
    assert sorted(s["uscc"] for s in selected if s["grade"] == "D") == sorted(d)
    actor = _db.session.scalar(select(AuditEntry.actor).where(
        AuditEntry.action == "inspection_plan.draw"))
    assert actor.startswith("cli:")


def test_draw_without_seed_generates_one_and_prints_text(cli, archive):
    result = cli("plan", "draw", "--jurisdiction", "向阳区", "--period", "2026-11")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("plan 1 (routine, 2026-11, 向阳区): seed ")
    assert "向阳区 D: " in result.output
    seed = _db.session.scalar(select(InspectionPlan.seed))
    assert len(seed) == 32 and seed in result.output


def test_same_seed_same_selection_after_cancelling(cli, archive):
    first = draw_json(cli, "--seed", "same")
    result = cli("plan", "cancel", "1", "--reason", "rehearsal")
    assert result.exit_code == 0 and "plan 1 cancelled" in result.output
    second = draw_json(cli, "--seed", "same")
    assert second["plan"] == 2 and second["selected"] == first["selected"]


def test_a_second_draw_is_refused_until_the_first_is_cancelled(cli, archive):
    draw_json(cli)
    result = cli("plan", "draw", "--jurisdiction", "桦南县", "--period", "2026-11", "--json")
    assert result.exit_code == 1
    assert "桦南县 already has plan 1 (routine) for 2026-11; cancel it first" in result.stderr
    assert result.stdout == ""
    assert _db.session.scalar(select(func.count()).select_from(InspectionPlan)) == 1
    assert cli("plan", "cancel", "1", "--reason", "").exit_code == 1


def test_bad_arguments_are_clear(cli, archive):
    result = cli("plan", "draw", "--jurisdiction", "向阳区", "--period", "2026-13")
    assert result.exit_code == 1 and "'2026-13' is not a month in the form YYYY-MM" in \
        result.stderr
    result = cli("plan", "draw", "--jurisdiction", "松花江区", "--period", "2026-11")
    assert result.exit_code == 2 and "松花江区" in result.output
    assert cli("plan", "verify", "99").exit_code == 1
    assert "Traceback" not in result.output


def test_verify_passes_then_fails_after_tampering(cli, archive):
    printed = draw_json(cli, "--seed", "v")
    result = cli("plan", "verify", "1")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"plan 1 verified: the recorded inputs give the same "
                                    f"{len(printed['selected'])} enterprises")
    # grades change after the draw: still verified (the inputs were frozen)
    _db.session.execute(text("UPDATE grades SET grade = 'A'"))
    _db.session.commit()
    assert cli("plan", "verify", "1").exit_code == 0
    # someone puts a favoured enterprise in place of a drawn one
    victim = printed["selected"][0]["uscc"]
    spare = next(u for u in archive if u not in {s["uscc"] for s in printed["selected"]}
                 and archive[u][0] == archive[victim][0])
    _db.session.execute(text("UPDATE inspection_plan_items SET uscc = :u WHERE uscc = :v"),
                        {"u": spare, "v": victim})
    _db.session.commit()
    result = cli("plan", "verify", "1")
    assert result.exit_code == 1
    assert f"plan 1: {victim}: drawn again but not in the plan" in result.stderr
    assert f"plan 1: {spare}: in the plan but not drawn again" in result.stderr
    assert "plan 1: NOT verified" in result.stderr


def test_verify_fails_after_tampering_with_the_recorded_inputs(cli, archive):
    draw_json(cli, "--seed", "v")
    _db.session.execute(text("UPDATE inspection_plans SET pools = :p"),
                        {"p": json.dumps({"向阳区": ["XY-000", "XY-001"],
                                          "桦南县": ["HN-000", "HN-001"]})})
    _db.session.commit()
    result = cli("plan", "verify", "1")
    assert result.exit_code == 1
    assert "inputs: their digest is now" in result.stderr
    assert "inspectors is" in result.stderr  # the teams drawn again differ


def test_show_and_export(cli, archive, tmp_path):
    printed = draw_json(cli, "--seed", "x")
    shown = json.loads(cli("plan", "show", "1").stdout)
    assert shown["selected"] == printed["selected"] and shown["state"] == "drawn"
    out = tmp_path / "plan-1.xlsx"
    result = cli("plan", "export", "1", str(out), "--jurisdiction", "桦南县")
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out)["检查名单"].iter_rows(values_only=True))[1:]
    hn = _db.session.scalar(select(func.count()).select_from(PlanItem).where(
        PlanItem.jurisdiction == "桦南县"))
    assert len(rows) == hn and f"{hn} enterprises written" in result.output
    assert not (tmp_path / "plan-1.xlsx.part").exists()
    bad = cli("plan", "export", "1", str(tmp_path / "missing" / "x.xlsx"))
    assert bad.exit_code == 1 and "cannot write" in bad.stderr


def test_warning_rank_and_rescore(cli, archive):
    from credit.services.importer import write_enterprises
    from tests.workflows.conftest import FAIL, firm

    write_enterprises([firm(9001, "向阳区", {**FAIL, "ref": "F-9001"})], today=DAY, source="t")
    _db.session.commit()
    result = cli("warning", "rank", "--jurisdiction", "向阳区", "--limit", "5")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[0]["rank"] == 1 and lines[0]["codes"] == ["C2"]
    assert len(lines) <= 5
    rescored = cli("warning", "rescore")
    assert rescored.exit_code == 0 and "risk scores of" in rescored.output
