"""Enterprises: the registration facts of the quality archive (质量档案)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, attributes, mapped_column, relationship, validates

from credit.extensions import db
from credit.names import pinyin_columns, search_document
from credit.vocabulary import DISTRICTS, NAME_MAX, QUALIFICATIONS


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Enterprise(db.Model):
    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint("length(uscc) = 18", name="uscc_length"),
        CheckConstraint(f"length(name) BETWEEN 1 AND {NAME_MAX}", name="name_length"),
        CheckConstraint(_in("district", DISTRICTS), name="district"),
        CheckConstraint(_in("qualification", QUALIFICATIONS), name="qualification"),
        # Staff lists (admin): by name (names and their order cluster by place, so a
        # jurisdiction needs its own), and the industry filter.
        Index("ix_enterprises_name", "name"),
        Index("ix_enterprises_district_name", "district", "name"),
        # The industry division filter (credit.services.staff_search.division_of).
        Index("ix_enterprises_division", func.substr(text("industry"), 1, 3), "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    district: Mapped[str] = mapped_column(String(16), index=True)
    established_on: Mapped[dt.date] = mapped_column(Date)
    qualification: Mapped[str] = mapped_column(String(8), default="valid")
    industry: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Provenance: the user who registered the enterprise (None: the CLI or the system). A
    # cycle with users.enterprise_id, so the constraint is added after both tables exist.
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )
    # Written with the name, never on their own (credit.names.pinyin_columns; Core writes must
    # give them too, as the importer does): what search matches Latin-letter queries against.
    name_pinyin: Mapped[str] = mapped_column(Text)
    name_initials: Mapped[str] = mapped_column(Text)
    # The public search's full-text terms (credit.names.search_document): an FTS5 document on
    # SQLite (the table enterprise_search follows it by triggers), a tsvector on PostgreSQL
    # (GIN index). Written with the name or the district by the events below; Core writes must
    # give it too, as the importer does. docs/search.md.
    search_terms: Mapped[str | None] = mapped_column(
        Text().with_variant(TSVECTOR(), "postgresql"), deferred=True)

    records = relationship(
        "Record", back_populates="enterprise", cascade="all, delete-orphan",
        order_by="(Record.date, Record.type, Record.ref)", lazy="select",
    )

    @validates("name")
    def _read_name(self, _key: str, name: str) -> str:
        if isinstance(name, str):
            for column, value in pinyin_columns(name).items():
                setattr(self, column, value)
        return name

    def __repr__(self) -> str:
        return f"<Enterprise {self.uscc} {self.name}>"


def _write_search_terms(connection, target: Enterprise, always: bool) -> None:
    if not always and not any(attributes.get_history(target, key).has_changes()
                              for key in ("name", "district")):
        return
    target.search_terms = search_document(target.name, target.name_pinyin,
                                          target.name_initials, target.district,
                                          connection.dialect.name)


@event.listens_for(Enterprise, "before_insert")
def _search_terms_on_insert(_mapper, connection, target: Enterprise) -> None:
    _write_search_terms(connection, target, always=True)


@event.listens_for(Enterprise, "before_update")
def _search_terms_on_update(_mapper, connection, target: Enterprise) -> None:
    _write_search_terms(connection, target, always=False)
