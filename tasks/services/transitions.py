"""The assignment state machine: one table, one ``transition()``.

Every status change of an assignment goes through ``transition()``, which locks
the row, checks the table and the actor's role, applies the change and writes the
audit entry in the caller's transaction.
"""

from dataclasses import dataclass

from django.db import transaction

from tasks.choices import Role, Status
from tasks.models import Assignment
from tasks.models.people import role_of
from tasks.services import audit
from tasks.services.errors import Forbidden, InvalidTransition, NotFound, StaleVersion

S = Status
OFFICE = frozenset({Role.OFFICE, Role.ADMIN})
LIAISON = frozenset({Role.LIAISON})
UNIT_LEADER = frozenset({Role.UNIT_LEADER})


@dataclass(frozen=True)
class Rule:
    target: str
    roles: frozenset
    label: str


# (current status, action) -> rule. Anything not here is refused.
TABLE: dict[tuple[str, str], Rule] = {
    (S.NOT_STARTED, "report"): Rule(S.IN_PROGRESS, LIAISON, "报送进展"),
    (S.IN_PROGRESS, "report"): Rule(S.IN_PROGRESS, LIAISON, "报送进展"),
    (S.REOPENED, "report"): Rule(S.IN_PROGRESS, LIAISON, "报送进展"),
    (S.SIGNOFF_REQUESTED, "report"): Rule(S.SIGNOFF_REQUESTED, LIAISON, "报送进展"),
    (S.UNIT_VERIFIED, "report"): Rule(S.UNIT_VERIFIED, LIAISON, "报送进展"),
    (S.SIGNED_OFF, "report"): Rule(S.SIGNED_OFF, LIAISON, "报送进展"),
    (S.IN_PROGRESS, "request_signoff"): Rule(S.SIGNOFF_REQUESTED, LIAISON, "申请销号"),
    (S.SIGNOFF_REQUESTED, "approve"): Rule(S.UNIT_VERIFIED, UNIT_LEADER, "单位审核通过"),
    (S.SIGNOFF_REQUESTED, "reject"): Rule(S.IN_PROGRESS, UNIT_LEADER, "单位审核退回"),
    (S.UNIT_VERIFIED, "approve"): Rule(S.SIGNED_OFF, OFFICE, "督察办审核销号"),
    (S.UNIT_VERIFIED, "reject"): Rule(S.IN_PROGRESS, OFFICE, "督察办审核退回"),
    (S.SIGNED_OFF, "relapse"): Rule(S.REOPENED, OFFICE, "回头看发现反弹，重新打开"),
}

ACTION_LABELS = {
    "report": "报送进展",
    "request_signoff": "申请销号",
    "approve": "审核通过",
    "reject": "审核退回",
    "relapse": "重新打开",
}

ROLE_HINT = {LIAISON: "本单位联络员", UNIT_LEADER: "本单位负责人", OFFICE: "省督察办"}

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


def rule_for(status: str, action: str) -> Rule | None:
    return TABLE.get((status, action))


def allowed_actions(assignment: Assignment, user) -> list[str]:
    """Actions the user may take on the assignment's current status (for pages and the API)."""
    role = role_of(user)
    return [
        action
        for (status, action), rule in TABLE.items()
        if status == assignment.status and role in rule.roles
    ]


def lock(assignment_id, *, actor, expected_version: int | None = None) -> Assignment:
    """Fetch and lock an assignment the actor may see; 404 if not visible, 412 if stale."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock() must run inside transaction.atomic()")
    try:
        assignment = (
            Assignment.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("task", "unit")
            .get(pk=assignment_id)
        )
    except (Assignment.DoesNotExist, ValueError, TypeError):
        raise NotFound("台账不存在或无权查看") from None
    if expected_version is not None and assignment.version != expected_version:
        raise StaleVersion(
            f"台账已被他人修改（当前版本 {assignment.version}，提交版本 {expected_version}），请刷新后重试"
        )
    return assignment


def check_allowed(assignment: Assignment, action: str, actor) -> Rule:
    rule = rule_for(assignment.status, action)
    if rule is None:
        raise InvalidTransition(
            f"当前状态“{Status(assignment.status).label}”不能执行“{ACTION_LABELS.get(action, action)}”"
        )
    if role_of(actor) not in rule.roles:
        raise Forbidden(f"“{rule.label}”应由{ROLE_HINT.get(rule.roles, '有权限的用户')}办理")
    return rule


def check_role(action: str, actor) -> None:
    """Refuse an actor whose role may take ``action`` in no state at all, before any input is read."""
    roles = frozenset().union(*(rule.roles for (_status, name), rule in TABLE.items() if name == action))
    if role_of(actor) not in roles:
        hint = ROLE_HINT.get(roles, "有权限的用户")
        raise Forbidden(f"“{ACTION_LABELS.get(action, action)}”应由{hint}办理")


def transition(
    assignment_id,
    action: str,
    *,
    actor,
    expected_version: int | None = None,
    note: str = "",
    changes: dict | None = None,
) -> Assignment:
    """Move an assignment along the table. Runs in (or opens) a transaction.

    ``changes`` sets further assignment fields in the same save (e.g. ``signed_off_at``).
    Returns the locked, updated assignment.
    """
    with transaction.atomic():
        assignment = lock(assignment_id, actor=actor, expected_version=expected_version)
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
