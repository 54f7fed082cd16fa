"""When will a grade change if nothing new is recorded? Evaluate the engine at each boundary."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from operator import add

from credit.rules.catalogue import anniversary
from credit.rules.engine import evaluate
from credit.rules.facts import ArchiveFacts, Reason

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Change:
    """From ``on`` the grade is ``grade`` for ``reasons`` (until the next change)."""

    on: date
    grade: str
    reasons: tuple[Reason, ...]


def _safe(shift: Callable[..., date], *args: object) -> date | None:
    """A boundary date, or None where it would fall beyond the calendar (year 9999)."""
    try:
        return shift(*args)
    except (ValueError, OverflowError):
        return None


def _edges(archive: ArchiveFacts) -> Iterator[date | None]:
    """Dates on which what the rules see can change; None for those beyond the calendar."""
    yield _safe(anniversary, archive.established_on, 2)
    yield _safe(anniversary, archive.established_on, 3)
    for record in archive.records:
        yield _safe(anniversary, record.date, 3)  # leaves "within 3 years"
        if record.resolved_on is not None:
            yield record.resolved_on  # no longer in force on that day
        if record.type == "permit" and record.deadline is not None:
            yield _safe(add, record.deadline, _DAY)  # a passed deadline counts from the next day
        if record.type == "pass_rate":
            yield _safe(anniversary, record.date, 1)


def boundaries(archive: ArchiveFacts) -> set[date]:
    """Every date on which the archive's records or age can change what the rules see."""
    return {day for day in _edges(archive) if day is not None}


def _new_years(after: date, through: date) -> Iterable[date]:
    """1 January of every year after ``after``'s, up to ``through``."""
    return (date(year, 1, 1) for year in range(after.year + 1, through.year + 1))


def forecast(
    archive: ArchiveFacts, as_of: date, *, horizon: date | None = None
) -> list[Change]:
    """Changes of grade or reason codes after ``as_of`` through ``horizon``, if nothing is added."""
    # records after as_of do not exist yet: they must not appear on their dates
    archive = replace(archive, records=tuple(r for r in archive.records if r.date <= as_of))
    candidates = {day for day in boundaries(archive) if day > as_of}
    if horizon is None:
        horizon = max(candidates | {_safe(anniversary, as_of, 1) or as_of})
    candidates = {day for day in candidates if day <= horizon}
    candidates.update(_new_years(as_of, horizon))

    changes: list[Change] = []
    current = evaluate(archive, as_of)
    seen = (current.grade, tuple(reason.code for reason in current.reasons))
    for day in sorted(candidates):
        assessment = evaluate(archive, day)
        key = (assessment.grade, tuple(reason.code for reason in assessment.reasons))
        if key != seen:
            changes.append(Change(day, assessment.grade, assessment.reasons))
            seen = key
    return changes
