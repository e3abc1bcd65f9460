from tasks.models.audit import AuditEntry, AuditHead
from tasks.models.forms import SavedForm, UsedFormKey
from tasks.models.history import MonthEnd, MonthEndState
from tasks.models.ledger import Assignment, Evidence, Extension, ProgressReport, Review, SignOffRequest
from tasks.models.organisation import Organisation
from tasks.models.people import Membership
from tasks.models.plan import Category, Measure, Official, Plan, Task, Unit

__all__ = [
    "Assignment",
    "AuditEntry",
    "AuditHead",
    "Category",
    "Evidence",
    "Extension",
    "Measure",
    "Membership",
    "MonthEnd",
    "MonthEndState",
    "Official",
    "Organisation",
    "Plan",
    "ProgressReport",
    "Review",
    "SavedForm",
    "SignOffRequest",
    "Task",
    "Unit",
    "UsedFormKey",
]
