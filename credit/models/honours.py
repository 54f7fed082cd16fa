"""The register of honours (名牌产品, 质量奖 ...) and what was done about them when the holder's
grade fell (policy 四(三): suspended or revoked for C, 四(四) D)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.extensions import db
from credit.models.listings import Versioned


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class HonourKind(enum.StrEnum):
    FAMOUS_BRAND = "famous_brand"  # 名牌产品
    QUALITY_AWARD = "quality_award"  # 质量奖
    INSPECTION_EXEMPTION = "inspection_exemption"  # 免检产品
    SUPPORT_POLICY = "support_policy"  # 扶优扶强政策
    OTHER = "other"


class HonourState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # 暂停: may be reinstated
    REVOKED = "revoked"  # 撤销: final
    REMOVED = "removed"  # entered in error


class HonourFlag(enum.StrEnum):
    """What the bureau is asked to consider after a grade change (set by the system)."""

    SUSPEND = "suspend"  # the holder became C
    REVOKE = "revoke"  # the holder became D
    REINSTATE = "reinstate"  # a suspended honour's holder is back to A or B


class HonourAction(enum.StrEnum):
    FLAG = "flag"
    UNFLAG = "unflag"  # the grade recovered before anyone acted
    SUSPEND = "suspend"
    REVOKE = "revoke"
    REINSTATE = "reinstate"
    KEEP = "keep"  # considered, left as it is (with reasons)
    REGISTER = "register"
    EDIT = "edit"
    REMOVE = "remove"


class Honour(Versioned, db.Model):
    __tablename__ = "honours"
    __table_args__ = (
        CheckConstraint(_one_of("kind", HonourKind), name="kind"),
        CheckConstraint(_one_of("state", HonourState), name="state"),
        CheckConstraint("flag IS NULL OR " + _one_of("flag", HonourFlag), name="flag"),
        CheckConstraint("(flag IS NULL) = (flagged_on IS NULL)", name="flagged_on"),
        CheckConstraint("expires_on IS NULL OR expires_on > awarded_on", name="expiry"),
        CheckConstraint("length(title) BETWEEN 1 AND 200", name="title_length"),
        Index("ix_honours_enterprise_state", "enterprise_id", "state"),
        Index("ix_honours_flag", "flag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))  # e.g. 黑龙江省名牌产品：实木复合地板
    awarded_by: Mapped[str] = mapped_column(String(200))  # 授予机关
    awarded_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(12))
    flag: Mapped[str | None] = mapped_column(String(12))
    flagged_on: Mapped[dt.date | None] = mapped_column(Date)
    flagged_grade: Mapped[str | None] = mapped_column(String(1))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )

    enterprise = relationship("Enterprise")
    actions = relationship("HonourActionEntry", order_by="HonourActionEntry.id",
                           cascade="all, delete-orphan", back_populates="honour")

    def __repr__(self) -> str:
        return f"<Honour {self.id} {self.kind} {self.state}>"


class HonourActionEntry(db.Model):
    """The honour's own history: flags set by grade changes and the bureau's decisions."""

    __tablename__ = "honour_actions"
    __table_args__ = (CheckConstraint(_one_of("action", HonourAction), name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    honour_id: Mapped[int] = mapped_column(ForeignKey("honours.id", ondelete="CASCADE"),
                                           index=True)
    action: Mapped[str] = mapped_column(String(12))
    done_on: Mapped[dt.date] = mapped_column(Date)
    grade: Mapped[str | None] = mapped_column(String(1))  # the holder's grade at that moment
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    honour = relationship("Honour", back_populates="actions")
