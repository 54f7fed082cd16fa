"""Builders of archive facts for the rule tests (plain functions: tables need them at import)."""

from __future__ import annotations

from datetime import date, timedelta

from credit.rules.facts import ArchiveFacts, RecordFacts

AS_OF = date(2026, 10, 15)
DAY = timedelta(days=1)
LONG_AGO = date(2010, 1, 1)  # established long enough for A1
JAN_1 = date(2026, 1, 1)  # first day of "this year" for AS_OF
DEC_31 = date(2025, 12, 31)  # last day of last year
THREE_YEARS_AGO = date(2023, 10, 15)  # AS_OF minus 3 years: just outside "within 3 years"
SPRING = date(2026, 3, 1)  # a plain day of this year


def record(kind: str, on: date, ref: str | None = None, **fields: object) -> RecordFacts:
    """A record of ``kind`` dated ``on``; the ref defaults to kind and date."""
    return RecordFacts(type=kind, ref=ref or f"{kind}-{on.isoformat()}", date=on, **fields)


def spot(
    on: date = SPRING, result: str = "fail", subject: str = "product", ref: str | None = None
) -> RecordFacts:
    """A spot check."""
    return record("spot_check", on, ref, subject=subject, result=result)


def inspection(on: date = SPRING, result: str = "fail", ref: str | None = None) -> RecordFacts:
    """A supervision inspection."""
    return record("inspection", on, ref, result=result)


def supervised(on: date = SPRING, result: str = "fail", ref: str | None = None) -> RecordFacts:
    """A supervised test (监督检验)."""
    return record("supervised_test", on, ref, result=result)


def violation(
    on: date = SPRING, category: str = "quality", severity: str = "general", ref: str | None = None
) -> RecordFacts:
    """A quality, metrology or counterfeit violation."""
    return record("violation", on, ref, category=category, severity=severity)


def false_claim(on: date = SPRING, harm: str = "minor", ref: str | None = None) -> RecordFacts:
    """A false advertisement, data or claim."""
    return record("false_claim", on, ref, harm=harm)


def complaint(on: date = SPRING, resolution: str = "late", ref: str | None = None) -> RecordFacts:
    """A complaint the enterprise is responsible for."""
    return record("complaint", on, ref, resolution=resolution)


def accident(on: date = SPRING, severity: str = "general", ref: str | None = None) -> RecordFacts:
    """An accident caused by quality."""
    return record("accident", on, ref, severity=severity)


def permit(
    status: str,
    on: date = date(2025, 5, 1),
    deadline: date | None = None,
    resolved_on: date | None = None,
    ref: str | None = None,
) -> RecordFacts:
    """A permit finding (state record)."""
    return record("permit", on, ref, status=status, deadline=deadline, resolved_on=resolved_on)


def standard(
    finding: str,
    on: date = date(2025, 5, 1),
    resolved_on: date | None = None,
    ref: str | None = None,
) -> RecordFacts:
    """A standard finding (state record)."""
    return record("standard", on, ref, finding=finding, resolved_on=resolved_on)


def after_sales(
    finding: str,
    on: date = date(2025, 5, 1),
    resolved_on: date | None = None,
    ref: str | None = None,
) -> RecordFacts:
    """An after-sales finding (state record)."""
    return record("after_sales", on, ref, finding=finding, resolved_on=resolved_on)


def pass_rate(
    rate: float, on: date = SPRING, resolved_on: date | None = None, ref: str | None = None
) -> RecordFacts:
    """A factory pass rate (state record for one year or until the next)."""
    return record("pass_rate", on, ref, rate=rate, resolved_on=resolved_on)


def archive(
    *records: RecordFacts, established_on: date = LONG_AGO, qualification: str = "valid"
) -> ArchiveFacts:
    """An archive of ``records``, established long ago and qualified unless told."""
    return ArchiveFacts(established_on=established_on, qualification=qualification, records=records)
