"""The `flask credit ...` contract: exit codes, messages and outputs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from sqlalchemy import delete, func, select

from credit.models import AuditEntry, Enterprise, Grade, User


def test_init_is_safe_to_repeat(cli):
    for _ in range(2):
        result = cli("init")
        assert result.exit_code == 0, result.output
        assert "Database ready at revision" in result.output


def test_import_then_grade_json_matches_the_sample(cli, today, write_json, sample_archive,
                                                   sample_expected):
    today(sample_expected["as_of"])
    result = cli("import", str(write_json(sample_archive)))
    assert result.exit_code == 0, result.output
    assert "8 enterprises (8 new, 0 changed)" in result.output

    result = cli("grade", "--as-of", sample_expected["as_of"], "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["as_of"] == "2026-10-15"
    assert printed["rulebook"] == "JMS-2020-42/1"
    got = {g["uscc"]: (g["grade"], [r["code"] for r in g["reasons"]]) for g in printed["grades"]}
    assert got == {g["uscc"]: (g["grade"], g["codes"]) for g in sample_expected["grades"]}
    refs = {g["uscc"]: g["reasons"] for g in printed["grades"]}
    assert refs["9123088289083863XH"] == [{"code": "D4", "refs": ["SAMPLE-03-1", "SAMPLE-03-2"]}]
    assert refs["91230881794026543G"] == [{"code": "B1-new", "refs": []}]


def test_grade_of_a_future_date_answers_what_if_nothing_changes(cli, today, write_json,
                                                                sample_archive):
    today("2026-10-15")
    cli("import", str(write_json(sample_archive)))
    printed = json.loads(cli("grade", "--as-of", "2027-01-01", "--json").stdout)
    grades = {g["uscc"]: g["grade"] for g in printed["grades"]}
    # the spot check failure of 2026 no longer counts "this year"; the D4 pair neither
    assert grades["91230822196001338R"] == "B"
    assert grades["9123088289083863XH"] == "B"
    # the permit's rectification deadline 2026-11-30 has passed: D3
    assert grades["912308055940781625"] == "D"


def test_grade_export_is_audited(cli, db, today, write_json, sample_archive):
    today()
    cli("import", str(write_json(sample_archive)))
    cli("grade", "--json")
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())
                             .limit(1)) == "grades.export"


def test_grade_rejects_a_bad_date(cli):
    result = cli("grade", "--as-of", "2026-13-01", "--json")
    assert result.exit_code == 2
    assert "'2026-13-01' is not a date in the form YYYY-MM-DD" in result.output


def test_bad_file_is_refused_with_every_problem_and_exit_1(cli, db, today, write_json,
                                                          sample_archive):
    today()
    doc = copy.deepcopy(sample_archive)
    doc["enterprises"][3]["district"] = "松花江区"
    doc["enterprises"][1]["records"][0]["result"] = "failed"
    path = write_json(doc)
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert f"{path}: enterprises[1].records[0].result: 'failed' is not one of pass, fail" \
        in result.stderr
    assert f"{path}: enterprises[3].district: '松花江区' is not one of" in result.stderr
    assert "refused, 2 problem(s); nothing was written." in result.stderr
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_missing_file_is_a_clear_error(cli, tmp_path):
    result = cli("import", str(tmp_path / "nope.json"))
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_not_json_is_a_clear_error(cli, write_json):
    result = cli("import", str(write_json("<html>")))
    assert result.exit_code == 1
    assert "the file is not valid JSON" in result.stderr


def test_export_writes_the_format(cli, today, write_json, sample_archive, tmp_path):
    today()
    cli("import", str(write_json(sample_archive)))
    out = tmp_path / "out.json"
    result = cli("export", str(out))
    assert result.exit_code == 0, result.output
    assert "8 enterprises written" in result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "jms-quality-archive/1"
    assert sorted(e["uscc"] for e in doc["enterprises"]) == sorted(
        e["uscc"] for e in sample_archive["enterprises"])
    assert not (tmp_path / "out.json.part").exists()


def test_export_to_an_unwritable_place_fails_cleanly(cli, tmp_path):
    result = cli("export", str(tmp_path / "missing-dir" / "out.json"))
    assert result.exit_code == 1
    assert "cannot write" in result.stderr


def test_regrade_stores_grades_and_reports(cli, db, today, write_json, sample_archive):
    today("2026-10-15")
    cli("import", str(write_json(sample_archive)))
    result = cli("regrade", "--as-of", "2027-01-01")
    assert result.exit_code == 0, result.output
    assert "8 enterprises graded as of 2027-01-01" in result.output
    # again the same day: nothing changes
    assert "0 changed" in cli("regrade", "--as-of", "2027-01-01").output


def test_demo_fills_an_empty_database_only_once(cli, db, today):
    today()
    result = cli("demo", "--enterprises", "40", "--seed", "5")
    assert result.exit_code == 0, result.output
    n = db.session.scalar(select(func.count()).select_from(Enterprise))
    assert n == 40
    assert db.session.scalar(select(func.count()).select_from(Grade)) == 40
    assert "already has enterprises" in cli("demo", "--if-empty").output
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 40


def test_user_add_and_refusals(cli, db, today, write_json, sample_archive):
    today()
    cli("import", str(write_json(sample_archive)))
    ok = cli("user", "add", "li", "--role", "recorder", "--jurisdiction", "桦南县",
             "--password", "secret-pass")
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(select(User).where(User.username == "li"))
    assert user.check_password("secret-pass") and user.password_hash != "secret-pass"
    firm = cli("user", "add", "firm", "--role", "enterprise", "--enterprise",
               "912308041043321813", "--password", "secret-pass")
    assert firm.exit_code == 0, firm.output
    taken = cli("user", "add", "li", "--role", "auditor", "--password", "secret-pass")
    assert taken.exit_code == 1 and "taken" in taken.stderr
    unbound = cli("user", "add", "x", "--role", "enterprise", "--password", "secret-pass")
    assert unbound.exit_code == 1 and "needs --enterprise" in unbound.stderr
    short = cli("user", "add", "y", "--role", "auditor", "--password", "short")
    assert short.exit_code == 1 and "at least 8" in short.stderr


def test_explain_shows_reasons_and_what_changes_next(cli, today, write_json, sample_archive):
    today("2026-10-15")
    cli("import", str(write_json(sample_archive)))
    result = cli("explain", "91230822196001338R", "--as-of", "2026-10-15")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["grade"], shown["reasons"]) == ("C", [{"code": "C2", "refs": ["SAMPLE-02-1"]}])
    # C until the failure leaves "this year", then B until it leaves the 3-year window, then A
    assert [(n["on"], n["grade"]) for n in shown["next"]] == [
        ("2027-01-01", "B"), ("2029-04-11", "A")]
    assert cli("explain", "910000000000000000").exit_code == 1


def test_commands_on_an_uninitialised_database_say_what_to_do(tmp_path, write_json):
    from credit.extensions import db as _db
    from wsgi import create_app

    fresh = create_app({"TESTING": True, "SECRET_KEY": "t",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.db'}"})
    runner = fresh.test_cli_runner()
    path = write_json({"format": "jms-quality-archive/1", "enterprises": []})
    with fresh.app_context():  # the command runs against this app, not the suite's
        result = runner.invoke(args=["credit", "import", str(path)])
        assert result.exit_code == 1
        assert "the database has no schema yet; run: flask --app wsgi credit init" \
            in result.stderr
        assert runner.invoke(args=["credit", "init"]).exit_code == 0
        assert runner.invoke(args=["credit", "import", str(path)]).exit_code == 0
        _db.session.remove()
        _db.engine.dispose()


def _logged(cli, today, write_json, sample_archive) -> None:
    today()
    assert cli("import", str(write_json(sample_archive))).exit_code == 0


def test_audit_verify_anchors_an_intact_log(cli, db, app, today, write_json, sample_archive):
    _logged(cli, today, write_json, sample_archive)
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    result = cli("audit", "verify")
    assert (result.exit_code, result.output) == (0, f"audit chain intact: {total} entries\n")
    path = Path(app.config["AUDIT_CHECKPOINTS"])
    line = json.loads(path.read_text())
    assert (line["entries"], line["last_id"]) == (total, db.session.scalar(
        select(func.max(AuditEntry.id))))
    assert cli("audit", "verify").exit_code == 0
    assert len(path.read_text().splitlines()) == 1  # nothing new, nothing appended
    assert cli("audit", "verify", "--no-checkpoint").exit_code == 0


def test_audit_checkpoint_then_truncation_is_caught(cli, db, app, today, write_json,
                                                    sample_archive):
    _logged(cli, today, write_json, sample_archive)
    last = db.session.scalar(select(func.max(AuditEntry.id)))
    result = cli("audit", "checkpoint")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("audit checkpoint: ")
    assert f"up to entry {last}, head " in result.output
    again = cli("audit", "checkpoint")
    assert "unchanged since the checkpoint of " in again.output

    registered = db.session.scalars(select(AuditEntry).where(AuditEntry.id > last)).all()
    assert [(e.action, e.after["last_id"]) for e in registered] == [("audit.checkpoint", last)]
    # The import's entry and the checkpoint's own: the end of the log, cut off.
    db.session.execute(delete(AuditEntry).where(AuditEntry.id >= last))
    db.session.commit()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"audit chain broken at entry {last}: is missing")
    assert "removed from the end" in result.stderr
    lines = Path(app.config["AUDIT_CHECKPOINTS"]).read_text().splitlines()
    refused = cli("audit", "checkpoint")
    assert refused.exit_code == 1 and "audit chain broken at entry" in refused.stderr
    assert Path(app.config["AUDIT_CHECKPOINTS"]).read_text().splitlines() == lines


def test_audit_checkpoint_registers_the_line_verify_wrote(cli, db, app, today, write_json,
                                                          sample_archive):
    _logged(cli, today, write_json, sample_archive)
    last = db.session.scalar(select(func.max(AuditEntry.id)))
    assert cli("audit", "verify").exit_code == 0
    result = cli("audit", "checkpoint")
    assert f"up to entry {last}, " in result.output and "; registered " in result.output
    assert len(Path(app.config["AUDIT_CHECKPOINTS"]).read_text().splitlines()) == 1
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.id > last)) \
        == "audit.checkpoint"
    assert "unchanged since" in cli("audit", "checkpoint").output
    assert cli("audit", "verify").exit_code == 0


def test_a_machine_with_another_audit_key_refuses_before_anything(cli, db, app, today,
                                                                 write_json, sample_archive,
                                                                 monkeypatch):
    _logged(cli, today, write_json, sample_archive)
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    monkeypatch.setitem(app.config, "AUDIT_KEY", "another-machine")
    result = cli("grade", "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("refused, nothing was written: audit entry ")
    assert "same AUDIT_KEY" in result.stderr
    verified = cli("audit", "verify")
    assert verified.exit_code == 1 and "AUDIT_KEY differs" in verified.stderr
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def test_audit_checkpoint_that_cannot_be_written(cli, app, tmp_path, today, write_json,
                                                 sample_archive):
    _logged(cli, today, write_json, sample_archive)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app.config["AUDIT_CHECKPOINTS"] = str(blocker / "audit-checkpoints.jsonl")
    result = cli("audit", "checkpoint")
    assert result.exit_code == 1 and "cannot write the checkpoint" in result.stderr
    result = cli("audit", "verify")  # still a verification: it says so, and warns
    assert result.exit_code == 0 and result.stdout.startswith("audit chain intact: ")
    assert "no checkpoint written" in result.stderr


def test_a_hostile_file_is_refused_like_any_bad_file(cli, db, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"format": "jms-quality-archive/1", "enterprises": '
                    + "[" * 100_000 + "]" * 100_000 + "}")
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}: enterprises[0][0][0][0][0][0]: nested more than 8 levels deep; an archive "
        "has 5 (the file, its enterprises, an enterprise, its records, a record)",
        f"{path}: refused, 1 problem(s); nothing was written.",
    ]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_demo_accounts_are_listed_every_time(cli, db, today):
    today()
    assert cli("demo", "--enterprises", "300").exit_code == 0
    first = cli("user", "demo-accounts")
    again = cli("user", "demo-accounts")
    for output in (first.output, again.output):
        assert "password jms-demo-2026" in output
        for username in ("admin", "recorder", "reviewer", "publisher", "auditor",
                         "enterprise", "enterprise-d", "enterprise-repair"):
            assert f"  {username} " in output
    assert "(new)" not in again.output
