"""Stored grades: each enterprise's current grade with its reasons, and the history of changes."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.extensions import db

GRADES = ("A", "B", "C", "D")
_GRADE_CHECK = "IN ('A', 'B', 'C', 'D')"


class GradeTrigger(enum.StrEnum):
    """What made a grade be computed again."""

    RECORD_ADDED = "record_added"
    RECORD_CHANGED = "record_changed"
    RECORD_REMOVED = "record_removed"
    ENTERPRISE_ADDED = "enterprise_added"
    ENTERPRISE_CHANGED = "enterprise_changed"
    IMPORT = "import"
    TIME_PASSED = "time_passed"  # a window, deadline or validity ended
    YEAR_ROLLOVER = "year_rollover"
    MANUAL_REGRADE = "manual_regrade"


class Grade(db.Model):
    """The current grade of one enterprise (one row per enterprise)."""

    __tablename__ = "grades"
    __table_args__ = (CheckConstraint(f"grade {_GRADE_CHECK}", name="grade"),)

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    grade: Mapped[str] = mapped_column(String(1), index=True)
    # [{"code": "C2", "refs": ["..."]}]: the rules that hold; "unmet": A conditions a B misses.
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    unmet: Mapped[list] = mapped_column(JSON, default=list)
    rulebook: Mapped[str] = mapped_column(String(40))
    since: Mapped[dt.date] = mapped_column(Date)  # the date this grade began to hold
    computed_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )

    enterprise = relationship("Enterprise", backref="grade_row", uselist=False)

    @property
    def codes(self) -> list[str]:
        return [r["code"] for r in self.reasons]


class GradeChange(db.Model):
    """One change of an enterprise's grade (or of the reasons for it)."""

    __tablename__ = "grade_changes"
    __table_args__ = (
        CheckConstraint(f"new_grade {_GRADE_CHECK}", name="new_grade"),
        CheckConstraint(f"old_grade IS NULL OR old_grade {_GRADE_CHECK}", name="old_grade"),
        CheckConstraint(
            "cause IN (" + ", ".join(f"'{t.value}'" for t in GradeTrigger) + ")",
            name="cause",
        ),
        Index("ix_grade_changes_enterprise_changed", "enterprise_id", "changed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    changed_on: Mapped[dt.date] = mapped_column(Date)
    old_grade: Mapped[str | None] = mapped_column(String(1))
    new_grade: Mapped[str] = mapped_column(String(1))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    rulebook: Mapped[str] = mapped_column(String(40))
    cause: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    enterprise = relationship("Enterprise")
