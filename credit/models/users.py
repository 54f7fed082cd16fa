"""User accounts: bureau staff with a role and a jurisdiction, and enterprise accounts."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from credit.extensions import db
from credit.vocabulary import DISTRICTS


class Role(enum.StrEnum):
    CITY_ADMIN = "city_admin"
    RECORDER = "recorder"
    REVIEWER = "reviewer"
    PUBLISHER = "publisher"
    EVALUATOR = "evaluator"
    INSPECTOR = "inspector"
    AUDITOR = "auditor"
    ENTERPRISE = "enterprise"


STAFF_ROLES = tuple(r for r in Role if r is not Role.ENTERPRISE)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN (" + ", ".join(f"'{r.value}'" for r in Role) + ")", name="role"
        ),
        CheckConstraint(
            "jurisdiction IS NULL OR jurisdiction IN ("
            + ", ".join(f"'{d}'" for d in DISTRICTS) + ")",
            name="jurisdiction",
        ),
        # An enterprise account is bound to exactly one enterprise; staff accounts to none.
        CheckConstraint(
            "(role = 'enterprise') = (enterprise_id IS NOT NULL)", name="enterprise_binding"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # NULL: the whole city (all 11 jurisdictions).
    jurisdiction: Mapped[str | None] = mapped_column(String(16))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), unique=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    enterprise = relationship("Enterprise", foreign_keys=[enterprise_id])

    def get_id(self) -> str:
        """The session's id: the account and a seal of its current password, so that a new
        password (a reset, or the user's own change) signs out every other session."""
        seal = hmac.new(current_app.config["SECRET_KEY"].encode(), self.password_hash.encode(),
                        hashlib.sha256).hexdigest()[:20]
        return f"{self.id}.{seal}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # used by Flask-Login
        return bool(self.active)

    @property
    def is_staff(self) -> bool:
        return self.role != Role.ENTERPRISE

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
