"""Yellow-card warnings (黄牌警告) to C enterprises, their follow-up, and the stored risk scores
that rank the candidates (credit/services/risk.py explains the score)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.extensions import db
from credit.models.listings import Versioned


class WarningState(enum.StrEnum):
    ISSUED = "issued"  # served; rectification due by the deadline
    RECTIFIED = "rectified"  # follow-up found it rectified
    UNRECTIFIED = "unrectified"  # follow-up found it not rectified (further measures)
    WITHDRAWN = "withdrawn"  # issued in error or superseded


WARNING_CLOSED = (WarningState.RECTIFIED, WarningState.UNRECTIFIED, WarningState.WITHDRAWN)


class WarningNotice(Versioned, db.Model):
    __tablename__ = "warning_notices"
    __table_args__ = (
        CheckConstraint(
            "state IN (" + ", ".join(repr(s.value) for s in WarningState) + ")", name="state"
        ),
        CheckConstraint("deadline > issued_on", name="deadline_after_issue"),
        CheckConstraint(
            "state = 'issued' OR (closed_on IS NOT NULL AND closed_by_id IS NOT NULL"
            " AND outcome_note IS NOT NULL)",
            name="closed",
        ),
        # At most one open warning per enterprise.
        Index("uq_warning_notices_open", "enterprise_id", unique=True,
              sqlite_where=text("state = 'issued'"), postgresql_where=text("state = 'issued'")),
        Index("ix_warning_notices_enterprise", "enterprise_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 文书编号
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), index=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)  # last day to rectify
    # Copied from the grade when issued: [{"code": "C2", "refs": [...]}], the records' facts
    # [{"type", "date", "ref"}] and the risk score of that day.
    reasons: Mapped[list] = mapped_column(JSON)
    records: Mapped[list] = mapped_column(JSON)
    risk_score: Mapped[float] = mapped_column(Float)
    expectations: Mapped[str] = mapped_column(Text)  # 整改要求
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome_note: Mapped[str | None] = mapped_column(Text)

    enterprise = relationship("Enterprise")
    follow_ups = relationship("WarningFollowUp", order_by="WarningFollowUp.id",
                              cascade="all, delete-orphan", back_populates="warning")

    def __repr__(self) -> str:
        return f"<WarningNotice {self.number} {self.state}>"


class WarningFollowUp(db.Model):
    """A visit, call or document during the rectification period (跟踪检查)."""

    __tablename__ = "warning_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(
        ForeignKey("warning_notices.id", ondelete="CASCADE"), index=True
    )
    done_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    warning = relationship("WarningNotice", back_populates="follow_ups")


class RiskScore(db.Model):
    """The risk of one C enterprise, kept in a form whose order never goes stale.

    ``event_weight`` is the sum of w * 2**((record date - EPOCH) / HALF_LIFE) over the event
    records behind its C reasons, ``state_weight`` the sum of w over its state records in
    force. The score on a day T is event_weight * 2**(-(T - EPOCH) / HALF_LIFE) + state_weight,
    so rows computed on different days compare correctly on any later day.
    """

    __tablename__ = "risk_scores"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    event_weight: Mapped[float] = mapped_column(Float)
    state_weight: Mapped[float] = mapped_column(Float)
    codes: Mapped[list] = mapped_column(JSON)  # the C reason codes
    records: Mapped[int] = mapped_column(Integer)  # how many records are behind them
    latest_on: Mapped[dt.date | None] = mapped_column(Date)  # the newest of those records
    computed_on: Mapped[dt.date] = mapped_column(Date)
