"""The disclosure workflows' tables: A applications, D cases, credit repair, public listings.

States are enum values stored as strings; CHECK constraints tie each state to the fields it
requires, so that no code path (or hand-written SQL) can leave a half-made transition behind.
Rows that people act on carry a ``version`` column (optimistic locking): two people acting on
one row at once cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from credit.extensions import db


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _states(*states: enum.StrEnum) -> str:
    return "state IN (" + ", ".join(repr(s.value) for s in states) + ")"


def _requires(states: tuple[enum.StrEnum, ...], condition: str) -> str:
    """SQL: rows in any of ``states`` satisfy ``condition``."""
    return f"NOT ({_states(*states)}) OR ({condition})"


class ListingKind(enum.StrEnum):
    A = "A"  # 守信企业公示
    D = "D"  # 严重失信名单


class RemovalReason(enum.StrEnum):
    EXPIRED = "expired"
    WITHDRAWN_CONSENT = "withdrawn_consent"
    GRADE_FELL = "grade_fell"
    REPAIRED = "repaired"
    PUBLISHER_DECISION = "publisher_decision"


class ChangeKind(enum.StrEnum):
    PUBLISHED = "published"
    REMOVED = "removed"


class ConsentKind(enum.StrEnum):
    CONSENT = "consent"
    WITHDRAWAL = "withdrawal"


class APubState(enum.StrEnum):
    """An A publication application. Applying lands in inspection_pending or evaluating."""

    INSPECTION_PENDING = "inspection_pending"
    EVALUATING = "evaluating"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


APUB_OPEN = (APubState.INSPECTION_PENDING, APubState.EVALUATING, APubState.APPROVED)
APUB_ACTIVE = (*APUB_OPEN, APubState.PUBLISHED)


class DCaseState(enum.StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    NOTIFIED = "notified"
    ANSWERED = "answered"
    ANSWER_CLOSED = "answer_closed"
    PUBLISHED = "published"
    NOT_PUBLISHED = "not_published"


DCASE_OPEN = (DCaseState.PROPOSED, DCaseState.CONFIRMED, DCaseState.NOTIFIED,
              DCaseState.ANSWERED, DCaseState.ANSWER_CLOSED)
_REVIEWED = (DCaseState.CONFIRMED, DCaseState.DISMISSED, DCaseState.NOTIFIED,
             DCaseState.ANSWERED, DCaseState.ANSWER_CLOSED, DCaseState.PUBLISHED,
             DCaseState.NOT_PUBLISHED)
_NOTIFIED = (DCaseState.NOTIFIED, DCaseState.ANSWERED, DCaseState.ANSWER_CLOSED,
             DCaseState.PUBLISHED, DCaseState.NOT_PUBLISHED)
_DECIDED = (DCaseState.PUBLISHED, DCaseState.NOT_PUBLISHED)


class RepairState(enum.StrEnum):
    APPLIED = "applied"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    APPROVED = "approved"
    REJECTED = "rejected"
    ENDED = "ended"  # its listing ended first (expired or removed): nothing left to repair


REPAIR_OPEN = (RepairState.APPLIED, RepairState.ACCEPTED)


class Versioned:
    """Optimistic locking: every UPDATE checks and bumps ``version``, so of two people acting
    on the same row at once only the first succeeds (the other gets StaleDataError)."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    version: Mapped[int] = mapped_column(Integer)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


class Edited:
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )


class APublicationApplication(Versioned, Edited, db.Model):
    __tablename__ = "a_publication_applications"
    __table_args__ = (
        CheckConstraint(_one_of("state", APubState), name="state"),
        CheckConstraint(
            _requires((APubState.EVALUATING, APubState.APPROVED, APubState.REJECTED,
                       APubState.PUBLISHED, APubState.EXPIRED),
                      "NOT needs_inspection OR inspector_id IS NOT NULL"),
            name="inspected",
        ),
        CheckConstraint(
            _requires((APubState.APPROVED, APubState.REJECTED, APubState.PUBLISHED,
                       APubState.EXPIRED),
                      "evaluator_id IS NOT NULL AND evaluated_at IS NOT NULL"
                      " AND evaluation_reasons IS NOT NULL"),
            name="evaluated",
        ),
        CheckConstraint(
            _requires((APubState.PUBLISHED, APubState.EXPIRED),
                      "publisher_id IS NOT NULL AND published_at IS NOT NULL"),
            name="published",
        ),
        CheckConstraint(
            _requires((APubState.WITHDRAWN,),
                      "ended_reason IS NOT NULL AND ended_at IS NOT NULL"),
            name="withdrawn",
        ),
        Index("ix_a_publication_applications_enterprise_state", "enterprise_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20))
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_on: Mapped[dt.date] = mapped_column(Date)
    needs_inspection: Mapped[bool] = mapped_column(Boolean)
    inspection_opinion: Mapped[str | None] = mapped_column(Text)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    inspected_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    approved: Mapped[bool | None] = mapped_column(Boolean)
    evaluation_reasons: Mapped[str | None] = mapped_column(Text)
    evaluator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(20))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    enterprise = relationship("Enterprise")

    def __repr__(self) -> str:
        return f"<APublicationApplication {self.id} {self.state}>"


class ConsentEntry(db.Model):
    """The consent ledger: every consent to A publication and every withdrawal, never edited."""

    __tablename__ = "consent_entries"
    __table_args__ = (CheckConstraint(_one_of("kind", ConsentKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("a_publication_applications.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(12))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class DCase(Versioned, Edited, db.Model):
    """A proposed D listing (严重失信名单), from the grade change to the publisher's decision."""

    __tablename__ = "d_cases"
    __table_args__ = (
        CheckConstraint(_one_of("state", DCaseState), name="state"),
        CheckConstraint(_requires(_REVIEWED, "reviewer_id IS NOT NULL AND reviewed_at IS NOT NULL"),
                        name="reviewed"),
        CheckConstraint(
            _requires(_NOTIFIED, "notice_sent_on IS NOT NULL AND answer_due IS NOT NULL"
                                 " AND answer_due > notice_sent_on"),
            name="notified",
        ),
        CheckConstraint(
            "answer_text IS NULL OR (answered_on IS NOT NULL AND notice_sent_on IS NOT NULL)",
            name="answer_dated",
        ),
        CheckConstraint(_requires((DCaseState.ANSWERED,), "answer_text IS NOT NULL"),
                        name="answered"),
        CheckConstraint(_requires((DCaseState.ANSWER_CLOSED,), "answer_closed_on IS NOT NULL"),
                        name="answer_closed"),
        CheckConstraint(_requires(_DECIDED, "publisher_id IS NOT NULL AND decided_on IS NOT NULL"),
                        name="decided"),
        CheckConstraint(_requires((DCaseState.PUBLISHED,), "disclosed IS NOT NULL"),
                        name="disclosed"),
        Index("ix_d_cases_enterprise_state", "enterprise_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), index=True)
    proposed_on: Mapped[dt.date] = mapped_column(Date)
    # The facts the case rests on, each once: [{"code": "D2", "type": "violation", "ref":
    # "V-6", "record_id": 12}, {"code": "D1", "qualification": "invalid"}]. ``reasons`` ([{"code",
    # "refs"}], as grades show them) and ``record_ids`` are derived from them.
    facts: Mapped[list] = mapped_column(JSON)
    reasons: Mapped[list] = mapped_column(JSON)
    record_ids: Mapped[list] = mapped_column(JSON)
    rulebook: Mapped[str] = mapped_column(String(40))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str | None] = mapped_column(Text)
    notice_sent_on: Mapped[dt.date | None] = mapped_column(Date)
    notice_sent_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    answer_due: Mapped[dt.date | None] = mapped_column(Date)
    answer_text: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    answer_closed_on: Mapped[dt.date | None] = mapped_column(Date)
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision_note: Mapped[str | None] = mapped_column(Text)
    # {"reasons": ["D2"], "records": [{"type", "date", "ref"}], "summary": "..."}
    disclosed: Mapped[dict | None] = mapped_column(JSON)

    enterprise = relationship("Enterprise")

    @property
    def rests_on_qualification(self) -> bool:
        """Whether the case lists the enterprise's invalid qualification (D1) among its facts."""
        return any("qualification" in fact for fact in self.facts or ())

    def __repr__(self) -> str:
        return f"<DCase {self.id} {self.state}>"


class Listing(Versioned, db.Model):
    """A published listing: what the public sees while removed_on is empty and before expiry."""

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ListingKind), name="kind"),
        CheckConstraint("expires_on > published_on", name="expires_after_published"),
        CheckConstraint("(removed_on IS NULL) = (removal_reason IS NULL)", name="removal_reason"),
        CheckConstraint(
            "removal_reason IS NULL OR " + _one_of("removal_reason", RemovalReason),
            name="removal_reason_value",
        ),
        CheckConstraint("removed_on IS NULL OR removed_on >= published_on",
                        name="removed_after_published"),
        CheckConstraint(
            "(kind = 'A' AND application_id IS NOT NULL AND case_id IS NULL)"
            " OR (kind = 'D' AND case_id IS NOT NULL AND application_id IS NULL)",
            name="source",
        ),
        # At most one live A listing per enterprise. D listings are one per published case
        # (an enterprise may have several live ones, each with its own facts and 3 years).
        Index("uq_listings_live_a", "enterprise_id", unique=True,
              sqlite_where=text("removed_on IS NULL AND kind = 'A'"),
              postgresql_where=text("removed_on IS NULL AND kind = 'A'")),
        Index("uq_listings_case", "case_id", unique=True),
        Index("uq_listings_application", "application_id", unique=True),
        Index("ix_listings_enterprise", "enterprise_id"),
        Index("ix_listings_live_expiry", "removed_on", "expires_on"),
        Index("uq_listings_certificate_token", "certificate_token", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(1))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("a_publication_applications.id", ondelete="CASCADE")
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("d_cases.id", ondelete="CASCADE"))
    published_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)  # the first day it is no longer shown
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    removal_reason: Mapped[str | None] = mapped_column(String(20))
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # D: only the facts the publisher chose; A: none beyond the registration facts.
    disclosed: Mapped[dict] = mapped_column(JSON, default=dict)
    # D: the grade is no longer D; the publisher is asked to consider removal.
    removal_prompted: Mapped[bool] = mapped_column(Boolean, default=False)
    # A: the unguessable token of its printable certificate (/verify/<token>); D: none.
    certificate_token: Mapped[str | None] = mapped_column(String(64))

    enterprise = relationship("Enterprise")
    application = relationship("APublicationApplication")
    case = relationship("DCase")

    @property
    def live(self) -> bool:
        return self.removed_on is None

    def __repr__(self) -> str:
        return f"<Listing {self.kind} {self.id} {self.published_on}..{self.expires_on}>"


class RepairApplication(Versioned, db.Model):
    """Credit repair (信用修复) of a published D listing."""

    __tablename__ = "repair_applications"
    __table_args__ = (
        CheckConstraint(_one_of("state", RepairState), name="state"),
        CheckConstraint("accept_due > applied_on", name="accept_due"),
        CheckConstraint(
            _requires((RepairState.ACCEPTED, RepairState.REFUSED, RepairState.APPROVED,
                       RepairState.REJECTED),
                      "handled_on IS NOT NULL AND handler_id IS NOT NULL"),
            name="handled",
        ),
        CheckConstraint(
            _requires((RepairState.ACCEPTED, RepairState.APPROVED, RepairState.REJECTED),
                      "verify_due IS NOT NULL"),
            name="verify_due",
        ),
        CheckConstraint(
            _requires((RepairState.APPROVED, RepairState.REJECTED),
                      "verified_on IS NOT NULL AND verifier_id IS NOT NULL"),
            name="verified",
        ),
        CheckConstraint(_requires((RepairState.REFUSED, RepairState.REJECTED),
                                  "decision_reasons IS NOT NULL"), name="reasons"),
        CheckConstraint(_requires((RepairState.ENDED,),
                                  "ended_on IS NOT NULL AND ended_reason IS NOT NULL"),
                        name="ended"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(12))
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    statement: Mapped[str] = mapped_column(Text)
    applied_on: Mapped[dt.date] = mapped_column(Date)
    accept_due: Mapped[dt.date] = mapped_column(Date)
    handled_on: Mapped[dt.date | None] = mapped_column(Date)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verify_due: Mapped[dt.date | None] = mapped_column(Date)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    overdue_flagged_on: Mapped[dt.date | None] = mapped_column(Date)
    # Ended with its listing: the day, and the listing's removal reason (expired, ...).
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_reason: Mapped[str | None] = mapped_column(String(20))

    listing = relationship("Listing")

    def __repr__(self) -> str:
        return f"<RepairApplication {self.id} {self.state}>"


class ListingChange(db.Model):
    """The public change feed: each publication and removal, so that mirrors can follow.

    ``at`` is when the change took effect (an expiry: the first moment of its expiry day, even
    though ``tick`` writes it later). ``feed_at`` is its place in the feed, given when its
    transaction commits (empty until then): strictly increasing in commit order, never before
    ``at``, and equal to it unless a change was placed after it first. Mirrors page by
    ``feed_at``, so a change dated in the past but written later is not missed.
    """

    __tablename__ = "listing_changes"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ListingKind), name="kind"),
        CheckConstraint(_one_of("change", ChangeKind), name="change"),
        CheckConstraint("feed_at >= at", name="feed_after_effect"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    uscc: Mapped[str] = mapped_column(String(18))
    kind: Mapped[str] = mapped_column(String(1))
    change: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    feed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True, unique=True)
