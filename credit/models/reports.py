"""Social supervision (举报): reports from the public about a suspected quality problem.

A report names an enterprise as the reporter typed it; when that identifies one enterprise the
report is tied to it and carries its district, so that the jurisdiction's staff see it. The
reporter's contact details are for staff only and are never shown on the public site.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.extensions import db
from credit.models.listings import Versioned, _one_of, _requires
from credit.vocabulary import DISTRICTS


class ReportState(enum.StrEnum):
    NEW = "new"
    HANDLED = "handled"


class ReportCategory(enum.StrEnum):
    """What kind of problem the reporter suspects."""

    QUALITY = "quality"  # 产品质量不合格
    COUNTERFEIT = "counterfeit"  # 假冒伪劣
    SHORT_WEIGHT = "short_weight"  # 缺斤短两、计量问题
    STANDARD = "standard"  # 降低标准、无标生产
    FALSE_CLAIM = "false_claim"  # 虚假宣传
    AFTER_SALES = "after_sales"  # 售后服务
    OTHER = "other"


class Report(Versioned, db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(_one_of("state", ReportState), name="state"),
        CheckConstraint(_one_of("category", ReportCategory), name="category"),
        CheckConstraint(
            "district IS NULL OR district IN (" + ", ".join(repr(d) for d in DISTRICTS) + ")",
            name="district",
        ),
        CheckConstraint(
            _requires((ReportState.HANDLED,),
                      "handled_at IS NOT NULL AND handled_by_id IS NOT NULL"
                      " AND handled_note IS NOT NULL"),
            name="handled",
        ),
        Index("ix_reports_district_state", "district", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(24), unique=True)
    state: Mapped[str] = mapped_column(String(10))
    # As the reporter typed it (a USCC or a name), and the enterprise it identified, if any.
    enterprise_text: Mapped[str] = mapped_column(String(200))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), index=True
    )
    district: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)
    # Optional; for staff only (to ask for details or report back), never shown publicly.
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(120))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_note: Mapped[str | None] = mapped_column(Text)

    enterprise = relationship("Enterprise")

    def __repr__(self) -> str:
        return f"<Report {self.receipt} {self.state}>"
