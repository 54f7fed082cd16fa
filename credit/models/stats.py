"""Dashboard figures kept as small summary tables, refreshed from the grades now and then.

Counting a million grades on every page view would cost about a second; these tables hold a
few hundred rows per jurisdiction and are read with the user's jurisdiction in the query.
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from credit.extensions import db


class GradeStat(db.Model):
    """How many enterprises of one jurisdiction and industry division hold one grade."""

    __tablename__ = "grade_stats"
    __table_args__ = (Index("ix_grade_stats_district", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(String(16))
    division: Mapped[str] = mapped_column(String(3))  # "C13"; "" when the industry is unknown
    grade: Mapped[str] = mapped_column(String(1))
    n: Mapped[int] = mapped_column(Integer)


class MovementStat(db.Model):
    """How many grades of one jurisdiction moved from one letter to another in one month."""

    __tablename__ = "movement_stats"
    __table_args__ = (Index("ix_movement_stats_district", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-10"
    district: Mapped[str] = mapped_column(String(16))
    old_grade: Mapped[str] = mapped_column(String(1))
    new_grade: Mapped[str] = mapped_column(String(1))
    n: Mapped[int] = mapped_column(Integer)
