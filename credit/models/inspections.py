"""Random inspection plans (双随机) and the pool of enforcement staff (执法检查人员名录库).

A plan fixes its seed, ratios and team size when it is created; drawing freezes its inputs
(the eligible enterprises of each jurisdiction and grade, the inspector pools, the teams that
inspected each drawn enterprise last time) and stores the selection. Anyone can repeat the draw
from the frozen inputs (credit/services/draw.py) and must get the same selection.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.extensions import db
from credit.models.listings import Versioned
from credit.vocabulary import DISTRICTS

_DISTRICT_LIST = ", ".join(repr(d) for d in DISTRICTS)
_GRADE_CHECK = "IN ('A', 'B', 'C', 'D')"


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class PlanKind(enum.StrEnum):
    ROUTINE = "routine"  # 日常监督检查: every grade at its ratio
    LICENCE_REVIEW = "licence_review"  # 许可证年度监督检查: permit holders; A exempt on site


class PlanState(enum.StrEnum):
    CREATED = "created"  # seed, ratios and team size fixed; nothing drawn yet
    DRAWN = "drawn"  # inputs frozen, selection stored; results may be entered
    CLOSED = "closed"  # the bureau finished with it
    CANCELLED = "cancelled"  # with a reason; frees its period and jurisdictions


class SeedSource(enum.StrEnum):
    GENERATED = "generated"  # 128 random bits from the operating system
    GIVEN = "given"  # typed by the person who created the plan (e.g. a public lottery number)


class CheckType(enum.StrEnum):
    """What a plan item's result becomes in the archive."""

    INSPECTION = "inspection"  # 监督检查
    SPOT_CHECK = "spot_check"  # 监督抽查


class Inspector(db.Model):
    """A member of a jurisdiction's enforcement staff, who may be drawn for on-site checks."""

    __tablename__ = "inspectors"
    __table_args__ = (
        CheckConstraint(f"jurisdiction IN ({_DISTRICT_LIST})", name="jurisdiction"),
        CheckConstraint("length(badge_no) BETWEEN 1 AND 40", name="badge_length"),
        CheckConstraint("length(name) BETWEEN 1 AND 100", name="name_length"),
        Index("ix_inspectors_jurisdiction_active", "jurisdiction", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_no: Mapped[str] = mapped_column(String(40), unique=True)  # 执法证号
    name: Mapped[str] = mapped_column(String(100))
    jurisdiction: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(200))  # 所在单位/科室
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )

    def __repr__(self) -> str:
        return f"<Inspector {self.badge_no} {self.name}>"


class InspectionPlan(Versioned, db.Model):
    __tablename__ = "inspection_plans"
    __table_args__ = (
        CheckConstraint(_one_of("kind", PlanKind), name="kind"),
        CheckConstraint(_one_of("state", PlanState), name="state"),
        CheckConstraint(_one_of("seed_source", SeedSource), name="seed_source"),
        CheckConstraint("length(period) = 7", name="period"),
        CheckConstraint("team_size >= 2", name="team_size"),
        CheckConstraint(
            "state NOT IN ('drawn', 'closed') OR (drawn_at IS NOT NULL AND inputs_digest IS "
            "NOT NULL AND selection_digest IS NOT NULL AND selected_count IS NOT NULL)",
            name="drawn",
        ),
        CheckConstraint("state <> 'closed' OR closed_at IS NOT NULL", name="closed"),
        CheckConstraint(
            "state <> 'cancelled' OR (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL)",
            name="cancelled",
        ),
        Index("ix_inspection_plans_period", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    jurisdictions: Mapped[list] = mapped_column(JSON)  # sorted in DISTRICTS order
    state: Mapped[str] = mapped_column(String(12))
    # Fixed at creation, before anything is frozen or drawn.
    seed: Mapped[str] = mapped_column(String(100))
    seed_source: Mapped[str] = mapped_column(String(12))
    algorithm: Mapped[str] = mapped_column(String(40))
    ratios: Mapped[dict] = mapped_column(JSON)  # {"A": "0.05", ...}: exact decimals as text
    team_size: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Frozen by the draw.
    pools: Mapped[dict | None] = mapped_column(JSON)  # {jurisdiction: [badge_no, ...]}
    inputs_digest: Mapped[str | None] = mapped_column(String(64))
    selection_digest: Mapped[str | None] = mapped_column(String(64))
    eligible_count: Mapped[int | None] = mapped_column(Integer)
    selected_count: Mapped[int | None] = mapped_column(Integer)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    strata = relationship("PlanStratum", order_by="PlanStratum.id", lazy="select",
                          cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<InspectionPlan {self.id} {self.period} {self.state}>"


class PlanJurisdiction(db.Model):
    """Claims a (period, kind, jurisdiction) for one live plan: a second is refused by the
    database until the first is cancelled."""

    __tablename__ = "inspection_plan_jurisdictions"
    __table_args__ = (
        CheckConstraint(f"jurisdiction IN ({_DISTRICT_LIST})", name="jurisdiction"),
        Index("uq_inspection_plan_jurisdictions_live", "period", "kind", "jurisdiction",
              unique=True, sqlite_where=text("live"), postgresql_where=text("live")),
    )

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_plans.id", ondelete="CASCADE"), primary_key=True
    )
    jurisdiction: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(20))
    live: Mapped[bool] = mapped_column(Boolean)

    plan = relationship("InspectionPlan")


class PlanStratum(db.Model):
    """The frozen eligible list of one jurisdiction and grade: its USCCs in ascending order,
    one per line, zlib-compressed; ``digest`` is the SHA-256 of the uncompressed text."""

    __tablename__ = "inspection_plan_strata"
    __table_args__ = (
        UniqueConstraint("plan_id", "jurisdiction", "grade"),
        CheckConstraint(f"grade {_GRADE_CHECK}", name="grade"),
        CheckConstraint("selected >= 0 AND selected <= eligible", name="selected"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id", ondelete="CASCADE"))
    jurisdiction: Mapped[str] = mapped_column(String(16))
    grade: Mapped[str] = mapped_column(String(1))
    ratio: Mapped[str] = mapped_column(String(12))
    eligible: Mapped[int] = mapped_column(Integer)
    selected: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    usccs: Mapped[bytes] = mapped_column(LargeBinary)


class PlanItem(db.Model):
    """One drawn enterprise with its inspectors, and the result when it is entered."""

    __tablename__ = "inspection_plan_items"
    __table_args__ = (
        UniqueConstraint("plan_id", "enterprise_id"),
        CheckConstraint(f"grade {_GRADE_CHECK}", name="grade"),
        CheckConstraint("check_type IS NULL OR " + _one_of("check_type", CheckType),
                        name="check_type"),
        CheckConstraint("result IS NULL OR result IN ('pass', 'fail')", name="result"),
        CheckConstraint(
            "(result IS NULL) = (checked_on IS NULL) AND (result IS NULL) = (check_type IS NULL)"
            " AND (result IS NULL) = (entered_at IS NULL)",
            name="result_complete",
        ),
        CheckConstraint(
            "(check_type = 'spot_check') = (subject IS NOT NULL)"
            " OR (check_type IS NULL AND subject IS NULL)",
            name="subject",
        ),
        # A plan's items in drawn order, a page at a time (keyset on id): a range scan that
        # stops at the page's end, even before the planner has statistics of a fresh plan.
        Index("ix_inspection_plan_items_plan_id", "plan_id", "id"),
        Index("ix_inspection_plan_items_enterprise", "enterprise_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    uscc: Mapped[str] = mapped_column(String(18))
    jurisdiction: Mapped[str] = mapped_column(String(16))
    grade: Mapped[str] = mapped_column(String(1))  # at the draw
    rank: Mapped[int] = mapped_column(Integer)  # 1 = drawn first within its stratum
    inspectors: Mapped[list] = mapped_column(JSON)  # badge numbers, in drawn order
    previous: Mapped[list] = mapped_column(JSON)  # the team of its last plan (an input)
    # The result, entered after the visit.
    check_type: Mapped[str | None] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(16))  # spot_check: product | metrology
    result: Mapped[str | None] = mapped_column(String(8))
    checked_on: Mapped[dt.date | None] = mapped_column(Date)
    ref: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(1000))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    plan = relationship("InspectionPlan")
    enterprise = relationship("Enterprise")

    def __repr__(self) -> str:
        return f"<PlanItem {self.plan_id}/{self.id} {self.uscc}>"
