"""The pool of enforcement staff (执法检查人员名录库) from which inspection teams are drawn.

Each inspector belongs to one jurisdiction and is identified by the badge number of the
enforcement certificate (执法证号): plans record badge numbers, so a badge is never reused or
renumbered; someone who leaves is made inactive, never deleted. Kept by the plan's roles
(publisher, city_admin) in their jurisdiction. Functions flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select

from credit.extensions import db
from credit.models import Inspector, User
from credit.permissions import Operator, can_plan_inspections, can_view_plans
from credit.services import audit
from credit.vocabulary import DISTRICTS
from credit.workflows.errors import InvalidInput, NotPermitted

Actor = User | Operator


def _snapshot(inspector: Inspector) -> dict:
    return {"badge_no": inspector.badge_no, "name": inspector.name,
            "jurisdiction": inspector.jurisdiction, "unit": inspector.unit,
            "active": inspector.active, "user_id": inspector.user_id}


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput(f"{field}: required")
        return None
    if len(value) > limit:
        raise InvalidInput(f"{field}: at most {limit} characters, got {len(value)}")
    return value


def _allow(actor: Actor, jurisdiction: str) -> None:
    if not can_plan_inspections(actor, [jurisdiction]):
        raise NotPermitted(f"you may not keep the inspector pool of {jurisdiction}")


def add_inspector(actor: Actor, *, badge_no: str, name: str, jurisdiction: str,
                  unit: str | None = None, user_id: int | None = None) -> Inspector:
    """Add someone to a jurisdiction's pool (active at once)."""
    if jurisdiction not in DISTRICTS:
        raise InvalidInput(f"jurisdiction: {jurisdiction!r} is not one of the 11 jurisdictions")
    _allow(actor, jurisdiction)
    badge = _text(badge_no, "badge_no", 40, required=True)
    if not badge.isprintable():  # plans write badges into tab-separated digests
        raise InvalidInput("badge_no: no tabs, line breaks or other control characters")
    if db.session.scalar(select(Inspector.id).where(Inspector.badge_no == badge)) is not None:
        raise InvalidInput(f"badge_no: {badge} is already in the pool")
    inspector = Inspector(badge_no=badge, name=_text(name, "name", 100, required=True),
                          jurisdiction=jurisdiction, unit=_text(unit, "unit", 200, required=False),
                          active=True, user_id=user_id)
    db.session.add(inspector)
    db.session.flush()
    audit.record("inspector.create", "inspector", inspector.id, actor_id=actor.id,
                 after=_snapshot(inspector))
    return inspector


def update_inspector(actor: Actor, inspector: Inspector, *, name: str | None = None,
                     unit: str | None = None, jurisdiction: str | None = None,
                     user_id: int | None = None) -> Inspector:
    """Correct a name or unit, move someone to another jurisdiction (both must be yours).
    The badge number is the identity the plans record, so it cannot change."""
    _allow(actor, inspector.jurisdiction)
    before = _snapshot(inspector)
    if jurisdiction is not None and jurisdiction != inspector.jurisdiction:
        if jurisdiction not in DISTRICTS:
            raise InvalidInput(f"jurisdiction: {jurisdiction!r} is not one of the 11 "
                               "jurisdictions")
        _allow(actor, jurisdiction)
        inspector.jurisdiction = jurisdiction
    if name is not None:
        inspector.name = _text(name, "name", 100, required=True)
    if unit is not None:
        inspector.unit = _text(unit, "unit", 200, required=False)
    if user_id is not None:
        inspector.user_id = user_id
    db.session.flush()
    if _snapshot(inspector) != before:
        audit.record("inspector.update", "inspector", inspector.id, actor_id=actor.id,
                     before=before, after=_snapshot(inspector))
    return inspector


def set_inspector_active(actor: Actor, inspector: Inspector, active: bool, *,
                         reason: str) -> None:
    """Take someone out of the draws (left, on leave, conflict) or back in, with the reason."""
    _allow(actor, inspector.jurisdiction)
    reason = _text(reason, "reason", 500, required=True)
    if inspector.active == active:
        return
    before = _snapshot(inspector)
    inspector.active = active
    db.session.flush()
    audit.record("inspector.activate" if active else "inspector.deactivate", "inspector",
                 inspector.id, actor_id=actor.id, before=before,
                 after={**_snapshot(inspector), "reason": reason})


def list_inspectors(actor: Actor, *, jurisdiction: str | None = None,
                    active: bool | None = None) -> list[Inspector]:
    """The pool as the actor may see it (its jurisdiction), by jurisdiction and badge."""
    query = select(Inspector)
    if not isinstance(actor, Operator):
        if not can_view_plans(actor, DISTRICTS):
            return []
        if actor.jurisdiction is not None:
            query = query.where(Inspector.jurisdiction == actor.jurisdiction)
    if jurisdiction is not None:
        query = query.where(Inspector.jurisdiction == jurisdiction)
    if active is not None:
        query = query.where(Inspector.active.is_(active))
    rows = db.session.scalars(query).all()
    order = {d: i for i, d in enumerate(DISTRICTS)}
    return sorted(rows, key=lambda r: (order[r.jurisdiction], r.badge_no))


def get_inspector(actor: Actor, inspector_id: int) -> Inspector | None:
    """The inspector if the actor may see its jurisdiction's pool."""
    inspector = db.session.get(Inspector, inspector_id)
    if inspector is None or not can_view_plans(actor, [inspector.jurisdiction]):
        return None
    return inspector


def active_pools(jurisdictions: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Badge numbers of the active inspectors of each jurisdiction, ascending (code points)."""
    pools: dict[str, list[str]] = {j: [] for j in jurisdictions}
    for badge, jurisdiction in db.session.execute(
        select(Inspector.badge_no, Inspector.jurisdiction).where(
            Inspector.jurisdiction.in_(list(pools)), Inspector.active.is_(True))
    ):
        pools[jurisdiction].append(badge)
    return {j: tuple(sorted(badges)) for j, badges in pools.items()}


def names_of(badges: Sequence[str]) -> dict[str, str]:
    """badge -> name for the given badges (one query)."""
    if not badges:
        return {}
    return dict(db.session.execute(
        select(Inspector.badge_no, Inspector.name).where(Inspector.badge_no.in_(list(badges)))
    ).all())
