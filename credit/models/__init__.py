"""The domain's tables. Importing this package registers every model with the metadata."""

from credit.models.audit import AuditEntry
from credit.models.calendar import CalendarDay, CalendarYear, DayKind
from credit.models.enterprises import Enterprise
from credit.models.grades import Grade, GradeChange, GradeTrigger
from credit.models.jobs import JobRun
from credit.models.listings import (
    APublicationApplication,
    APubState,
    ChangeKind,
    ConsentEntry,
    ConsentKind,
    DCase,
    DCaseState,
    Listing,
    ListingChange,
    ListingKind,
    RemovalReason,
    RepairApplication,
    RepairState,
)
from credit.models.records import Record
from credit.models.reports import Report, ReportCategory, ReportState
from credit.models.users import Role, User

__all__ = [
    "APubState",
    "APublicationApplication",
    "AuditEntry",
    "CalendarDay",
    "CalendarYear",
    "ChangeKind",
    "ConsentEntry",
    "ConsentKind",
    "DCase",
    "DCaseState",
    "DayKind",
    "Enterprise",
    "Grade",
    "GradeChange",
    "GradeTrigger",
    "JobRun",
    "Listing",
    "ListingChange",
    "ListingKind",
    "Record",
    "RemovalReason",
    "Report",
    "ReportCategory",
    "ReportState",
    "RepairApplication",
    "RepairState",
    "Role",
    "User",
]
