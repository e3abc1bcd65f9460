"""The assignment state machine: ``transition()`` applies the one table (``tasks.policy.TABLE``).

Every status change of an assignment goes through ``transition()``, which locks
the row, asks the policy (the table and the actor's role), applies the change and
writes the audit entry in the caller's transaction.
"""

from django.db import transaction

from tasks.models import Assignment
from tasks.policy import PLAN_CLOSED, Rule, rule_for
from tasks.services import audit
from tasks.services.checks import require
from tasks.services.errors import InvalidTransition, NotFound, StaleVersion

AUDITED_FIELDS = [
    "status",
    "version",
    "due_date",
    "extended_due_date",
    "phase",
    "percent",
    "last_report_week_start",
    "signed_off_at",
    "next_review_date",
]

# A write that names a version other than the row's: said without the numbers, which mean nothing to a user.
STALE = "该事项已被他人更新，请刷新后重试"


def lock(assignment_id, *, actor, expected_version: int | None = None) -> Assignment:
    """Fetch and lock an assignment the actor may see; 404 if not visible, 412 if stale."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock() must run inside transaction.atomic()")
    try:
        assignment = (
            Assignment.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("task__plan", "unit")
            .get(pk=assignment_id)
        )
    except (Assignment.DoesNotExist, ValueError, TypeError):
        raise NotFound("台账不存在或无权查看") from None
    if assignment.task.plan.closed_at is not None:  # every write of a row passes here
        raise InvalidTransition(PLAN_CLOSED)
    if expected_version is not None and assignment.version != expected_version:
        raise StaleVersion(STALE)
    return assignment


def check_allowed(assignment: Assignment, action: str, actor) -> Rule:
    """The table's answer for ``action`` on the assignment as it stands (``tasks.policy``), or its refusal."""
    require(actor, action, assignment)
    return rule_for(assignment.status, action)


def transition(
    assignment_id,
    action: str,
    *,
    actor,
    expected_version: int | None = None,
    note: str = "",
    changes: dict | None = None,
    locked: Assignment | None = None,
) -> Assignment:
    """Move an assignment along the table. Runs in (or opens) a transaction.

    ``changes`` sets further assignment fields in the same save (e.g. ``signed_off_at``).
    ``locked``: the row as ``lock()`` gave it to the caller in this transaction, moved in place
    rather than fetched and locked again. Returns the locked, updated assignment.
    """
    with transaction.atomic():
        if locked is None:
            assignment = lock(assignment_id, actor=actor, expected_version=expected_version)
        else:
            if locked.pk != assignment_id:
                raise RuntimeError("transition(locked=…) takes the row lock() gave for this id")
            assignment = locked
        rule = check_allowed(assignment, action, actor)
        before = audit.snapshot(assignment, AUDITED_FIELDS)
        assignment.status = rule.target
        assignment.version += 1
        for field, value in (changes or {}).items():
            setattr(assignment, field, value)
        assignment.save()
        audit.record(
            actor=actor,
            action=action,
            instance=assignment,
            before=before,
            after=audit.snapshot(assignment, AUDITED_FIELDS),
            assignment=assignment,
            note=note or rule.label,
        )
        return assignment
