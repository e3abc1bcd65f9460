"""Correcting a task after its plan was imported: texts, units, officials and the deadline.

``edit_task`` is the one way in, for the office's page (``/tasks/<id>/edit/``) and the admin
(``TaskAdmin`` hands it the units the form saved). Under a lock on the task it:

- records the task before and after in the audit chain (``edit_task``), with the office's reason;
- gives each responsible unit added its row of the ledger (a new assignment, or the unit's retired
  row put back in force with its history), audited ``assign``;
- retires the row of each unit taken off (``retired_at``, the reason): out of the ledger, every list,
  figure and job, its reports, checks and audit entries kept; audited ``retire``;
- moves a changed due date onto every row in force not signed off (a new version, audited like any
  change of a ledger row), without touching an extension already granted.

A task keeps at least one responsible unit. A change that changes nothing is refused, so the
trail holds no empty edits.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction

from tasks import clock, events
from tasks.choices import DeadlineKind, Status
from tasks.models import Assignment, Official, Task, Unit
from tasks.services import audit
from tasks.services.checks import check_no_nul, require, required_text
from tasks.services.errors import InvalidInput, NotFound
from tasks.services.transitions import AUDITED_FIELDS

TEXT_FIELDS = {
    "problem": "督察反馈问题",
    "goal": "整改目标",
    "deadline_text": "整改时限",
    "responsible_text": "责任单位（原文）",
    "cooperating_text": "配合单位（原文）",
    "officials_text": "责任人（原文）",
}
MIN_REASON = 4


@dataclass
class EditResult:
    task: Task
    changed: list[str] = field(default_factory=list)  # the fields' Chinese names
    assigned: list[str] = field(default_factory=list)  # units given a row
    retired: list[str] = field(default_factory=list)  # units whose row was retired
    moved: int = 0  # rows whose due date moved

    def summary(self) -> str:
        parts = []
        if self.changed:
            parts.append("修改了" + "、".join(self.changed))
        if self.assigned:
            parts.append("新增责任单位" + "、".join(self.assigned))
        if self.retired:
            parts.append("撤销" + "、".join(self.retired) + "的台账")
        if self.moved:
            parts.append(f"{self.moved} 条台账的完成期限随之调整")
        return "；".join(parts)


def task_snapshot(task: Task) -> dict:
    """The task as the audit trail keeps it: its own fields and its units and officials by name."""
    data = audit.snapshot(task)
    data["responsible_units"] = responsible_names(task)
    data["cooperating_units"] = sorted(task.cooperating_units.values_list("name", flat=True))
    data["officials"] = sorted(str(o) for o in task.officials.select_related("unit"))
    return data


def responsible_units(task: Task) -> list[Unit]:
    """The units whose rows of this task are in force (``Task.responsible_units`` also reaches retired rows)."""
    return list(Unit.objects.filter(assignments__in=Assignment.objects.filter(task=task)).order_by("name"))


def responsible_names(task: Task) -> list[str]:
    return sorted(Assignment.objects.filter(task=task).values_list("unit__name", flat=True))


def edit_task(
    task_id,
    *,
    actor,
    reason: str,
    responsible_units=None,
    cooperating_units=None,
    officials=None,
    due_date=...,
    deadline_kind=None,
    **texts,
) -> EditResult:
    """Apply the office's corrections to a task (only the arguments given change). See the module."""
    require(actor, "edit_plan")
    reason = required_text(reason, "reason", "修改原因")
    if len(reason) < MIN_REASON:
        raise InvalidInput(f"请写明修改原因（至少 {MIN_REASON} 个字）", field="reason")
    unknown = set(texts) - set(TEXT_FIELDS)
    if unknown:
        raise TypeError(f"edit_task: unknown fields {sorted(unknown)}")
    for name, value in texts.items():
        if name in ("problem", "goal", "deadline_text"):
            texts[name] = required_text(value, name, TEXT_FIELDS[name])
        else:
            texts[name] = check_no_nul((value or "").strip(), name, TEXT_FIELDS[name])
    if deadline_kind is not None and deadline_kind not in DeadlineKind.values:
        raise InvalidInput("时限类型无效", field="deadline_kind")
    if due_date is not ... and due_date is not None and not isinstance(due_date, datetime.date):
        raise InvalidInput("完成期限应为日期", field="due_date")

    with transaction.atomic():
        task = Task.objects.select_for_update().filter(pk=task_id).first()
        if task is None:
            raise NotFound("整改任务不存在")
        before = task_snapshot(task)
        result = EditResult(task=task)
        for name, value in texts.items():
            if getattr(task, name) != value:
                setattr(task, name, value)
                result.changed.append(TEXT_FIELDS[name])
        kind = deadline_kind if deadline_kind is not None else task.deadline_kind
        due = task.due_date if due_date is ... else due_date
        if kind == DeadlineKind.DATED and due is None:
            raise InvalidInput("有完成期限的任务须填写完成期限", field="due_date")
        if kind != task.deadline_kind:
            task.deadline_kind = kind
            result.changed.append("时限类型")
        due_moved = due != task.due_date
        if due_moved:
            task.due_date = due
            result.changed.append("完成期限")
        task.save()
        if responsible_units is not None:
            _units(result, task, list(responsible_units), actor, reason)
        if cooperating_units is not None:
            wanted = {unit.pk for unit in cooperating_units}
            if wanted != set(task.cooperating_units.values_list("pk", flat=True)):
                task.cooperating_units.set(list(cooperating_units))
                result.changed.append("配合单位")
        if officials is not None:
            wanted = {official.pk for official in officials}
            if wanted != set(task.officials.values_list("pk", flat=True)):
                task.officials.set(list(officials))
                result.changed.append("责任人")
        if due_moved:
            result.moved = _move_due_dates(task, actor, reason)
        after = task_snapshot(task)
        if before == after and not result.assigned and not result.retired:
            raise InvalidInput("没有修改任何内容", field="reason")
        audit.record(actor=actor, action="edit_task", instance=task, before=before, after=after, note=reason)
    return result


def sync_assignments(task: Task, units, *, actor, reason: str) -> EditResult:
    """The admin's save: the rows in force follow ``units`` and the task's due date, as on the edit page."""
    require(actor, "edit_plan")
    units = list(units)
    if not units:
        raise InvalidInput("每项任务至少要有一个责任单位", field="responsible_units")
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        result = EditResult(task=task)
        _rows(result, task, units, actor, reason)
        result.moved = _move_due_dates(task, actor, reason)
    return result


def _units(result: EditResult, task: Task, units: list[Unit], actor, reason: str) -> None:
    """The responsible units are the task's rows in force: assign and retire, never delete."""
    if not units:
        raise InvalidInput("每项任务至少要有一个责任单位", field="responsible_units")
    _rows(result, task, units, actor, reason)
    if result.assigned or result.retired:
        result.changed.append("责任单位")


def _rows(result: EditResult, task: Task, units: list[Unit], actor, reason: str) -> None:
    """Assign the units without a row in force; retire the rows of units no longer responsible."""
    wanted = {unit.pk: unit for unit in units}
    rows = {row.unit_id: row for row in Assignment.with_retired.select_for_update().filter(task=task)}
    for unit_id, unit in sorted(wanted.items(), key=lambda item: item[1].name):
        row = rows.get(unit_id)
        if row is not None and row.retired_at is None:
            continue
        if row is None:
            row = Assignment(task=task, unit=unit, due_date=task.due_date)
            row.save()
            row_before = None
            events.emit("assignment.assigned", assignment=row)  # the unit is to acknowledge it (签收)
        else:  # back in force, with its history
            row_before = audit.snapshot(row, [*AUDITED_FIELDS, "retired_at", "retired_reason"])
            row.retired_at, row.retired_reason = None, ""
            row.version += 1
            row.save()
        audit.record(
            actor=actor,
            action="assign",
            instance=row,
            before=row_before,
            after=audit.snapshot(row, [*AUDITED_FIELDS, "retired_at", "retired_reason"]),
            assignment=row,
            note=reason,
        )
        result.assigned.append(unit.name)
    for unit_id, row in rows.items():
        if unit_id in wanted or row.retired_at is not None:
            continue
        row_before = audit.snapshot(row, [*AUDITED_FIELDS, "retired_at", "retired_reason"])
        row.retired_at, row.retired_reason = clock.now(), reason[:500]
        row.version += 1
        row.save()
        audit.record(
            actor=actor,
            action="retire",
            instance=row,
            before=row_before,
            after=audit.snapshot(row, [*AUDITED_FIELDS, "retired_at", "retired_reason"]),
            assignment=row,
            note=reason,
        )
        result.retired.append(row.unit.name)


def _move_due_dates(task: Task, actor, reason: str) -> int:
    moved = 0
    rows = Assignment.objects.select_for_update().filter(task=task).exclude(status=Status.SIGNED_OFF)
    for row in rows:
        if row.due_date == task.due_date:
            continue
        before = audit.snapshot(row, AUDITED_FIELDS)
        row.due_date = task.due_date
        row.version += 1
        row.save()
        audit.record(
            actor=actor,
            action="edit_task",
            instance=row,
            before=before,
            after=audit.snapshot(row, AUDITED_FIELDS),
            assignment=row,
            note=f"任务完成期限修改：{reason}",
        )
        moved += 1
    return moved


def new_official(name: str, unit: Unit | None) -> Official:
    """An official named on the edit page who is not in the plan yet."""
    name = required_text(name, "officials", "责任人")
    official, _ = Official.objects.get_or_create(name=name, unit=unit)
    return official
