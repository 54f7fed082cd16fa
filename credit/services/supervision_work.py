"""The graded-supervision work waiting for a user, counted for the admin home page.

Each figure is one small query on an indexed column, limited to the user's jurisdiction in the
query, and offered only to the roles that may open its screen (a role that may not see a list
gets no count of it):

- ``plans_to_draw``: plans created and not yet drawn (publisher, city_admin);
- ``plans_open``: drawn plans with items still waiting for a result (internal readers);
- ``warnings_overdue``: open warnings past their rectification deadline (internal readers);
- ``honours_flagged``: honours flagged for a decision (internal readers);
- ``reports_new``: reports from the public not yet handled (internal readers).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select

from credit.extensions import db
from credit.models import (
    Enterprise,
    Honour,
    InspectionPlan,
    PlanItem,
    PlanJurisdiction,
    User,
    WarningNotice,
)
from credit.permissions import can_publish_any, can_read_archives, can_view_reports
from credit.services import reports
from credit.services.scoping import scope_to_jurisdiction


def _plans(user: User, state: str):
    query = select(func.count()).select_from(InspectionPlan).where(InspectionPlan.state == state)
    if user.jurisdiction is not None:
        query = query.where(exists().where(
            PlanJurisdiction.plan_id == InspectionPlan.id,
            PlanJurisdiction.jurisdiction == user.jurisdiction))
    return query


def supervision_work(user: User, today: dt.date) -> dict[str, int]:
    """The counts the user may see (keys absent for screens the role cannot open)."""
    counts: dict[str, int] = {}
    if not can_read_archives(user):
        return counts
    if can_publish_any(user):
        counts["plans_to_draw"] = db.session.scalar(_plans(user, "created")) or 0
    pending = select(PlanItem.id).where(PlanItem.plan_id == InspectionPlan.id,
                                        PlanItem.result.is_(None))
    pending = scope_to_jurisdiction(pending, user, PlanItem.jurisdiction)
    counts["plans_open"] = db.session.scalar(
        _plans(user, "drawn").where(pending.exists())) or 0
    counts["warnings_overdue"] = db.session.scalar(scope_to_jurisdiction(
        select(func.count()).select_from(WarningNotice)
        .join(Enterprise, Enterprise.id == WarningNotice.enterprise_id)
        .where(WarningNotice.state == "issued", WarningNotice.deadline < today),
        user, Enterprise.district)) or 0
    counts["honours_flagged"] = db.session.scalar(scope_to_jurisdiction(
        select(func.count()).select_from(Honour)
        .join(Enterprise, Enterprise.id == Honour.enterprise_id)
        .where(Honour.flag.is_not(None)), user, Enterprise.district)) or 0
    if can_view_reports(user):
        counts["reports_new"] = reports.count_reports_for(user, state="new")
    return counts
