"""Archive records: dated events and states of an enterprise, with their provenance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from credit.extensions import db
from credit.vocabulary import DETAIL_FIELDS, RECORD_KINDS, RECORD_TYPES


def _fields_match_type() -> str:
    """SQL that holds when a row's detail columns are exactly those its type allows."""
    clauses = []
    for kind in RECORD_KINDS.values():
        parts = [f"type = '{kind.name}'"]
        own = set()
        for spec in kind.fields:
            own.add(spec.name)
            if spec.required:
                parts.append(f"{spec.name} IS NOT NULL")
            if spec.kind == "enum":
                allowed = ", ".join(f"'{v}'" for v in spec.values)
                parts.append(f"{spec.name} IN ({allowed})")
            elif spec.kind == "rate":
                parts.append(f"{spec.name} >= 0 AND {spec.name} <= 1")
        parts += [f"{name} IS NULL" for name in DETAIL_FIELDS if name not in own]
        if not kind.state:
            parts.append("resolved_on IS NULL")
        if kind.name == "permit":
            parts.append("(status <> 'rectifying' OR deadline IS NOT NULL)")
        clauses.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(clauses)


class Record(db.Model):
    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "type", "ref"),
        CheckConstraint(
            "type IN (" + ", ".join(f"'{t}'" for t in RECORD_TYPES) + ")", name="type"
        ),
        CheckConstraint(_fields_match_type(), name="fields_match_type"),
        CheckConstraint("length(ref) BETWEEN 1 AND 100", name="ref_length"),
        CheckConstraint("resolved_on IS NULL OR resolved_on >= date", name="resolved_after_date"),
        Index("ix_records_enterprise_date", "enterprise_id", "date"),
        Index("ix_records_type_id", "type", "id"),  # the staff list's type filter, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(100))
    date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(1000))

    subject: Mapped[str | None] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(16))
    severity: Mapped[str | None] = mapped_column(String(16))
    harm: Mapped[str | None] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    finding: Mapped[str | None] = mapped_column(String(16))
    rate: Mapped[float | None] = mapped_column(Float)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)

    # Provenance: who put the record into the archive, through which channel, and when.
    source: Mapped[str] = mapped_column(String(200), default="staff")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )

    enterprise = relationship("Enterprise", back_populates="records")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    @property
    def kind(self):
        return RECORD_KINDS[self.type]

    def __repr__(self) -> str:
        return f"<Record {self.type} {self.ref} {self.date}>"
