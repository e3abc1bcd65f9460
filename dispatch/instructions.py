"""领导批示 (leaders' instructions): a leader or the office writes on a task or an assignment.

- ``issue(actor, text, task=… | assignment=…)``: the policy's ``instruct`` (leaders and the
  office; leaders write nothing else). The units concerned are the assignment's unit, or every
  unit with a row of the task; each is handed the instruction to acknowledge (签收, a
  ``Handover``) and told (``instruction.issued``, one message per unit linking to its own row).
  Audited (``instruct``).
- ``reply(instruction_id, actor, text)``: a liaison or unit leader of a unit concerned
  (``reply_instruction``); another unit's is a 404. A reply also acknowledges the unit's
  handover if still open, is audited (``reply_instruction``) and tells the author
  (``instruction.replied``).
- ``for_assignment`` / ``for_task`` / ``for_units``: what the pages show, in fixed queries.
"""

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from dispatch import events, handovers
from dispatch.models import Handover, HandoverKind, Instruction, InstructionReply
from reports.excel import Column
from tasks.models import Assignment
from tasks.policy import UNIT, role_of, unit_id_of
from tasks.services import audit
from tasks.services.checks import require, required_text
from tasks.services.errors import InvalidInput, NotFound

MAX_TEXT = 1000


def _text(text, label: str) -> str:
    text = required_text(text, "text", label)
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{label}请控制在 {MAX_TEXT} 字以内（现为 {len(text)} 字）", field="text")
    return text


def person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def issue(*, actor, text, task=None, assignment=None) -> Instruction:
    """Write an instruction on ``task`` (every unit with a row of it) or on one ``assignment``."""
    require(actor, "instruct")
    text = _text(text, "批示内容")
    if (task is None) == (assignment is None):
        raise InvalidInput("请指定批示的任务或台账", field="task")
    with transaction.atomic():
        if assignment is not None:
            require(actor, "instruct", assignment)
            rows, task = [assignment], assignment.task
        else:
            rows = list(Assignment.objects.filter(task=task).select_related("unit").order_by("unit__name"))
            if not rows:
                raise InvalidInput("该任务尚无责任单位台账，无法批示", field="task")
        instruction = Instruction.objects.create(author=actor, text=text, task=task, assignment=assignment)
        audit.record(
            actor=actor,
            action="instruct",
            instance=instruction,
            before=None,
            after=audit.snapshot(instruction),
            assignment=assignment,
            note=text[:200],
        )
        handovers.hand(HandoverKind.INSTRUCTION, rows, object_id=instruction.pk, instruction=instruction)
        context = {"instruction": instruction, "task": task, "author_name": person(actor)}
        events.tell_rows("instruction.issued", str(instruction.pk), rows, context)
    return instruction


def reply(instruction_id, *, actor, text) -> InstructionReply:
    """A unit concerned answers an instruction; its handover is acknowledged with it; the author is told."""
    require(actor, "reply_instruction")
    text = _text(text, "回复内容")
    with transaction.atomic():
        handover = (
            Handover.objects.select_for_update(of=("self",))
            .select_related("assignment__task", "assignment__unit", "instruction__author")
            .filter(
                instruction_id=instruction_id,
                kind=HandoverKind.INSTRUCTION,
                assignment__in=Assignment.objects.visible_to(actor),
            )
            .first()
        )
        if handover is None:
            raise NotFound("批示不存在或无权查看")
        row = handover.assignment
        require(actor, "reply_instruction", row)
        item = InstructionReply.objects.create(
            instruction=handover.instruction, unit_id=row.unit_id, author=actor, text=text
        )
        audit.record(
            actor=actor,
            action="reply_instruction",
            instance=item,
            before=None,
            after=audit.snapshot(item),
            assignment=row,
            note=text[:200],
        )
        if handover.acknowledged_at is None:
            handovers._sign(handover, actor)
        events.on_event(
            "instruction.replied",
            reply=item,
            instruction=handover.instruction,
            assignment=row,
            unit=row.unit,
            reply_author=person(actor),
        )
    return item


def _replies(unit_id=None):
    replies = InstructionReply.objects.select_related("unit", "author").order_by("created_at", "pk")
    if unit_id is not None:
        replies = replies.filter(unit_id=unit_id)
    return Prefetch("replies", queryset=replies)


def _scope(user):
    """A unit's people see the instructions concerning their unit and their unit's replies."""
    if role_of(user) in UNIT:
        unit = unit_id_of(user)
        return Q(handovers__unit_id=unit), unit
    return Q(), None


def visible_to(user):
    """The instructions the user may read, with the replies they may read (2 queries when listed):
    a unit's people those concerning their unit (and their unit's replies), the others all."""
    scope, unit = _scope(user)
    return (
        Instruction.objects.filter(pk__in=Instruction.objects.filter(scope).values("pk"))
        .select_related("author", "assignment__unit")
        .prefetch_related(_replies(unit))
        .order_by("-created_at", "-pk")
    )


def for_assignment(assignment, user) -> list[Instruction]:
    """The instructions on the row or on its task, newest first, with the replies the user may read (2 queries)."""
    _, unit = _scope(user)
    return list(
        Instruction.objects.filter(Q(assignment=assignment) | Q(task_id=assignment.task_id, assignment=None))
        .select_related("author", "assignment__unit")
        .prefetch_related(_replies(unit if unit is not None else assignment.unit_id))
        .order_by("-created_at", "-pk")
    )


def for_task(task, user) -> list[Instruction]:
    """The task's instructions the user may read (on the task or one of its rows), newest first (2 queries)."""
    scope, unit = _scope(user)
    return list(
        Instruction.objects.filter(scope, task=task)
        .distinct()
        .select_related("author", "assignment__unit")
        .prefetch_related(_replies(unit))
        .order_by("-created_at", "-pk")
    )


def for_unit(unit_id: int, limit: int = 20) -> list[Instruction]:
    """The latest instructions concerning a unit, with its replies (2 queries): the desk."""
    return list(
        Instruction.objects.filter(handovers__unit_id=unit_id)
        .select_related("author", "task", "assignment__unit")
        .prefetch_related(_replies(unit_id))
        .order_by("-created_at", "-pk")[:limit]
    )


def for_workbook(user, *, until, unit=None) -> list[Instruction]:
    """Every instruction the user may read written before ``until`` (a moment), oldest first, with the
    replies then written (2 queries): the weekly workbook's 领导批示 sheet."""
    scope, mine = _scope(user)
    if unit is not None:
        scope &= Q(handovers__unit=unit)
        mine = mine or unit.pk
    replies = InstructionReply.objects.filter(created_at__lt=until).select_related("unit", "author")
    if mine is not None:
        replies = replies.filter(unit_id=mine)
    return list(
        Instruction.objects.filter(scope, created_at__lt=until)
        .distinct()
        .select_related("author", "task", "assignment__unit")
        .prefetch_related(Prefetch("replies", queryset=replies.order_by("created_at", "pk")))
        .order_by("created_at", "pk")
    )


SHEET = "领导批示"
SHEET_COLUMNS = [
    Column("任务序号", 8, "center"),
    Column("批示对象", 14, "center"),
    Column("批示人", 12, "center"),
    Column("批示时间", 16, "center"),
    Column("批示内容", 50),
    Column("签收与回复", 60),
]


def workbook_sheet(user, *, until, unit=None):
    """The weekly workbook's 领导批示 sheet (``reports.weekly.add_sheet``): what the user may read,
    written before the week's end, with the replies then written (2 queries)."""
    lines = []
    for item in for_workbook(user, until=until, unit=unit):
        target = item.assignment.unit.name if item.assignment_id else "整项任务"
        replies = "\n".join(
            f"{r.unit.name}（{timezone.localtime(r.created_at):%Y-%m-%d}）：{r.text}"
            for r in item.replies.all()
        )
        lines.append(
            [
                item.task.number,
                target,
                person(item.author),
                f"{timezone.localtime(item.created_at):%Y-%m-%d %H:%M}",
                item.text,
                replies or "尚无回复",
            ]
        )
    return SHEET, SHEET_COLUMNS, lines
