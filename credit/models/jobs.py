"""When the daily jobs last ran, so that a run can tell a year rollover from an ordinary day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from credit.extensions import db


class JobRun(db.Model):
    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_as_of: Mapped[dt.date] = mapped_column(Date)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime)
