"""The append-only audit log, chained by keyed hashes so that tampering is detectable
(``credit.services.audit`` writes and verifies it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from credit.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id"),
        # The audit viewer's filters, newest first.
        Index("ix_audit_entries_actor", "actor", "id"),
        Index("ix_audit_entries_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(120))  # username, or "cli" / "system"
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 under the audit key (kept outside the database) of the content and prev_hash.
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Which key sealed the entry (a fingerprint, not the key): names a misconfigured machine.
    key_id: Mapped[str | None] = mapped_column(String(16))
