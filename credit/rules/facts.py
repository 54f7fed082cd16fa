"""What the grading engine reads: plain, immutable facts, independent of the database.

The engine is a pure function of an :class:`ArchiveFacts` and an evaluation date; the services
build these facts from ORM rows (or from an archive file) and hand them over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

RULEBOOK_ID = "JMS-2020-42/1"


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """One archive record. Fields that do not belong to the record's type are ``None``."""

    type: str
    ref: str
    date: date
    subject: str | None = None  # spot_check: product | metrology
    # spot_check, inspection: pass | fail; supervised_test: also severe | untested
    result: str | None = None
    category: str | None = None  # violation: quality | metrology | counterfeit
    severity: str | None = None  # violation: general | serious; accident: general | major
    harm: str | None = None  # false_claim: minor | major
    resolution: str | None = None  # complaint: timely | late | unresolved
    status: str | None = None  # permit: held | rectifying | failed | missing
    deadline: date | None = None  # permit (rectifying)
    # standard: below_declared | no_standard; after_sales: deficient | serious_breach
    finding: str | None = None
    rate: float | None = None  # pass_rate: 0..1
    resolved_on: date | None = None  # state records only


@dataclass(frozen=True, slots=True)
class ArchiveFacts:
    """An enterprise's archive as the rules see it."""

    established_on: date
    qualification: str = "valid"  # valid | invalid
    records: tuple[RecordFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    """A rule that holds (or, in ``Assessment.unmet``, an A condition that does not)."""

    code: str
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ground:
    """What one D rule that holds rests on: its records, and for D1 the qualification."""

    code: str
    records: tuple[RecordFacts, ...] = ()
    qualification_invalid: bool = False


@dataclass(frozen=True, slots=True)
class Assessment:
    """The engine's answer for one enterprise on one date."""

    grade: str  # A | B | C | D
    reasons: tuple[Reason, ...]
    # for B: the A conditions not met, with the records that broke them
    unmet: tuple[Reason, ...] = ()
    rulebook: str = RULEBOOK_ID
