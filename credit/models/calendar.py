"""The working-day calendar (工作日历): per year, the days that differ from Monday-Friday and
whether the bureau has confirmed the year's arrangement. Seeded from the libraries
(``credit.calendar_rules``), corrected by the city administrator (``credit.services.calendar``).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from credit.extensions import db


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a day off (a statutory holiday, or a weekday moved into one)
    WORKDAY = "workday"  # a weekend day worked (调休上班)


MANUAL = "manual"
"""The ``source`` of a day the city administrator set."""


class CalendarYear(db.Model):
    """One year's arrangement: where its days came from and whether it is confirmed."""

    __tablename__ = "calendar_years"
    __table_args__ = (
        CheckConstraint("year BETWEEN 1950 AND 2200", name="year"),
        CheckConstraint("NOT confirmed OR (confirmed_at IS NOT NULL AND confirmed_by IS NOT NULL)",
                        name="confirmed"),
    )

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    confirmed: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(80))  # the library seeded from, or "manual"
    seeded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(80))  # username, cli:..., or seed
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The last change by a person: seeding never overwrites a year someone has edited.
    edited_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    edited_by: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<CalendarYear {self.year} {'confirmed' if self.confirmed else 'unconfirmed'}>"


class CalendarDay(db.Model):
    """A day that is not what Monday-Friday would make it: off on a weekday, or a weekend day
    worked. A statutory holiday on a weekend may be stored too (it names the day)."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("calendar_years.year", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200), default="")  # the festival, or a note
    source: Mapped[str] = mapped_column(String(80))  # the library seeded from, or "manual"
    set_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    set_by: Mapped[str | None] = mapped_column(String(80))

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day} {self.kind}>"
