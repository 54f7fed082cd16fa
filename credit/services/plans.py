"""Random inspection plans (双随机): create, draw, verify, cancel, close, enter results.

    create_plan -> created --draw_plan--> drawn --close_plan--> closed
                         \\--cancel_plan (reason)--/ (no results yet)  -> cancelled

The seed (and the ratios and team size) are fixed and shown when the plan is created, before
anything is frozen; ``draw_plan`` then freezes the inputs (eligible lists, inspector pools, last
teams) and draws once. A drawn plan is never drawn again, and a (period, kind, jurisdiction)
has at most one live plan: another needs the first cancelled, with a reason. Every step is
audited; ``verify_plan`` repeats the draw from what the plan recorded.

Functions check permission, change state, audit and flush; the caller commits (and rolls back
when one raises).
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from credit import clock
from credit.extensions import db
from credit.models import (
    AuditEntry,
    CheckType,
    Enterprise,
    Grade,
    InspectionPlan,
    PlanItem,
    PlanJurisdiction,
    PlanKind,
    PlanState,
    PlanStratum,
    Record,
    SeedSource,
    User,
)
from credit.permissions import (
    Operator,
    can_enter_inspection_result,
    can_plan_inspections,
    can_view_plans,
)
from credit.services import audit, draw
from credit.services.bulk import insert_rows
from credit.services.inspectors import active_pools
from credit.services.scoping import scope_to_jurisdiction
from credit.services.settings import GRADES, inspection_ratios, team_size
from credit.vocabulary import DISTRICTS
from credit.workflows.errors import (
    ConcurrentChange,
    InvalidInput,
    InvalidTransition,
    NotPermitted,
    check_version,
    ensure_state,
    flush,
)

Actor = User | Operator
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
MAX_MONTHS_AHEAD = 12
SEED_MAX = 100
_LIVE = (PlanState.DRAWN.value, PlanState.CLOSED.value)


# -- creating -------------------------------------------------------------------------------


def parse_period(text: str) -> dt.date:
    """The first day of a ``YYYY-MM`` period; InvalidInput when it is not one."""
    match = _PERIOD.fullmatch(text or "")
    if not match:
        raise InvalidInput(f"period: {text!r} is not a month in the form YYYY-MM")
    return dt.date(int(match[1]), int(match[2]), 1)


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _clean_jurisdictions(jurisdictions: Sequence[str]) -> list[str]:
    unknown = [j for j in jurisdictions if j not in DISTRICTS]
    if unknown:
        raise InvalidInput(f"jurisdiction: {', '.join(map(repr, unknown))} is not one of the 11 "
                           "jurisdictions")
    if not jurisdictions:
        raise InvalidInput("jurisdiction: name at least one")
    return [d for d in DISTRICTS if d in set(jurisdictions)]


def _clean_seed(seed: str) -> str:
    if not seed or len(seed) > SEED_MAX:
        raise InvalidInput(f"seed: give 1 to {SEED_MAX} characters")
    if seed != seed.strip() or any(not c.isprintable() for c in seed):
        raise InvalidInput("seed: no spaces at either end and no control characters")
    return seed


def new_seed() -> str:
    """128 random bits from the operating system, as 32 hexadecimal digits."""
    import secrets

    return secrets.token_hex(16)


def plan_ratios(kind: PlanKind) -> dict[str, str]:
    """The ratios a new plan takes from the settings; A is exempt in the licence review."""
    ratios = {g: str(r) for g, r in inspection_ratios().items()}
    if kind is PlanKind.LICENCE_REVIEW:
        ratios["A"] = "0"  # policy 四(一): A firms are exempt from on-site checks
    return ratios


def live_plan_for(period: str, kind: PlanKind, jurisdiction: str) -> InspectionPlan | None:
    """The plan that holds this period, kind and jurisdiction, if any."""
    return db.session.scalar(
        select(InspectionPlan).join(PlanJurisdiction).where(
            PlanJurisdiction.period == period, PlanJurisdiction.kind == kind.value,
            PlanJurisdiction.jurisdiction == jurisdiction, PlanJurisdiction.live.is_(True))
    )


def create_plan(actor: Actor, *, period: str, jurisdictions: Sequence[str],
                kind: PlanKind | str = PlanKind.ROUTINE, seed: str | None = None,
                note: str | None = None) -> InspectionPlan:
    """Create a plan and fix its seed, ratios and team size (shown at once, before the draw).

    ``seed`` None: 128 random bits. A given seed is recorded as such (e.g. a number announced
    in public beforehand). Refused when any of the jurisdictions already has a live plan of
    this kind for the period.
    """
    try:
        kind = PlanKind(kind)
    except ValueError:
        raise InvalidInput(f"kind: {kind!r} is not one of "
                           f"{', '.join(k.value for k in PlanKind)}") from None
    chosen = _clean_jurisdictions(list(jurisdictions))
    if not can_plan_inspections(actor, chosen):
        raise NotPermitted(f"you may not plan inspections for {', '.join(chosen)}")
    first = parse_period(period)
    this_month = clock.today().replace(day=1)
    ahead = _months_between(this_month, first)
    if ahead < 0:
        raise InvalidInput(f"period: {period} is over; plan this month or a later one")
    if ahead > MAX_MONTHS_AHEAD:
        raise InvalidInput(f"period: {period} is more than {MAX_MONTHS_AHEAD} months ahead")
    for jurisdiction in chosen:
        held = live_plan_for(period, kind, jurisdiction)
        if held is not None:
            raise InvalidTransition(
                f"{jurisdiction} already has plan {held.id} ({kind.value}) for {period}; "
                "cancel it first, with a reason")
    source = SeedSource.GENERATED if seed is None else SeedSource.GIVEN
    seed = new_seed() if seed is None else _clean_seed(seed)
    plan = InspectionPlan(
        kind=kind.value, period=period, jurisdictions=chosen, state=PlanState.CREATED.value,
        seed=seed, seed_source=source.value, algorithm=draw.ALGORITHM,
        ratios=plan_ratios(kind), team_size=team_size(),
        note=(note or "").strip() or None, created_by_id=actor.id,
    )
    db.session.add(plan)
    db.session.add_all(PlanJurisdiction(plan=plan, jurisdiction=j, period=period,
                                        kind=kind.value, live=True) for j in chosen)
    _flush_claims(plan, period)
    audit.record("inspection_plan.create", "inspection_plan", plan.id, actor_id=actor.id,
                 after={"period": period, "kind": kind.value, "jurisdictions": chosen,
                        "seed": seed, "seed_source": source.value,
                        "algorithm": draw.ALGORITHM, "ratios": plan.ratios,
                        "team_size": plan.team_size})
    return plan


def _flush_claims(plan: InspectionPlan, period: str) -> None:
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise ConcurrentChange(
            f"another plan for {period} was created meanwhile for one of "
            f"{', '.join(plan.jurisdictions)}; nothing was saved, reload and try again"
        ) from exc


# -- drawing --------------------------------------------------------------------------------


def _gc_paused(function):
    """Run ``function`` with the cyclic garbage collector paused.

    A draw over a million enterprises holds millions of small tuples that live until it ends;
    the collector's full passes over them, triggered by the allocations alone, took about 40%
    of the draw's time and free nothing (these objects hold no cycles). Reference counting
    still frees everything as usual.
    """
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()
    return wrapper


@dataclass
class Frozen:
    """The inputs of a draw as read from the database, with the ids of the enterprises."""

    inputs: draw.DrawInputs
    ids: list[list[int]] = field(default_factory=list)  # per stratum, parallel to usccs


def _eligible_rows(plan: InspectionPlan, today: dt.date) -> Iterator[tuple[int, str, str, str]]:
    """(id, uscc, district, grade) of every graded enterprise the plan covers, streamed as
    plain rows (a Core query: no ORM work per row at a million rows)."""
    e, g, r = Enterprise.__table__.c, Grade.__table__.c, Record.__table__.c
    # In USCC order: the lists are sorted again in Python (code points, whatever the database's
    # collation), which costs next to nothing on input already in order.
    query = (
        select(e.id, e.uscc, e.district, g.grade)
        .select_from(Enterprise.__table__.join(Grade.__table__, g.enterprise_id == e.id))
        .order_by(e.uscc)
    )
    if set(plan.jurisdictions) != set(DISTRICTS):  # the whole city needs no filter
        query = query.where(e.district.in_(plan.jurisdictions))
    if plan.kind == PlanKind.LICENCE_REVIEW:
        # The annual licence review covers the holders of a production permit in force.
        query = query.where(exists().where(
            r.enterprise_id == e.id, r.type == "permit", r.date <= today,
            or_(r.resolved_on.is_(None), r.resolved_on > today)))
    # The option on the statement, not the connection (which would keep streaming later ones).
    result = db.session.connection().execute(query.execution_options(yield_per=50_000))
    for partition in result.partitions():
        yield from partition


def freeze_inputs(plan: InspectionPlan, today: dt.date) -> Frozen:
    """Read the eligible lists and pools now (the previous teams come after the draw)."""
    buckets: dict[tuple[str, str], list[tuple[str, int]]] = {
        (j, g): [] for j in plan.jurisdictions for g in GRADES
    }
    for eid, uscc, district, grade in _eligible_rows(plan, today):
        buckets[(district, grade)].append((uscc, eid))
    strata, ids = [], []
    for (jurisdiction, grade), rows in buckets.items():
        rows.sort()  # by USCC, in code-point order: never the database's collation
        strata.append(draw.Stratum(jurisdiction, grade, Decimal(plan.ratios[grade]),
                                   tuple(u for u, _ in rows)))
        ids.append([eid for _, eid in rows])
    inputs = draw.DrawInputs(seed=plan.seed, period=plan.period, strata=tuple(strata),
                             pools=active_pools(plan.jurisdictions), team_size=plan.team_size)
    return Frozen(inputs, ids)


def previous_teams(enterprise_ids: Sequence[int], *, excluding: int) -> dict[int, list[str]]:
    """The team of each enterprise's most recently drawn live plan (other than ``excluding``)."""
    latest: dict[int, tuple[tuple, list[str]]] = {}
    size = current_app.config["BATCH_SIZE"]
    for start in range(0, len(enterprise_ids), size):
        batch = enterprise_ids[start:start + size]
        for eid, team, drawn_at, plan_id in db.session.execute(
            select(PlanItem.enterprise_id, PlanItem.inspectors, InspectionPlan.drawn_at,
                   InspectionPlan.id)
            .join(InspectionPlan, InspectionPlan.id == PlanItem.plan_id)
            .where(PlanItem.enterprise_id.in_(batch), InspectionPlan.state.in_(_LIVE),
                   InspectionPlan.id != excluding)
        ):
            key = (drawn_at, plan_id)
            if eid not in latest or key > latest[eid][0]:
                latest[eid] = (key, list(team))
    return {eid: team for eid, (_, team) in latest.items()}


@_gc_paused
def draw_plan(actor: Actor, plan: InspectionPlan, *,
              version: int | None = None) -> list[draw.Drawn]:
    """Freeze the inputs and draw, once. Returns the selection (also stored as plan items)."""
    if not can_plan_inspections(actor, plan.jurisdictions):
        raise NotPermitted(f"you may not draw plan {plan.id}")
    ensure_state(plan, PlanState.CREATED, doing="draw (a plan is drawn once)")
    check_version(plan, version)
    frozen = freeze_inputs(plan, clock.today())
    inputs = frozen.inputs
    drawn, drawn_ids = [], []
    for stratum, ids in zip(inputs.strata, frozen.ids, strict=True):
        for rank, pos in enumerate(draw.draw_positions(plan.seed, plan.period, stratum), 1):
            drawn.append(draw.Drawn(stratum.usccs[pos], stratum.jurisdiction, stratum.grade,
                                    rank))
            drawn_ids.append(ids[pos])
    last = previous_teams(drawn_ids, excluding=plan.id)
    previous = {d.uscc: tuple(last[eid]) for d, eid in zip(drawn, drawn_ids, strict=True)
                if eid in last}
    inputs = draw.DrawInputs(seed=inputs.seed, period=inputs.period, strata=inputs.strata,
                             pools=inputs.pools, previous=previous, team_size=inputs.team_size)
    try:
        drawn = draw.assign_teams(plan.seed, plan.period, drawn, inputs.pools, previous,
                                  plan.team_size)
    except draw.DrawError as exc:
        raise InvalidInput(f"cannot draw plan {plan.id}: {exc}") from None

    for stratum in inputs.strata:
        db.session.add(PlanStratum(
            plan_id=plan.id, jurisdiction=stratum.jurisdiction, grade=stratum.grade,
            ratio=str(stratum.ratio), eligible=len(stratum.usccs), selected=stratum.size,
            digest=draw.list_digest(stratum.usccs), usccs=draw.pack_usccs(stratum.usccs)))
    rows = [{"plan_id": plan.id, "enterprise_id": eid, "uscc": d.uscc,
             "jurisdiction": d.jurisdiction, "grade": d.grade, "rank": d.rank,
             "inspectors": list(d.inspectors), "previous": list(previous.get(d.uscc, ()))}
            for d, eid in zip(drawn, drawn_ids, strict=True)]
    db.session.flush()
    _insert_items(rows)

    plan.pools = {j: list(p) for j, p in inputs.pools.items()}
    plan.inputs_digest = draw.inputs_digest(inputs, kind=plan.kind)
    plan.selection_digest = draw.selection_digest(drawn)
    plan.eligible_count = sum(len(s.usccs) for s in inputs.strata)
    plan.selected_count = len(drawn)
    plan.drawn_at, plan.drawn_by_id = clock.now(), actor.id
    plan.state = PlanState.DRAWN.value
    flush(plan)
    audit.record("inspection_plan.draw", "inspection_plan", plan.id, actor_id=actor.id,
                 before={"state": PlanState.CREATED.value},
                 after={"state": plan.state, "seed": plan.seed, "algorithm": plan.algorithm,
                        "inputs_digest": plan.inputs_digest,
                        "selection_digest": plan.selection_digest,
                        "eligible": plan.eligible_count, "selected": plan.selected_count,
                        "strata": [[s.jurisdiction, s.grade, str(s.ratio), len(s.usccs),
                                    s.size, draw.list_digest(s.usccs)]
                                   for s in inputs.strata]})
    return drawn


_ITEM_COLUMNS = ("plan_id", "enterprise_id", "uscc", "jurisdiction", "grade", "rank",
                 "inspectors", "previous")


def _insert_items(rows: list[dict]) -> None:
    """Write the drawn items. PostgreSQL: COPY (credit.services.bulk). SQLite: one DBAPI
    executemany with the JSON already encoded, which skips SQLAlchemy's per-value processing
    (a third of a million-enterprise draw's time otherwise)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        size = current_app.config["BATCH_SIZE"]
        for start in range(0, len(rows), size):
            insert_rows(PlanItem.__table__, rows[start:start + size])
        return
    dumps = json.dumps
    values = [(r["plan_id"], r["enterprise_id"], r["uscc"], r["jurisdiction"], r["grade"],
               r["rank"], dumps(r["inspectors"]), dumps(r["previous"])) for r in rows]
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {PlanItem.__tablename__} ({', '.join(_ITEM_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_ITEM_COLUMNS))})", values)
    finally:
        cursor.close()


# -- verifying ------------------------------------------------------------------------------


@dataclass
class Verification:
    plan_id: int
    selected: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def recorded_inputs(plan: InspectionPlan, problems: list[str]) -> draw.DrawInputs:
    """The draw's inputs exactly as the plan recorded them (stored lists checked against
    their digests on the way)."""
    strata = []
    rows = db.session.scalars(
        select(PlanStratum).where(PlanStratum.plan_id == plan.id).order_by(PlanStratum.id)
    ).all()
    order = {(j, g): i for i, (j, g) in enumerate(
        (j, g) for j in plan.jurisdictions for g in GRADES)}
    for row in sorted(rows, key=lambda r: order.get((r.jurisdiction, r.grade), len(order))):
        usccs = draw.unpack_usccs(row.usccs)
        where = f"eligible list {row.jurisdiction}/{row.grade}"
        if draw.list_digest(usccs) != row.digest:
            problems.append(f"{where}: its content does not match its recorded digest")
        if len(usccs) != row.eligible:
            problems.append(f"{where}: holds {len(usccs)} enterprises, the plan says "
                            f"{row.eligible}")
        if list(usccs) != sorted(set(usccs)):
            problems.append(f"{where}: not in ascending order without repeats")
        strata.append(draw.Stratum(row.jurisdiction, row.grade, Decimal(row.ratio), usccs))
    previous = {}
    for uscc, team in db.session.execute(
        select(PlanItem.uscc, PlanItem.previous).where(PlanItem.plan_id == plan.id)
    ):
        if team:
            previous[uscc] = tuple(team)
    return draw.DrawInputs(seed=plan.seed, period=plan.period, strata=tuple(strata),
                           pools={j: tuple(p) for j, p in (plan.pools or {}).items()},
                           previous=previous, team_size=plan.team_size)


def stored_selection(plan: InspectionPlan) -> list[draw.Drawn]:
    return [draw.Drawn(u, j, g, r, tuple(t)) for u, j, g, r, t in db.session.execute(
        select(PlanItem.uscc, PlanItem.jurisdiction, PlanItem.grade, PlanItem.rank,
               PlanItem.inspectors).where(PlanItem.plan_id == plan.id))]


def _draw_audit(plan: InspectionPlan) -> dict:
    after = db.session.scalar(
        select(AuditEntry.after).where(AuditEntry.action == "inspection_plan.draw",
                                       AuditEntry.object_type == "inspection_plan",
                                       AuditEntry.object_id == str(plan.id))
        .order_by(AuditEntry.id).limit(1))
    return after or {}


@_gc_paused
def verify_plan(actor: Actor, plan: InspectionPlan, *, limit: int = 20) -> Verification:
    """Repeat the draw from the plan's recorded inputs and compare it with the stored
    selection, the recorded digests and the draw's audit entry. Read only."""
    if not can_view_plans(actor, plan.jurisdictions):
        raise NotPermitted(f"you may not see plan {plan.id}")
    result = Verification(plan.id)
    if plan.state not in _LIVE and not (plan.state == PlanState.CANCELLED and plan.drawn_at):
        result.problems.append(f"plan {plan.id} has not been drawn")
        return result
    problems = result.problems
    inputs = recorded_inputs(plan, problems)
    logged = _draw_audit(plan)
    if not logged:
        problems.append("the draw's audit entry is missing")
    for name, recorded, value in (
        ("seed", logged.get("seed"), plan.seed),
        ("algorithm", logged.get("algorithm"), plan.algorithm),
    ):
        if logged and recorded != value:
            problems.append(f"{name}: the plan says {value!r}, its audit entry {recorded!r}")
    if plan.algorithm != draw.ALGORITHM:
        problems.append(f"algorithm {plan.algorithm!r} is not {draw.ALGORITHM!r}, the one "
                        "this software implements")
        return result
    digest = draw.inputs_digest(inputs, kind=plan.kind)
    if digest != plan.inputs_digest:
        problems.append(f"inputs: their digest is now {digest}, the plan recorded "
                        f"{plan.inputs_digest}")
    if logged and logged.get("inputs_digest") != plan.inputs_digest:
        problems.append(f"inputs: the plan's digest {plan.inputs_digest} is not the one its "
                        f"audit entry recorded ({logged.get('inputs_digest')})")
    try:
        again = draw.draw(inputs)
    except draw.DrawError as exc:
        problems.append(f"the recorded inputs cannot be drawn: {exc}")
        return result
    result.selected = len(again)
    stored = {d.uscc: d for d in stored_selection(plan)}
    fresh = {d.uscc: d for d in again}
    differences = []
    for uscc in sorted(fresh.keys() - stored.keys()):
        differences.append(f"{uscc}: drawn again but not in the plan")
    for uscc in sorted(stored.keys() - fresh.keys()):
        differences.append(f"{uscc}: in the plan but not drawn again")
    for uscc in sorted(fresh.keys() & stored.keys()):
        a, b = stored[uscc], fresh[uscc]
        for name in ("jurisdiction", "grade", "rank", "inspectors"):
            if getattr(a, name) != getattr(b, name):
                differences.append(f"{uscc}: {name} is {_show(getattr(a, name))} in the plan, "
                                   f"{_show(getattr(b, name))} drawn again")
    problems.extend(differences[:limit])
    if len(differences) > limit:
        problems.append(f"... and {len(differences) - limit} more differences")
    again_digest = draw.selection_digest(again)
    recorded = [("the plan", plan.selection_digest)]
    if logged:
        recorded.append(("the draw's audit entry", logged.get("selection_digest")))
    for where, digest in recorded:
        if digest != again_digest:
            problems.append(f"selection: the digest recorded in {where} ({digest}) is not "
                            f"that of the selection drawn again ({again_digest})")
    return result


def _show(value: Any) -> str:
    return "/".join(value) if isinstance(value, tuple) else str(value)


# -- cancelling and closing -----------------------------------------------------------------


def results_entered(plan: InspectionPlan) -> int:
    return db.session.scalar(
        select(db.func.count()).select_from(PlanItem).where(
            PlanItem.plan_id == plan.id, PlanItem.result.is_not(None))) or 0


def cancel_plan(actor: Actor, plan: InspectionPlan, *, reason: str,
                version: int | None = None) -> None:
    """Cancel a plan with its reason; frees its period and jurisdictions for another plan.
    Refused once results are entered (close it instead)."""
    if not can_plan_inspections(actor, plan.jurisdictions):
        raise NotPermitted(f"you may not cancel plan {plan.id}")
    ensure_state(plan, PlanState.CREATED, PlanState.DRAWN, doing="cancel")
    check_version(plan, version)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a cancellation needs its reason")
    if entered := results_entered(plan):
        raise InvalidTransition(f"cannot cancel plan {plan.id}: {entered} result(s) are "
                                "already in the archive; close it instead")
    before = {"state": plan.state}
    plan.state = PlanState.CANCELLED.value
    plan.cancelled_at, plan.cancelled_by_id, plan.cancel_reason = clock.now(), actor.id, reason
    db.session.execute(update(PlanJurisdiction).where(PlanJurisdiction.plan_id == plan.id)
                       .values(live=False))
    flush(plan)
    audit.record("inspection_plan.cancel", "inspection_plan", plan.id, actor_id=actor.id,
                 before=before, after={"state": plan.state, "reason": reason,
                                       "seed": plan.seed,
                                       "selection_digest": plan.selection_digest})


def close_plan(actor: Actor, plan: InspectionPlan, *, note: str | None = None,
               version: int | None = None) -> None:
    """The bureau is done with a drawn plan: no more results are entered through it."""
    if not can_plan_inspections(actor, plan.jurisdictions):
        raise NotPermitted(f"you may not close plan {plan.id}")
    ensure_state(plan, PlanState.DRAWN, doing="close")
    check_version(plan, version)
    plan.state = PlanState.CLOSED.value
    plan.closed_at = clock.now()
    plan.closed_by_id = actor.id
    if note and note.strip():
        plan.note = ((plan.note + "\n") if plan.note else "") + note.strip()
    flush(plan)
    audit.record("inspection_plan.close", "inspection_plan", plan.id, actor_id=actor.id,
                 before={"state": PlanState.DRAWN.value},
                 after={"state": plan.state, "results": results_entered(plan),
                        "selected": plan.selected_count, "note": note})


# -- reading --------------------------------------------------------------------------------


def plans_for(actor: Actor, *, period: str | None = None, state: str | None = None,
              limit: int = 50, offset: int = 0) -> list[InspectionPlan]:
    """Plans touching the actor's jurisdiction, newest first."""
    if not can_view_plans(actor, DISTRICTS):
        return []
    query = select(InspectionPlan).order_by(InspectionPlan.id.desc())
    if actor.jurisdiction is not None:
        query = query.where(exists().where(
            PlanJurisdiction.plan_id == InspectionPlan.id,
            PlanJurisdiction.jurisdiction == actor.jurisdiction))
    if period:
        query = query.where(InspectionPlan.period == period)
    if state:
        query = query.where(InspectionPlan.state == state)
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def get_plan(actor: Actor, plan_id: int) -> InspectionPlan | None:
    """The plan if the actor may see it (``None`` otherwise, like a missing one)."""
    plan = db.session.get(InspectionPlan, plan_id)
    if plan is None or not can_view_plans(actor, plan.jurisdictions):
        return None
    return plan


def items_query(actor: Actor, plan: InspectionPlan, *, jurisdiction: str | None = None,
                pending: bool | None = None):
    """A select() of the plan's items in the actor's jurisdiction, in drawn order (by
    jurisdiction as the plan lists them, grade, then rank: the order of their ids)."""
    query = select(PlanItem).where(PlanItem.plan_id == plan.id)
    if not isinstance(actor, Operator):
        query = scope_to_jurisdiction(query, actor, PlanItem.jurisdiction)
    if jurisdiction:
        query = query.where(PlanItem.jurisdiction == jurisdiction)
    if pending is not None:
        query = query.where(PlanItem.result.is_(None) if pending
                            else PlanItem.result.is_not(None))
    return query.order_by(PlanItem.id)


def plan_items(actor: Actor, plan: InspectionPlan, *, jurisdiction: str | None = None,
               pending: bool | None = None, limit: int = 100,
               offset: int = 0) -> list[PlanItem]:
    """A page of the plan's items as the actor may see them."""
    if not can_view_plans(actor, plan.jurisdictions):
        return []
    return list(db.session.scalars(items_query(actor, plan, jurisdiction=jurisdiction,
                                               pending=pending).limit(limit).offset(offset)))


def selection_json(plan: InspectionPlan) -> dict:
    """The CLI contract: ``{"plan", "seed", "algorithm", "selected": [{"uscc", "grade",
    "inspectors"}]}`` plus the plan's period, kind and jurisdictions; selection in
    jurisdiction, grade and rank order."""
    order = {d: i for i, d in enumerate(DISTRICTS)}
    rows = db.session.execute(
        select(PlanItem.jurisdiction, PlanItem.grade, PlanItem.rank, PlanItem.uscc,
               PlanItem.inspectors).where(PlanItem.plan_id == plan.id)).all()
    rows.sort(key=lambda r: (order[r.jurisdiction], r.grade, r.rank))
    return {"plan": plan.id, "seed": plan.seed, "algorithm": plan.algorithm,
            "period": plan.period, "kind": plan.kind, "jurisdictions": plan.jurisdictions,
            "selected": [{"uscc": r.uscc, "grade": r.grade, "inspectors": list(r.inspectors)}
                         for r in rows]}


# -- results --------------------------------------------------------------------------------


CHECK_TYPES = tuple(t.value for t in CheckType)
RESULTS = ("pass", "fail")
SUBJECTS = ("product", "metrology")


@dataclass(frozen=True)
class Result:
    """A result as entered: what becomes the archive record."""

    check_type: str
    result: str
    checked_on: dt.date
    subject: str | None = None
    ref: str | None = None
    note: str | None = None


def result_problems(plan: InspectionPlan, item: PlanItem, result: Result,
                    today: dt.date, established_on: dt.date) -> list[tuple[str, str]]:
    """(field, problem) for everything wrong with a result for this item; empty when fine."""
    problems = []
    if result.check_type not in CHECK_TYPES:
        problems.append(("check_type", f"{result.check_type!r} is not one of "
                                       f"{', '.join(CHECK_TYPES)}"))
    if result.result not in RESULTS:
        problems.append(("result", f"{result.result!r} is not one of {', '.join(RESULTS)}"))
    if result.check_type == CheckType.SPOT_CHECK and result.subject not in SUBJECTS:
        problems.append(("subject", f"{result.subject!r} is not one of "
                                    f"{', '.join(SUBJECTS)} (needed for a spot check)"))
    if result.check_type == CheckType.INSPECTION and result.subject is not None:
        problems.append(("subject", "an inspection has no subject"))
    start = parse_period(plan.period)
    if result.checked_on > today:
        problems.append(("checked_on", f"{result.checked_on} is in the future"))
    elif result.checked_on < start:
        problems.append(("checked_on", f"{result.checked_on} is before the plan's period "
                                       f"{plan.period}"))
    elif result.checked_on < established_on:
        problems.append(("checked_on", f"{result.checked_on} is before the enterprise was "
                                       f"established ({established_on})"))
    if result.ref is not None and not 1 <= len(result.ref) <= 100:
        problems.append(("ref", "must be 1 to 100 characters"))
    if result.note is not None and len(result.note) > 1000:
        problems.append(("note", f"must be at most 1000 characters, got {len(result.note)}"))
    if item.result is not None:
        problems.append(("result", f"already entered for {item.uscc} on "
                                   f"{item.checked_on} ({item.result})"))
    return problems


def default_ref(plan: InspectionPlan, item: PlanItem) -> str:
    """The record's ref when the result names no document number: unique per item."""
    return f"SJ-{plan.period}-{plan.id}-{item.id}"


def record_data(plan: InspectionPlan, item: PlanItem, result: Result) -> dict:
    """The exchange-format record a result becomes."""
    data = {"type": result.check_type, "ref": result.ref or default_ref(plan, item),
            "date": result.checked_on.isoformat(), "result": result.result}
    if result.check_type == CheckType.SPOT_CHECK:
        data["subject"] = result.subject
    note = f"双随机抽查计划 {plan.id}（{plan.period}）"
    data["note"] = f"{note}：{result.note}" if result.note else note
    return data


def record_result(actor: Actor, item: PlanItem, result: Result) -> Record:
    """Enter one item's result: it becomes an ``inspection`` or ``spot_check`` record in the
    archive (through the archive service, so the enterprise is regraded) and is kept on the
    item."""
    plan = item.plan
    enterprise = item.enterprise
    if not can_enter_inspection_result(actor, enterprise):
        raise NotPermitted(f"you may not enter results for {item.uscc}")
    ensure_state(plan, PlanState.DRAWN, doing="enter results")
    problems = result_problems(plan, item, result, clock.today(), enterprise.established_on)
    if problems:
        raise InvalidInput("; ".join(f"{f}: {m}" for f, m in problems))
    data = record_data(plan, item, result)
    record = _add_record(actor, enterprise, data, source=f"plan:{plan.id}")
    item.check_type, item.subject, item.result = result.check_type, result.subject, result.result
    item.checked_on, item.ref, item.note = result.checked_on, data["ref"], result.note
    item.record_id, item.entered_by_id, item.entered_at = record.id, actor.id, clock.now()
    db.session.flush()
    audit.record("inspection_plan.result", "inspection_plan_item", item.id, actor_id=actor.id,
                 after={"plan": plan.id, "enterprise": item.uscc, "record": record.id,
                        **{k: v for k, v in data.items() if k != "note"}})
    return record


def _add_record(actor: Actor, enterprise: Enterprise, data: dict, *, source: str) -> Record:
    """The archive service adds the record (checking ``can_record`` itself, validating,
    auditing, regrading); the record then names the plan as its provenance."""
    from credit.services.archive import add_record

    record = add_record(actor, enterprise, data)
    record.source = source
    db.session.flush()
    return record
