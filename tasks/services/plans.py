"""Several plans side by side: the office closes (归档) a plan whose work is done, or reopens it.

A closed plan stays readable everywhere (pages, API, exports, the public page), but its rows are
read-only (``tasks.services.transitions.lock`` refuses every write, ``tasks.policy.can`` offers
none) and out of the weekly dispatch, the report chaser and the deadline warnings
(``Assignment.objects.in_open_plans()``). Closing and reopening are audited with the reason.
"""

from django.db import transaction

from tasks import clock
from tasks.models import Plan
from tasks.services import audit
from tasks.services.checks import require, required_text
from tasks.services.errors import InvalidInput, InvalidTransition, NotFound

FIELDS = ["title", "closed_at", "closed_reason"]


def _locked(plan_id) -> Plan:
    plan = Plan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound("整改方案不存在")
    return plan


@transaction.atomic
def close_plan(plan_id, *, actor, reason: str) -> Plan:
    require(actor, "close_plan")
    reason = required_text(reason, "reason", "归档说明")
    if len(reason) < 4:
        raise InvalidInput("请写明归档说明（至少 4 个字）", field="reason")
    plan = _locked(plan_id)
    if plan.closed_at is not None:
        raise InvalidTransition(f"方案“{plan.title}”已归档")
    before = audit.snapshot(plan, FIELDS)
    plan.closed_at, plan.closed_reason = clock.now(), reason
    plan.save(update_fields=["closed_at", "closed_reason"])
    audit.record(
        actor=actor,
        action="close_plan",
        instance=plan,
        before=before,
        after=audit.snapshot(plan, FIELDS),
        note=reason,
    )
    return plan


@transaction.atomic
def reopen_plan(plan_id, *, actor, reason: str) -> Plan:
    require(actor, "close_plan")
    reason = required_text(reason, "reason", "恢复说明")
    plan = _locked(plan_id)
    if plan.closed_at is None:
        raise InvalidTransition(f"方案“{plan.title}”未归档")
    before = audit.snapshot(plan, FIELDS)
    plan.closed_at, plan.closed_reason = None, ""
    plan.save(update_fields=["closed_at", "closed_reason"])
    audit.record(
        actor=actor,
        action="reopen_plan",
        instance=plan,
        before=before,
        after=audit.snapshot(plan, FIELDS),
        note=reason,
    )
    return plan
