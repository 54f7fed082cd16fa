"""Dashboard figures: grade distribution by jurisdiction and industry, and grade movements.

Counting every grade on each page view would scan a million rows (a second or more); instead
the counts are summarised into two small tables (``grade_stats``, ``movement_stats``), rebuilt
when they are ``DASHBOARD_STATS_TTL`` seconds old (default 600) or the date changed (the home
page rebuilds stale ones after its response has gone out, so nobody waits for it). Pages read
the summaries with the user's jurisdiction in the query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, func, insert, literal, select, text

from credit import clock
from credit.extensions import db
from credit.industries import DIVISIONS, SECTIONS
from credit.models import Enterprise, Grade, GradeChange, GradeStat, JobRun, MovementStat, User
from credit.models.grades import GRADES
from credit.services.scoping import scope_to_jurisdiction
from credit.vocabulary import DISTRICTS

JOB = "dashboard_stats"
MONTHS = 24
_LOCK_KEY = 0x4A4D5354  # "JMST": one refresh at a time on PostgreSQL


def _month(column):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)


def first_month(today: dt.date) -> dt.date:
    """The first day of the oldest month shown in the movements."""
    index = today.year * 12 + today.month - 1 - (MONTHS - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def refresh_stats(today: dt.date) -> None:
    """Rebuild the summaries from the grades and the grade history (flushes, no commit)."""
    db.session.execute(delete(GradeStat))
    db.session.execute(delete(MovementStat))
    division = func.coalesce(func.substr(Enterprise.industry, 1, 3), literal(""))
    db.session.execute(insert(GradeStat).from_select(
        ["district", "division", "grade", "n"],
        select(Enterprise.district, division, Grade.grade, func.count())
        .join(Grade, Grade.enterprise_id == Enterprise.id)
        .group_by(Enterprise.district, division, Grade.grade)))
    month = _month(GradeChange.changed_on)
    db.session.execute(insert(MovementStat).from_select(
        ["month", "district", "old_grade", "new_grade", "n"],
        select(month, Enterprise.district, GradeChange.old_grade, GradeChange.new_grade,
               func.count())
        .join(Enterprise, Enterprise.id == GradeChange.enterprise_id)
        .where(GradeChange.changed_on >= first_month(today),
               GradeChange.old_grade.is_not(None),
               GradeChange.old_grade != GradeChange.new_grade)
        .group_by(month, Enterprise.district, GradeChange.old_grade, GradeChange.new_grade)))
    run = db.session.get(JobRun, JOB) or JobRun(name=JOB)
    run.last_as_of, run.finished_at = today, clock.now()
    db.session.add(run)
    db.session.flush()


def stats_time() -> dt.datetime | None:
    """When the summaries were last rebuilt (UTC)."""
    return db.session.scalar(select(JobRun.finished_at).where(JobRun.name == JOB))


def _fresh(run: JobRun | None, today: dt.date) -> bool:
    ttl = dt.timedelta(seconds=current_app.config.get("DASHBOARD_STATS_TTL", 600))
    return run is not None and run.last_as_of == today and run.finished_at > clock.now() - ttl


def stats_state(today: dt.date) -> tuple[dt.datetime | None, bool]:
    """(when the summaries were built or None, whether they are fresh)."""
    run = db.session.get(JobRun, JOB)
    return (run.finished_at if run else None), _fresh(run, today)


def ensure_stats(today: dt.date) -> dt.datetime:
    """Rebuild the summaries when they are stale; return when they were built (UTC)."""
    run = db.session.get(JobRun, JOB)
    if _fresh(run, today):
        return run.finished_at
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        db.session.expire_all()
        run = db.session.get(JobRun, JOB)
        if _fresh(run, today):
            return run.finished_at  # another worker rebuilt them while we waited
    refresh_stats(today)
    return db.session.get(JobRun, JOB).finished_at


@dataclass
class Distribution:
    """Counts of each grade per row label (a jurisdiction or an industry division)."""

    rows: list[tuple[str, dict[str, int]]]

    @property
    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(GRADES, 0)
        for _, counts in self.rows:
            for grade, n in counts.items():
                out[grade] += n
        return out


def by_district(user: User) -> Distribution:
    """Grades per jurisdiction, in the city's order, for the user's jurisdictions."""
    stmt = scope_to_jurisdiction(
        select(GradeStat.district, GradeStat.grade, func.sum(GradeStat.n))
        .group_by(GradeStat.district, GradeStat.grade), user, GradeStat.district)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(GRADES, 0))
    for district, grade, n in db.session.execute(stmt):
        counts[district][grade] = int(n)
    return Distribution([(d, counts[d]) for d in DISTRICTS if d in counts])


def by_industry(user: User, top: int = 12) -> Distribution:
    """Grades per industry division (the ``top`` largest; the rest together, code "*")."""
    stmt = scope_to_jurisdiction(
        select(GradeStat.division, GradeStat.grade, func.sum(GradeStat.n))
        .group_by(GradeStat.division, GradeStat.grade), user, GradeStat.district)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(GRADES, 0))
    for division, grade, n in db.session.execute(stmt):
        counts[division or ""][grade] += int(n)
    ranked = sorted(counts, key=lambda d: (-sum(counts[d].values()), d))
    rows = [(d, counts[d]) for d in ranked[:top]]
    if len(ranked) > top:
        rest = dict.fromkeys(GRADES, 0)
        for d in ranked[top:]:
            for grade, n in counts[d].items():
                rest[grade] += n
        rows.append(("*", rest))
    return Distribution(rows)


def division_label(code: str) -> str:
    """A division code's name ("" and "*" are left to the caller)."""
    names = DIVISIONS.get(code) or SECTIONS.get(code[:1])
    return names[0] if names else code


@dataclass(frozen=True)
class Movement:
    month: str
    up: int  # to a better grade
    down: int  # to a worse grade
    into_d: int  # of which became D


def movements(user: User, today: dt.date) -> list[Movement]:
    """Grade changes per month over the last ``MONTHS`` months (every month listed)."""
    stmt = scope_to_jurisdiction(
        select(MovementStat.month, MovementStat.old_grade, MovementStat.new_grade,
               func.sum(MovementStat.n))
        .group_by(MovementStat.month, MovementStat.old_grade, MovementStat.new_grade),
        user, MovementStat.district)
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for month, old, new, n in db.session.execute(stmt):
        row = per[month]
        if new < old:
            row[0] += int(n)
        else:
            row[1] += int(n)
            if new == "D":
                row[2] += int(n)
    start = first_month(today)
    out = []
    for i in range(MONTHS):
        index = start.year * 12 + start.month - 1 + i
        key = f"{index // 12:04d}-{index % 12 + 1:02d}"
        out.append(Movement(key, *per.get(key, (0, 0, 0))))
    return out
