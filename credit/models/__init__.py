"""The domain's tables. Importing this package registers every model with the metadata."""

from credit.models.audit import AuditEntry
from credit.models.calendar import CalendarDay, CalendarYear, DayKind
from credit.models.enterprises import Enterprise
from credit.models.grades import Grade, GradeChange, GradeTrigger
from credit.models.honours import (
    Honour,
    HonourAction,
    HonourActionEntry,
    HonourFlag,
    HonourKind,
    HonourState,
)
from credit.models.inspections import (
    CheckType,
    InspectionPlan,
    Inspector,
    PlanItem,
    PlanJurisdiction,
    PlanKind,
    PlanState,
    PlanStratum,
    SeedSource,
)
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
from credit.models.security import LoginFailure
from credit.models.settings import Setting
from credit.models.stats import GradeStat, MovementStat
from credit.models.users import Role, User
from credit.models.warnings import RiskScore, WarningFollowUp, WarningNotice, WarningState

__all__ = [
    "APubState",
    "APublicationApplication",
    "AuditEntry",
    "CalendarDay",
    "CalendarYear",
    "ChangeKind",
    "CheckType",
    "ConsentEntry",
    "ConsentKind",
    "DCase",
    "DCaseState",
    "DayKind",
    "Enterprise",
    "Grade",
    "GradeChange",
    "GradeStat",
    "GradeTrigger",
    "Honour",
    "HonourAction",
    "HonourActionEntry",
    "HonourFlag",
    "HonourKind",
    "HonourState",
    "InspectionPlan",
    "Inspector",
    "JobRun",
    "Listing",
    "ListingChange",
    "ListingKind",
    "LoginFailure",
    "MovementStat",
    "PlanItem",
    "PlanJurisdiction",
    "PlanKind",
    "PlanState",
    "PlanStratum",
    "Record",
    "RemovalReason",
    "Report",
    "ReportCategory",
    "ReportState",
    "RepairApplication",
    "RepairState",
    "RiskScore",
    "Role",
    "SeedSource",
    "Setting",
    "User",
    "WarningFollowUp",
    "WarningNotice",
    "WarningState",
]
