"""The ``flask --app wsgi credit ...`` commands (a stable contract: spec/archive-exchange.md)."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from pathlib import Path

import click
from flask import g
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from credit import clock
from credit.extensions import db
from credit.models import Enterprise, GradeTrigger, JobRun, Role
from credit.services import audit
from credit.services.exchange import write_archive
from credit.services.grading import iter_assessments, reasons_json, regrade_all
from credit.services.search_index import MERGE_AFTER, merge_index
from credit.vocabulary import DISTRICTS


class CreditGroup(AppGroup):
    """Commands refuse, with the reason and no traceback, when this machine's audit key is not
    the one the log is sealed with (a deployment error, not a bug)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except audit.AuditKeyMismatch as exc:
            db.session.rollback()
            _fail(f"refused, nothing was written: {exc}")


@click.group("credit", cls=CreditGroup)
@click.pass_context
@with_appcontext
def credit_cli(ctx: click.Context) -> None:
    """Quality-credit archive, grades and workflows."""
    from credit.services.schema import schema_problem

    if ctx.invoked_subcommand != "init" and (problem := schema_problem()):
        _fail(f"{problem}; run: flask --app wsgi credit init")
    if ctx.invoked_subcommand not in ("init", "audit"):
        audit.ensure_key()  # before a command prints or writes anything it must log


@credit_cli.result_callback()
def _done(*_args, **_kwargs) -> None:
    db.session.remove()


def _as_cli_actor() -> None:
    g.audit_actor = f"cli:{getpass.getuser()}"


def _fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _date_option(value: str | None) -> dt.date:
    if value is None:
        return clock.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


@credit_cli.command("init")
def init_command() -> None:
    """Create the database schema, or upgrade it to the latest version (safe to repeat)."""
    from credit.services.calendar import seed_calendar
    from credit.services.schema import upgrade_schema

    revision = upgrade_schema()
    _as_cli_actor()
    seeded = seed_calendar().seeded
    db.session.commit()
    click.echo(f"Database ready at revision {revision}: {_safe_url()}")
    if seeded:
        click.echo(f"Working-day calendar: {_years_label(seeded)} seeded from the libraries.")


def _safe_url() -> str:
    return db.engine.url.render_as_string(hide_password=True)


@credit_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Load an archive file (format jms-quality-archive/1); refused whole on any error."""
    from credit.services.exchange import validate_file
    from credit.services.importer import load_archive

    if not file.is_file():
        _fail(f"{file}: no such file")
    _as_cli_actor()
    today = clock.today()
    survey = validate_file(str(file), today)
    if survey.problems:
        for problem in survey.problems.items:
            click.echo(f"{file}: {problem}", err=True)
        _fail(f"{file}: refused, {len(survey.problems)} problem(s); nothing was written.")
    with click.progressbar(length=survey.enterprises, label="Importing", file=sys.stderr) as bar:
        result = load_archive(str(file), today=today, source=f"import:{file.name}",
                              progress=bar.update)
    db.session.commit()
    if result.enterprises_added + result.enterprises_changed >= MERGE_AFTER:
        merge_index(db.session.connection())
        db.session.commit()
    click.echo(
        f"{file}: {result.enterprises} enterprises "
        f"({result.enterprises_added} new, {result.enterprises_changed} changed), "
        f"records {result.records_added} new, {result.records_changed} changed; "
        f"{result.grades_changed} grades changed."
    )


@credit_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(file: Path) -> None:
    """Write every enterprise and record in the exchange format."""
    from credit.services.exporter import iter_archive

    _as_cli_actor()
    total = db.session.scalar(select(func.count()).select_from(Enterprise)) or 0
    tmp = file.with_name(file.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8") as out, click.progressbar(
            length=total, label="Exporting", file=sys.stderr
        ) as bar:
            count = write_archive(out, iter_archive(progress=bar.update))
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        _fail(f"{file}: cannot write: {exc.strerror}")
    tmp.replace(file)
    audit.record("archive.export", "archive", None,
                 after={"file": str(file), "enterprises": count})
    db.session.commit()
    click.echo(f"{file}: {count} enterprises written.")


@credit_cli.command("grade")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Evaluation date (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the documented contract).")
def grade_command(as_of: str | None, as_json: bool) -> None:
    """Print every enterprise's grade as of a date (past or future), with its reasons."""
    from credit.rules.facts import RULEBOOK_ID

    day = _date_option(as_of)
    _as_cli_actor()
    out = sys.stdout
    count = 0
    if as_json:
        head = {"as_of": day.isoformat(), "rulebook": RULEBOOK_ID}
        out.write(json.dumps(head)[:-1] + ', "grades": [')
    for uscc, assessment in iter_assessments(day):
        if as_json:
            entry = {"uscc": uscc, "grade": assessment.grade,
                     "reasons": reasons_json(assessment.reasons)}
            if assessment.unmet:
                entry["unmet"] = reasons_json(assessment.unmet)
            out.write(("," if count else "") + "\n  " + json.dumps(entry, ensure_ascii=False))
        else:
            codes = " ".join(r.code for r in assessment.reasons)
            out.write(f"{uscc}  {assessment.grade}  {codes}\n")
        count += 1
    if as_json:
        out.write("\n]}\n" if count else "]}\n")
    # Internal grades left the system: that is logged.
    audit.record("grades.export", "grades", None,
                 after={"as_of": day, "enterprises": count,
                        "format": "json" if as_json else "text"})
    db.session.commit()


@credit_cli.command("explain")
@click.argument("uscc")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Evaluation date (default today).")
def explain_command(uscc: str, as_of: str | None) -> None:
    """Print one enterprise's grade, its reasons, and the dates it will change (JSON)."""
    from credit.services.grading import outlook

    day = _date_option(as_of)
    _as_cli_actor()
    enterprise_id = db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc))
    if enterprise_id is None:
        _fail(f"no enterprise with USCC {uscc}")
    click.echo(json.dumps({"uscc": uscc, **outlook(enterprise_id, day)}, ensure_ascii=False,
                          indent=1))
    audit.record("grades.export", "enterprise", enterprise_id, after={"as_of": day})
    db.session.commit()


@credit_cli.command("regrade")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Evaluation date (default today).")
def regrade_command(as_of: str | None) -> None:
    """Recompute and store every enterprise's grade (run daily; needed when the year turns)."""
    day = _date_option(as_of)
    _as_cli_actor()
    last = db.session.get(JobRun, "regrade")
    cause = (GradeTrigger.YEAR_ROLLOVER if last is not None and last.last_as_of.year < day.year
             else GradeTrigger.TIME_PASSED)
    total = db.session.scalar(select(func.count()).select_from(Enterprise)) or 0
    with click.progressbar(length=total, label="Regrading", file=sys.stderr) as bar:
        result = regrade_all(as_of=day, cause=cause, progress=bar.update)
    run = db.session.get(JobRun, "regrade") or JobRun(name="regrade")
    run.last_as_of, run.finished_at = day, clock.now()
    db.session.add(run)
    db.session.commit()
    click.echo(f"{result.evaluated} enterprises graded as of {day}; {result.changed} changed "
               f"({cause.value}).")


@credit_cli.command("demo")
@click.option("--enterprises", "count", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when the archive has enterprises.")
def demo_command(count: int, seed: int, if_empty: bool) -> None:
    """Fill the database with a realistic, deterministic demo archive."""
    from credit.services.demo import generate_archive
    from credit.services.importer import write_enterprises

    if if_empty and db.session.scalar(select(Enterprise.id).limit(1)) is not None:
        click.echo("The archive already has enterprises; no demo data loaded.")
        return
    _as_cli_actor()
    today = clock.today()
    with click.progressbar(length=count, label="Generating demo archive", file=sys.stderr) as bar:
        result = write_enterprises(generate_archive(count, seed, today), today=today,
                                   source=f"demo:seed={seed}", progress=bar.update)
    audit.record("archive.demo", "archive", None, after={"seed": seed, **result.summary()})
    db.session.commit()
    merge_index(db.session.connection())
    db.session.commit()
    click.echo(f"Demo archive: {result.enterprises} enterprises "
               f"({result.enterprises_added} new), {result.records_added} records; "
               f"{result.grades_changed} grades set.")
    _demo_walk(today)


def _demo_walk(today: dt.date) -> None:
    """Walk part of the demo archive through the workflows; print what there is to see."""
    from credit.services.accounts import DEMO_PASSWORD, ensure_demo_accounts
    from credit.services.demo_workflows import DEMO_ENTERPRISE_ACCOUNTS, walk

    ensure_demo_accounts(enterprise=False)
    summary = walk(today)
    ensure_demo_accounts()
    db.session.commit()
    for line in summary.lines():
        click.echo(line)
    for username, uscc in summary.accounts.items():
        click.echo(f"Demo account {username} (enterprise {uscc}, "
                   f"{DEMO_ENTERPRISE_ACCOUNTS[username]}), password {DEMO_PASSWORD}")


search_cli = AppGroup("search", help="The public search's index.")
credit_cli.add_command(search_cli)


@search_cli.command("reindex")
def search_reindex_command() -> None:
    """Recompute every enterprise's full-text terms and rebuild the index (safe to repeat)."""
    from credit.services.search_index import reindex

    total = db.session.scalar(select(func.count()).select_from(Enterprise)) or 0
    with click.progressbar(length=total, label="Reindexing", file=sys.stderr) as bar:
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            bar.update(count - done)
            done = count

        reindex(db.session.connection(), progress=progress)
    db.session.commit()
    click.echo(f"Search index rebuilt: {total} enterprises.")


user_cli = AppGroup("user", help="User accounts.")
credit_cli.add_command(user_cli)


@user_cli.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--jurisdiction", type=click.Choice(DISTRICTS),
              help="One of the 11 jurisdictions; omit for the whole city.")
@click.option("--enterprise", "uscc", metavar="USCC", help="For an enterprise account.")
@click.option("--name", default="", help="Display name.")
@click.password_option(help="Prompted for when omitted.")
def user_add_command(username: str, role: str, jurisdiction: str | None, uscc: str | None,
                     name: str, password: str) -> None:
    """Create a user account."""
    from credit.services.accounts import AccountError, create_user

    _as_cli_actor()
    try:
        user = create_user(username, password, role=Role(role), jurisdiction=jurisdiction,
                           uscc=uscc, name=name)
    except AccountError as exc:
        db.session.rollback()
        _fail(f"user {username}: {exc}")
    db.session.commit()
    scope = user.jurisdiction or ("enterprise " + uscc if uscc else "whole city")
    click.echo(f"Created {user.role} {user.username} ({scope}).")


@user_cli.command("demo-accounts")
def user_demo_command() -> None:
    """Create the demo accounts (one per role) when they are missing; prints their passwords."""
    from credit.models import User
    from credit.services.accounts import DEMO_PASSWORD, DEMO_STAFF, ensure_demo_accounts
    from credit.services.demo_workflows import DEMO_ENTERPRISE_ACCOUNTS

    _as_cli_actor()
    created = {username for username, _role, _password in ensure_demo_accounts()}
    db.session.commit()
    names = [username for username, *_ in DEMO_STAFF] + list(DEMO_ENTERPRISE_ACCOUNTS)
    users = {u.username: u
             for u in db.session.scalars(select(User).where(User.username.in_(names)))}
    click.echo(f"Demo accounts (password {DEMO_PASSWORD}; for the demo database only):")
    for username in names:
        if (user := users.get(username)) is None:
            continue
        scope = (DEMO_ENTERPRISE_ACCOUNTS[username] if user.enterprise_id
                 else user.jurisdiction or "whole city")
        new = " (new)" if username in created else ""
        click.echo(f"  {username:<18} {user.role:<11} {scope}{new}")


@credit_cli.command("tick")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="The date (default today).")
def tick_command(as_of: str | None) -> None:
    """Expire listings, close answer periods, flag overdue items (daily; idempotent)."""
    from credit.services.tick import tick

    day = _date_option(as_of)
    _as_cli_actor()
    result = tick(day)
    db.session.commit()
    click.echo(f"tick {day}: {result.expired_a} A and {result.expired_d} D listings expired, "
               f"{result.answer_periods_closed} answer periods closed, "
               f"{result.overdue_flagged} overdue items flagged.")


audit_cli = AppGroup("audit", help="The audit log.")
credit_cli.add_command(audit_cli)


@audit_cli.command("verify")
@click.option("--no-checkpoint", is_flag=True, help="Do not anchor an intact log's head.")
def audit_verify_command(no_checkpoint: bool) -> None:
    """Check the hash chain, its keyed seals, the grade history and the checkpoints; report the
    first problem (exit 1), or that the log is intact and anchor its head in a checkpoint."""
    report = _checked_log()
    click.echo(f"audit chain intact: {report.entries} entries")
    if not no_checkpoint:
        try:
            audit.append_checkpoint(report)
        except OSError as exc:
            click.echo(f"no checkpoint written to {audit.checkpoint_path()}: {exc.strerror}",
                       err=True)


@audit_cli.command("checkpoint")
def audit_checkpoint_command() -> None:
    """Verify the log, then anchor its head in the checkpoint file and log that (daily cron,
    after tick)."""
    _as_cli_actor()
    report = _checked_log()
    path = audit.checkpoint_path()
    try:
        point = audit.append_checkpoint(report, register=True)
    except OSError as exc:
        _fail(f"{path}: cannot write the checkpoint: {exc.strerror}")
    db.session.commit()
    if point is None:
        last = report.last_checkpoint
        since = f" since the checkpoint of {last.at}" if last else ""
        click.echo(f"audit checkpoint: {report.entries} entries, unchanged{since}; {path}")
        return
    written = "registered" if point is report.last_checkpoint else "appended to"
    click.echo(f"audit checkpoint: {point.entries} entries up to entry {point.last_id}, "
               f"head {point.head} at {point.at}; {written} {path}")


def _checked_log() -> audit.Report:
    report = audit.check()
    if report.broken is not None:
        _fail(f"audit chain broken at {report.broken.where}: {report.broken.problem}")
    return report


calendar_cli = AppGroup("calendar", help="The working-day calendar (holidays, adjusted working "
                                          "days) that every deadline counts by.")
credit_cli.add_command(calendar_cli)


def _years_label(statuses: list) -> str:
    years = [s.year for s in statuses]
    return f"{years[0]}-{years[-1]}" if len(years) > 2 else ", ".join(map(str, years))


def _status_line(status) -> str:
    if status.confirmed:
        state = f"confirmed by {status.confirmed_by}"
        if status.confirmed_at:
            state += f" on {status.confirmed_at:%Y-%m-%d}"
    else:
        state = "NOT CONFIRMED: counted conservatively, its deadlines are provisional"
    stored = "" if status.stored else " (not stored: the libraries' defaults)"
    edited = f"; edited by {status.edited_by} on {status.edited_at:%Y-%m-%d}" \
        if status.edited_at else ""
    return (f"{status.year}: {state}; source {status.source}{stored}; "
            f"{status.days_off} weekdays off, {status.days_worked} weekend days worked{edited}")


def _print_moves(moves: list, dry_run: bool) -> None:
    verb = "would move" if dry_run else "moved"
    for m in moves:
        if m.action == "cut_short":
            click.echo(f"  WARNING: D case {m.object_id} (enterprise {m.enterprise_id}):"
                       f" its answer period ended {m.old}, the corrected calendar gives "
                       f"{m.computed}; it cannot be reopened (decided or over): review it",
                       err=True)
        else:
            label = "D case" if m.object_type == "d_case" else "repair application"
            click.echo(f"  {label} {m.object_id} (enterprise {m.enterprise_id}): {m.field} "
                       f"{m.old} -> {m.new} ({m.action})")
    moved = sum(m.action != "cut_short" for m in moves)
    click.echo(f"{moved} open deadline(s) {verb}.")


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _calendar_call(fn, *args, **kwargs):
    from credit.workflows.errors import WorkflowError

    try:
        return fn(*args, **kwargs)
    except WorkflowError as exc:
        db.session.rollback()
        _fail(f"calendar: {exc}")


@calendar_cli.command("show")
@click.argument("year", type=int, required=False)
def calendar_show_command(year: int | None) -> None:
    """Print a year's status and the days that differ from Monday-Friday (without YEAR: every
    stored year, and the years to confirm)."""
    from credit.services import calendar

    if year is None:
        for status in calendar.stored_years():
            click.echo(_status_line(status))
        for y in calendar.years_to_confirm():
            click.echo(f"WARNING: {y} is not confirmed; enter the State Council's arrangement "
                       f"and run: flask --app wsgi credit calendar confirm {y}", err=True)
        return
    click.echo(_status_line(calendar.year_status(year)))
    for day in calendar.special_days(year):
        effect = "" if day.counts else "  (a weekend: no effect)"
        by = f", set by {day.set_by}" if day.set_by else ""
        click.echo(f"{day.day} {day.day:%a}  {day.kind.value:<8} {day.name}  "
                   f"[{day.source}{by}]{effect}")
    extra = calendar.provisional_days_off(year)
    if extra:
        click.echo(f"Until {year} is confirmed these weekdays count as days off too: "
                   + " ".join(d.isoformat() for d in extra))


@calendar_cli.command("set")
@click.argument("day", metavar="DATE")
@click.argument("kind", type=click.Choice(["holiday", "workday", "normal"]))
@click.option("--note", help="Why, or the festival's name (kept with the day).")
@click.option("--dry-run", is_flag=True, help="Only show which open deadlines would move.")
def calendar_set_command(day: str, kind: str, note: str | None, dry_run: bool) -> None:
    """Make DATE a holiday (a day off), a workday (a weekend day worked) or normal (what
    Monday-Friday makes it); recomputes the open deadlines it affects."""
    from credit.services import calendar

    date = _parse_day(day)
    _as_cli_actor()
    if dry_run:
        _print_moves(_calendar_call(calendar.preview_set_day, None, date, kind), True)
        return
    change = _calendar_call(calendar.set_day, None, date, kind, note=note)
    db.session.commit()
    if not change.changed:
        click.echo(f"{date} is {kind} already; nothing changed.")
        return
    click.echo(f"{date} set to {kind}.")
    _print_moves(change.moves, False)


@calendar_cli.command("confirm")
@click.argument("year", type=int)
@click.option("--note", help="E.g. the State Council notice the days were checked against.")
@click.option("--dry-run", is_flag=True, help="Only show which open deadlines would move.")
def calendar_confirm_command(year: int, note: str | None, dry_run: bool) -> None:
    """Confirm that YEAR's days are the State Council's arrangement: counted exactly from now."""
    from credit.services import calendar

    _as_cli_actor()
    if dry_run:
        _print_moves(_calendar_call(calendar.preview_confirm_year, None, year), True)
        return
    change = _calendar_call(calendar.confirm_year, None, year, note=note)
    db.session.commit()
    if not change.changed:
        click.echo(f"{year} is confirmed already; nothing changed.")
        return
    click.echo(f"{year} confirmed.")
    _print_moves(change.moves, False)


@calendar_cli.command("unconfirm")
@click.argument("year", type=int)
@click.option("--note", required=True, help="Why the confirmation is withdrawn.")
def calendar_unconfirm_command(year: int, note: str) -> None:
    """Withdraw YEAR's confirmation: it counts conservatively again."""
    from credit.services import calendar

    _as_cli_actor()
    change = _calendar_call(calendar.unconfirm_year, None, year, note=note)
    db.session.commit()
    if not change.changed:
        click.echo(f"{year} is not confirmed; nothing changed.")
        return
    click.echo(f"{year} is no longer confirmed.")
    _print_moves(change.moves, False)


@calendar_cli.command("seed")
@click.option("--through", type=int, metavar="YEAR",
              help="Store years up to this one (default: two years after the current one).")
def calendar_seed_command(through: int | None) -> None:
    """Store the libraries' arrangements for the years not stored yet (and refresh unedited,
    unconfirmed years the libraries now know better). Safe to repeat."""
    from credit.services import calendar

    _as_cli_actor()
    result = _calendar_call(calendar.seed_calendar, None, through=through)
    db.session.commit()
    for status in result.seeded:
        click.echo(_status_line(status))
    click.echo(f"{len(result.seeded)} year(s) seeded.")
    if result.moves:
        _print_moves(result.moves, False)


plan_cli = AppGroup("plan", help="Random inspection plans (双随机).")
credit_cli.add_command(plan_cli)


def _plan_or_fail(plan_id: int):
    from credit.models import InspectionPlan

    plan = db.session.get(InspectionPlan, plan_id)
    if plan is None:
        _fail(f"no plan {plan_id}")
    return plan


@plan_cli.command("draw")
@click.option("--jurisdiction", "jurisdictions", multiple=True, required=True,
              type=click.Choice(DISTRICTS), help="Repeat for several jurisdictions.")
@click.option("--period", required=True, metavar="YYYY-MM", help="The month of the plan.")
@click.option("--seed", help="Default: 128 random bits. A given seed is recorded as given.")
@click.option("--kind", default="routine", show_default=True,
              type=click.Choice(["routine", "licence_review"]),
              help="licence_review: permit holders only, A exempt from on-site checks.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the documented contract).")
def plan_draw_command(jurisdictions: tuple[str, ...], period: str, seed: str | None, kind: str,
                      as_json: bool) -> None:
    """Create a plan (seed fixed first) and draw it once; prints the selection."""
    from credit.permissions import OPERATOR
    from credit.services.plans import create_plan, draw_plan, selection_json
    from credit.workflows.errors import WorkflowError

    _as_cli_actor()
    try:
        plan = create_plan(OPERATOR, period=period, jurisdictions=list(jurisdictions),
                           kind=kind, seed=seed)
        draw_plan(OPERATOR, plan)
    except WorkflowError as exc:
        db.session.rollback()
        _fail(f"plan: {exc}")
    db.session.commit()
    if as_json:
        click.echo(json.dumps(selection_json(plan), ensure_ascii=False))
        return
    click.echo(f"plan {plan.id} ({plan.kind}, {plan.period}, {'、'.join(plan.jurisdictions)}): "
               f"seed {plan.seed}, {plan.algorithm}; {plan.selected_count} of "
               f"{plan.eligible_count} enterprises drawn.")
    for stratum in plan.strata:
        click.echo(f"  {stratum.jurisdiction} {stratum.grade}: {stratum.selected} of "
                   f"{stratum.eligible} (ratio {stratum.ratio})")


@plan_cli.command("verify")
@click.argument("plan_id", type=int)
def plan_verify_command(plan_id: int) -> None:
    """Repeat a plan's draw from what it recorded; exit 1 and name each difference if the
    selection (or a recorded digest) differs."""
    from credit.permissions import OPERATOR
    from credit.services.plans import verify_plan

    plan = _plan_or_fail(plan_id)
    result = verify_plan(OPERATOR, plan)
    if not result.ok:
        for problem in result.problems:
            click.echo(f"plan {plan_id}: {problem}", err=True)
        _fail(f"plan {plan_id}: NOT verified, {len(result.problems)} problem(s)")
    click.echo(f"plan {plan_id} verified: the recorded inputs give the same {result.selected} "
               f"enterprises and inspectors (seed {plan.seed}, {plan.algorithm}, inputs "
               f"{plan.inputs_digest}, selection {plan.selection_digest}).")


@plan_cli.command("show")
@click.argument("plan_id", type=int)
def plan_show_command(plan_id: int) -> None:
    """Print a plan's selection as JSON (the same document as draw --json)."""
    from credit.services.plans import selection_json

    plan = _plan_or_fail(plan_id)
    _as_cli_actor()
    click.echo(json.dumps({**selection_json(plan), "state": plan.state},
                          ensure_ascii=False))
    audit.record("inspection_plan.export", "inspection_plan", plan.id,
                 after={"format": "json", "enterprises": plan.selected_count})
    db.session.commit()


@plan_cli.command("cancel")
@click.argument("plan_id", type=int)
@click.option("--reason", required=True, help="Why (kept in the plan and the audit log).")
def plan_cancel_command(plan_id: int, reason: str) -> None:
    """Cancel a plan, so that another may be drawn for its period and jurisdictions."""
    from credit.permissions import OPERATOR
    from credit.services.plans import cancel_plan
    from credit.workflows.errors import WorkflowError

    plan = _plan_or_fail(plan_id)
    _as_cli_actor()
    try:
        cancel_plan(OPERATOR, plan, reason=reason)
    except WorkflowError as exc:
        db.session.rollback()
        _fail(f"plan {plan_id}: {exc}")
    db.session.commit()
    click.echo(f"plan {plan_id} cancelled.")


@plan_cli.command("export")
@click.argument("plan_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--jurisdiction", type=click.Choice(DISTRICTS), help="Only this jurisdiction.")
def plan_export_command(plan_id: int, file: Path, jurisdiction: str | None) -> None:
    """Write a plan's workbook (.xlsx) for the inspectors."""
    from credit.permissions import OPERATOR
    from credit.services.plan_workbook import export_plan
    from credit.workflows.errors import WorkflowError

    plan = _plan_or_fail(plan_id)
    _as_cli_actor()
    tmp = file.with_name(file.name + ".part")
    try:
        with tmp.open("wb") as out:
            count = export_plan(OPERATOR, plan, out, jurisdiction=jurisdiction)
    except WorkflowError as exc:
        tmp.unlink(missing_ok=True)
        db.session.rollback()
        _fail(f"plan {plan_id}: {exc}")
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        _fail(f"{file}: cannot write: {exc.strerror}")
    tmp.replace(file)
    db.session.commit()
    click.echo(f"{file}: plan {plan_id}, {count} enterprises written.")


warning_cli = AppGroup("warning", help="Yellow-card warnings (黄牌警告).")
credit_cli.add_command(warning_cli)


@warning_cli.command("rank")
@click.option("--jurisdiction", type=click.Choice(DISTRICTS), help="Default: the whole city.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Score date (default today).")
def warning_rank_command(jurisdiction: str | None, limit: int, as_of: str | None) -> None:
    """Print the riskiest C enterprises (JSON lines), as the warning list ranks them."""
    from credit.permissions import OPERATOR
    from credit.services.risk import warning_candidates

    day = _date_option(as_of)
    _as_cli_actor()
    rows = warning_candidates(OPERATOR, as_of=day, jurisdiction=jurisdiction, limit=limit)
    for rank, c in enumerate(rows, start=1):
        click.echo(json.dumps({"rank": rank, "uscc": c.uscc, "name": c.name,
                               "district": c.district, "score": c.score,
                               "codes": list(c.codes), "records": c.records,
                               "latest_on": c.latest_on.isoformat() if c.latest_on else None,
                               "open_warning": c.open_warning_id is not None},
                              ensure_ascii=False))
    audit.record("grades.export", "warning_ranking", jurisdiction or "city",
                 after={"as_of": day, "enterprises": len(rows)})
    db.session.commit()


@warning_cli.command("rescore")
def warning_rescore_command() -> None:
    """Recompute every C enterprise's stored risk score (once after upgrading; safe to repeat)."""
    from credit.services.risk import rescore_all

    _as_cli_actor()
    count = rescore_all(clock.today())
    db.session.commit()
    click.echo(f"risk scores of {count} C enterprises recomputed.")
