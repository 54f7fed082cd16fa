"""Social supervision (举报, policy 五(四)): the public reports a suspected quality problem;
staff of the enterprise's jurisdiction see it in their queue and mark it handled.

``submit_report`` is what the public form calls (anonymous; contact details optional and never
shown publicly). ``reports_for`` is the staff queue, scoped to the actor's jurisdiction in the
query itself. ``mark_report_handled`` records what was done, audited.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import false, func, select

from credit import clock
from credit.extensions import db
from credit.models import Enterprise, Report, ReportCategory, ReportState, User
from credit.permissions import can_handle_report, can_view_reports
from credit.services import audit
from credit.services.scoping import scope_to_jurisdiction
from credit.uscc import is_valid_uscc
from credit.workflows.errors import (
    InvalidInput,
    InvalidTransition,
    NotPermitted,
    check_version,
    flush,
)

ENTERPRISE_MAX = 200
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
NOTE_MAX = 2000
_RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    phone: str | None = None
    email: str | None = None


def _clean(value: str | None, limit: int, what: str) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    return value or None


def new_receipt(day: dt.date) -> str:
    """``JB20261015-7K3F9QXM``: the date, then 8 random characters (unguessable)."""
    return f"JB{day:%Y%m%d}-" + "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(8))


def identify_enterprise(text: str) -> Enterprise | None:
    """The one enterprise a reporter's text names: its USCC, or its exact registered name."""
    text = text.strip()
    if is_valid_uscc(text.upper()):
        return db.session.scalar(select(Enterprise).where(Enterprise.uscc == text.upper()))
    matches = db.session.scalars(select(Enterprise).where(Enterprise.name == text).limit(2)).all()
    return matches[0] if len(matches) == 1 else None


def submit_report(enterprise_text: str, category: str, description: str, *,
                  occurred_on: dt.date | None = None, contact: Contact | None = None) -> Report:
    """File a report from the public; returns it with its receipt number. Flushes only."""
    enterprise_text = _clean(enterprise_text, ENTERPRISE_MAX, "the enterprise")
    if not enterprise_text:
        raise InvalidInput("name the enterprise (its name or USCC)")
    if category not in {c.value for c in ReportCategory}:
        raise InvalidInput(f"{category!r} is not a report category")
    description = _clean(description, DESCRIPTION_MAX, "the description")
    if not description or len(description) < DESCRIPTION_MIN:
        raise InvalidInput(f"describe the problem in at least {DESCRIPTION_MIN} characters")
    today = clock.today()
    if occurred_on is not None and occurred_on > today:
        raise InvalidInput("the date of the problem is in the future")
    contact = contact or Contact()
    enterprise = identify_enterprise(enterprise_text)
    report = Report(
        receipt=new_receipt(today), state=ReportState.NEW.value,
        enterprise_text=enterprise_text, enterprise_id=enterprise.id if enterprise else None,
        district=enterprise.district if enterprise else None, category=category,
        description=description, occurred_on=occurred_on, submitted_on=today,
        contact_name=_clean(contact.name, 50, "the contact name"),
        contact_phone=_clean(contact.phone, 30, "the telephone number"),
        contact_email=_clean(contact.email, 120, "the e-mail address"),
    )
    db.session.add(report)
    flush(report)
    # The audit entry names the report, never the reporter's contact details.
    audit.record("report.submit", "report", report.id,
                 after={"receipt": report.receipt, "district": report.district,
                        "enterprise": enterprise.uscc if enterprise else None,
                        "category": category})
    return report


def _queue(actor: User | None):
    stmt = select(Report)
    if not can_view_reports(actor):
        return stmt.where(false())
    if actor.jurisdiction is not None:
        # District staff: their district's reports. Unidentified ones are the city bureau's.
        return scope_to_jurisdiction(stmt, actor, Report.district)
    return stmt


def reports_for(actor: User | None, *, state: str | None = None, limit: int = 50,
                offset: int = 0) -> list[Report]:
    """The reports the actor's jurisdiction covers, oldest unhandled first."""
    stmt = _queue(actor)
    if state is not None:
        stmt = stmt.where(Report.state == ReportState(state).value)
    stmt = (stmt.order_by(Report.state.desc(), Report.id)  # "new" sorts after "handled"
            .limit(max(0, min(limit, 500))).offset(max(0, offset)))
    return list(db.session.scalars(stmt))


def count_reports_for(actor: User | None, *, state: str | None = None) -> int:
    stmt = _queue(actor).with_only_columns(func.count(Report.id))
    if state is not None:
        stmt = stmt.where(Report.state == ReportState(state).value)
    return db.session.scalar(stmt) or 0


def report_for(actor: User | None, report_id: int) -> Report | None:
    """One report, if the actor's jurisdiction covers it (``None`` otherwise: a 404)."""
    return db.session.scalar(_queue(actor).where(Report.id == report_id))


def mark_report_handled(actor: User, report: Report, note: str, *,
                        version: int | None = None) -> None:
    """Record that the report was looked into and what was done. Audited; flushes only."""
    if not can_handle_report(actor, report):
        raise NotPermitted(f"you may not handle report {report.receipt}")
    if report.state != ReportState.NEW:
        raise InvalidTransition(f"report {report.receipt} was already handled")
    check_version(report, version)
    note = _clean(note, NOTE_MAX, "the note")
    if not note:
        raise InvalidInput("say what was done about the report")
    report.state = ReportState.HANDLED.value
    report.handled_at, report.handled_by_id, report.handled_note = clock.now(), actor.id, note
    flush(report)
    audit.record("report.handle", "report", report.id, actor_id=actor.id,
                 before={"state": ReportState.NEW.value},
                 after={"state": report.state, "note": note})
