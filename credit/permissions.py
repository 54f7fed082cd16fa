"""Who may do what: named checks shared by the admin, the portal, the CLI and the services.

Staff act only inside their jurisdiction (``None`` = the whole city). ``city_admin`` may do
everything any staff role may, except review a case built on facts it entered or changed
itself. ``auditor`` reads everything in its jurisdiction and changes nothing. An enterprise
account acts only for the one enterprise it is bound to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import select

from credit.extensions import db
from credit.models import (
    APublicationApplication,
    AuditEntry,
    DCase,
    Enterprise,
    Listing,
    Record,
    RepairApplication,
    Role,
    User,
)

_INTERNAL_READERS = frozenset(
    {Role.CITY_ADMIN, Role.RECORDER, Role.REVIEWER, Role.PUBLISHER, Role.AUDITOR}
)


def _active(user: User | None) -> bool:
    return user is not None and getattr(user, "id", None) is not None and bool(user.active)


def is_active_staff(user: User | None) -> bool:
    return _active(user) and user.is_staff


def has_role(user: User | None, *roles: Role) -> bool:
    return _active(user) and user.role in {r.value for r in roles}


def enterprise_of(obj: Any) -> Enterprise:
    """The enterprise an application, case, listing or repair is about."""
    if isinstance(obj, Enterprise):
        return obj
    if isinstance(obj, RepairApplication):
        return obj.listing.enterprise
    if isinstance(obj, APublicationApplication | DCase | Listing):
        return obj.enterprise
    raise TypeError(f"no enterprise for {obj!r}")


def in_jurisdiction(user: User | None, obj: Any) -> bool:
    """Whether a staff user's jurisdiction covers the object's enterprise."""
    if not is_active_staff(user):
        return False
    return user.jurisdiction is None or user.jurisdiction == enterprise_of(obj).district


def _staff(user: User | None, obj: Any, *roles: Role) -> bool:
    return has_role(user, Role.CITY_ADMIN, *roles) and in_jurisdiction(user, obj)


def can_view_internal(user: User | None, enterprise: Any) -> bool:
    """Archives, internal grades and cases: staff other than evaluator and inspector."""
    return has_role(user, *_INTERNAL_READERS) and in_jurisdiction(user, enterprise)


def can_view_audit(user: User | None) -> bool:
    return has_role(user, Role.AUDITOR, Role.CITY_ADMIN)


def can_manage_users(user: User | None) -> bool:
    return has_role(user, Role.CITY_ADMIN)


def can_manage_settings(user: User | None) -> bool:
    """Settings such as the working-day calendar: the city administrator."""
    return has_role(user, Role.CITY_ADMIN)


def can_record(user: User | None, enterprise: Any) -> bool:
    """Add, correct and retire archive records and registration facts, import archives."""
    return _staff(user, enterprise, Role.RECORDER)


def is_recorder(user: User | None) -> bool:
    """Whether the user records archives at all (somewhere): recorder or city_admin.

    Enough to start an import or a registration; each enterprise is checked with
    :func:`can_record` or :func:`can_record_in`.
    """
    return has_role(user, Role.CITY_ADMIN, Role.RECORDER)


def can_record_in(user: User | None, district: Any) -> bool:
    """Whether the user may record for enterprises of ``district`` (e.g. register one there)."""
    return is_recorder(user) and (user.jurisdiction is None or user.jurisdiction == district)


# -- four eyes ---------------------------------------------------------------------------------

_RECORD_EDITS = ("record.create", "record.update", "record.delete")


def review_excluded(cases: Iterable[DCase]) -> dict[int, frozenset[int]]:
    """For each case (by id), the users who may not review it, because they made its facts.

    That is whoever entered, corrected, imported or removed any of the case's records
    (``Record.recorded_by_id`` and the ``record.*`` audit entries on those records), whoever
    removed any record of the enterprise (a removal can make a D, e.g. the passing check
    between two failed ones, and leaves nothing in the case to point at), and, when the case
    rests on the enterprise's invalid qualification (D1), whoever registered that
    qualification or changed it. Four queries for any number of cases: use it for a queue.
    """
    cases = list(cases)
    excluded: dict[int, set[int]] = {case.id: set() for case in cases}
    record_cases: dict[int, set[int]] = defaultdict(set)
    enterprise_cases: dict[int, set[int]] = defaultdict(set)
    qualification_cases: dict[int, set[int]] = defaultdict(set)
    for case in cases:
        enterprise_cases[case.enterprise_id].add(case.id)
        for rid in case.record_ids or ():
            record_cases[rid].add(case.id)
        if case.rests_on_qualification:
            qualification_cases[case.enterprise_id].add(case.id)

    def exclude(case_ids: Iterable[int], user_id: int | None) -> None:
        if user_id is not None:
            for case_id in case_ids:
                excluded[case_id].add(user_id)

    if record_cases:
        for rid, user_id in db.session.execute(
            select(Record.id, Record.recorded_by_id).where(Record.id.in_(list(record_cases)))
        ):
            exclude(record_cases[rid], user_id)
        for object_id, user_id in db.session.execute(
            select(AuditEntry.object_id, AuditEntry.actor_id).where(
                AuditEntry.object_type == "record",
                AuditEntry.object_id.in_([str(rid) for rid in record_cases]),
                AuditEntry.action.in_(_RECORD_EDITS), AuditEntry.actor_id.is_not(None))
        ):
            exclude(record_cases[int(object_id)], user_id)
    if enterprise_cases:
        removed_from = AuditEntry.before["enterprise_id"].as_integer()
        for eid, user_id in db.session.execute(
            select(removed_from, AuditEntry.actor_id).where(
                AuditEntry.action == "record.delete", AuditEntry.actor_id.is_not(None),
                removed_from.in_(list(enterprise_cases)))
        ):
            exclude(enterprise_cases[eid], user_id)
    if qualification_cases:
        _exclude_qualification_makers(qualification_cases, exclude)
    return {case_id: frozenset(users) for case_id, users in excluded.items()}


def _exclude_qualification_makers(qualification_cases: Mapping[int, set[int]],
                                  exclude: Callable[[Iterable[int], int | None], None]) -> None:
    """Who registered an enterprise's qualification as invalid, or changed it (two queries)."""
    ids = list(qualification_cases)
    registered: dict[int, Any] = {}  # the qualification before its first change
    for object_id, before, after, user_id in db.session.execute(
        select(AuditEntry.object_id, AuditEntry.before, AuditEntry.after, AuditEntry.actor_id)
        .where(AuditEntry.object_type == "enterprise",
               AuditEntry.object_id.in_([str(eid) for eid in ids]),
               AuditEntry.action == "enterprise.update")
        .order_by(AuditEntry.id)
    ):
        old, new = (before or {}).get("qualification"), (after or {}).get("qualification")
        if old != new:
            registered.setdefault(int(object_id), old)
            exclude(qualification_cases[int(object_id)], user_id)
    for eid, creator, qualification in db.session.execute(
        select(Enterprise.id, Enterprise.recorded_by_id, Enterprise.qualification)
        .where(Enterprise.id.in_(ids))
    ):
        if registered.get(eid, qualification) == "invalid":
            exclude(qualification_cases[eid], creator)


def can_review(user: User | None, case: DCase, *,
               excluded: Mapping[int, frozenset[int]] | None = None) -> bool:
    """Confirm or dismiss a proposed D case (four eyes: never one resting on facts you entered
    or changed yourself). A queue passes ``excluded`` from one :func:`review_excluded` call."""
    if not _staff(user, case, Role.REVIEWER):
        return False
    if excluded is None or case.id not in excluded:
        excluded = review_excluded([case])
    return user.id not in excluded[case.id]


def can_publish(user: User | None, obj: Any) -> bool:
    """Publish, notify, decide, remove, handle repair: the disclosure officer's acts."""
    return _staff(user, obj, Role.PUBLISHER)


def can_evaluate(user: User | None, application: APublicationApplication) -> bool:
    """The provincial evaluation of an A application."""
    return _staff(user, application, Role.EVALUATOR)


def can_give_inspection_opinion(user: User | None,
                                application: APublicationApplication) -> bool:
    return _staff(user, application, Role.INSPECTOR) and bool(application.needs_inspection)


def can_act_for_enterprise(user: User | None, enterprise: Any) -> bool:
    """Apply, withdraw consent, answer a notice, apply for repair: the enterprise itself."""
    return has_role(user, Role.ENTERPRISE) and user.enterprise_id == enterprise_of(enterprise).id


# -- screens of the staff backend: role-level checks for menus and pages ----------------------
# The object-level checks above still decide every act; these say which screens a user opens.


def can_open_backend(user: User | None) -> bool:
    """Active staff only: enterprise accounts never enter the staff backend."""
    return is_active_staff(user)


def can_read_archives(user: User | None) -> bool:
    """Archive lists, enterprise pages, internal grades and dashboards (in jurisdiction)."""
    return has_role(user, *_INTERNAL_READERS)


def can_record_any(user: User | None) -> bool:
    """Record forms and bulk import (each enterprise still checked by ``can_record``)."""
    return has_role(user, Role.CITY_ADMIN, Role.RECORDER)


def can_export_internal(user: User | None) -> bool:
    """Excel exports of internal grades (each one logged)."""
    return has_role(user, *_INTERNAL_READERS)


def can_open_audit_log(user: User | None) -> bool:
    """The audit log viewer: whole-city auditors and administrators (entries carry no
    jurisdiction, so a district account would see other districts' entries)."""
    return can_view_audit(user) and user.jurisdiction is None


def has_work_queue(user: User | None) -> bool:
    """Roles with a work queue; the auditor reads every queue without acting."""
    return has_role(user, Role.CITY_ADMIN, Role.REVIEWER, Role.PUBLISHER, Role.EVALUATOR,
                    Role.INSPECTOR, Role.AUDITOR)


def can_review_cases(user: User | None) -> bool:
    """The D-case review queue (each case still checked by ``can_review``)."""
    return has_role(user, Role.CITY_ADMIN, Role.REVIEWER)


def can_publish_any(user: User | None) -> bool:
    """The disclosure officer's queues (each item still checked by ``can_publish``)."""
    return has_role(user, Role.CITY_ADMIN, Role.PUBLISHER)


def can_evaluate_any(user: User | None) -> bool:
    return has_role(user, Role.CITY_ADMIN, Role.EVALUATOR)


def can_inspect_any(user: User | None) -> bool:
    return has_role(user, Role.CITY_ADMIN, Role.INSPECTOR)


def can_see_applications(user: User | None) -> bool:
    """A publication applications: the roles that handle them and the internal readers.
    (An inspection institution sees only those that need its opinion.)"""
    return can_read_archives(user) or has_role(user, Role.EVALUATOR, Role.INSPECTOR)


def can_view_reports(user: User | None) -> bool:
    """Read the public's reports (举报) of the user's jurisdiction."""
    return has_role(user, *_INTERNAL_READERS)


def can_handle_report(user: User | None, report: Any) -> bool:
    """Mark a report handled: recorders, publishers and the city bureau, in jurisdiction.
    A report that names no known enterprise belongs to the city bureau's staff."""
    if not has_role(user, Role.CITY_ADMIN, Role.RECORDER, Role.PUBLISHER):
        return False
    return user.jurisdiction is None or user.jurisdiction == report.district


def can_handle_reports_any(user: User | None) -> bool:
    """The role may mark reports handled somewhere (the screen's role check)."""
    return has_role(user, Role.CITY_ADMIN, Role.RECORDER, Role.PUBLISHER)


def can_manage_honours_any(user: User | None) -> bool:
    """The role may keep the honours register somewhere (the screen's role check)."""
    return has_role(user, Role.CITY_ADMIN, Role.RECORDER, Role.PUBLISHER)


# -- graded supervision (policy 四): plans, inspectors, warnings, honours, reports, settings --


class Operator:
    """The person at the command line (``flask --app wsgi credit ...``). They hold the
    database already, so the services treat them as whole-city staff; the audit log names them
    ``cli:<login>``. Only the CLI passes this; views always pass ``current_user``."""

    id = None
    role = "operator"
    jurisdiction = None
    active = True
    is_staff = True

    def __repr__(self) -> str:
        return "<Operator (command line)>"


OPERATOR = Operator()


def covers(user: User | Operator | None, jurisdictions: Any) -> bool:
    """Whether the user's jurisdiction includes every one of ``jurisdictions``."""
    if user is OPERATOR:
        return True
    if not is_active_staff(user):
        return False
    return user.jurisdiction is None or set(jurisdictions) <= {user.jurisdiction}


def can_plan_inspections(user: User | Operator | None, jurisdictions: Any) -> bool:
    """Create, draw, cancel and close random inspection plans; keep the inspector pool."""
    return user is OPERATOR or (has_role(user, Role.CITY_ADMIN, Role.PUBLISHER)
                                and covers(user, jurisdictions))


def can_view_plans(user: User | Operator | None, jurisdictions: Any) -> bool:
    """Read and export a plan (its part in the user's jurisdiction): internal readers."""
    if user is OPERATOR:
        return True
    if not has_role(user, *_INTERNAL_READERS):
        return False
    return user.jurisdiction is None or user.jurisdiction in set(jurisdictions)


def can_enter_inspection_result(user: User | None, enterprise: Any) -> bool:
    """Results become archive records: whoever may record for the enterprise."""
    return can_record(user, enterprise)


def can_issue_warning(user: User | None, enterprise: Any) -> bool:
    """Issue, follow up and close yellow-card warnings (黄牌警告)."""
    return _staff(user, enterprise, Role.PUBLISHER)


def can_manage_honours(user: User | None, enterprise: Any) -> bool:
    """Register, correct and remove an enterprise's honours."""
    return _staff(user, enterprise, Role.RECORDER, Role.PUBLISHER)


def can_decide_honour(user: User | None, enterprise: Any) -> bool:
    """Suspend, revoke, reinstate or keep an honour (the decision after a flag)."""
    return _staff(user, enterprise, Role.PUBLISHER)


def can_view_supervision_reports(user: User | Operator | None,
                                  jurisdiction: str | None) -> bool:
    """Supervision reports of one jurisdiction (``None``: the whole city)."""
    if user is OPERATOR:
        return True
    if not has_role(user, *_INTERNAL_READERS):
        return False
    return user.jurisdiction is None or user.jurisdiction == jurisdiction
