"""The domain's tables. Importing this package registers every model with the metadata."""

from credit.models.audit import AuditEntry
from credit.models.enterprises import Enterprise
from credit.models.grades import Grade, GradeChange, GradeTrigger
from credit.models.jobs import JobRun
from credit.models.records import Record
from credit.models.users import Role, User

__all__ = [
    "AuditEntry",
    "Enterprise",
    "Grade",
    "GradeChange",
    "GradeTrigger",
    "JobRun",
    "Record",
    "Role",
    "User",
]
