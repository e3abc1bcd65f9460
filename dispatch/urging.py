"""催办 (urging on demand): the office urges assignments; the unit answers by a report or a 签收.

- ``urge(assignment_ids, actor, message)``: one ``Urge`` per open assignment the office may see
  (signed-off rows are left out), each audited, and one message per unit of the batch to its
  liaisons and leaders (the event ``urge.sent``, keyed by the unit's first urge of the batch),
  listing its rows with the office's words. The same call serves one assignment, a unit's
  open rows and every row of a filtered ledger view.
- An urge stays open, a badge on the unit's desk, until the unit answers it: a progress report on
  the assignment (the ledger emits ``report.submitted``; ``on_event`` closes its open urges) or a
  签收 on the desk (``acknowledge``, audited).
- ``open_urges(assignment_ids)`` (the desk's badges) and ``by_unit()``: urges per unit, open and
  in all (the dashboard's table).
"""

import uuid

from django.db import transaction
from django.db.models import Count, Q

from dispatch import events
from dispatch.models import Urge, UrgeAnswer
from dispatch.notify import Delivery
from tasks import clock
from tasks.choices import Status
from tasks.models import Assignment
from tasks.services import audit
from tasks.services.checks import require, required_text
from tasks.services.errors import InvalidInput, NotFound

MAX_MESSAGE = 200


def urge(assignment_ids, *, actor, message) -> list[Urge]:
    """Urge the open assignments among ``assignment_ids`` that ``actor`` may see; tell each unit once."""
    require(actor, "urge")
    message = required_text(message, "message", "催办内容")
    if len(message) > MAX_MESSAGE:
        raise InvalidInput(
            f"催办内容请控制在 {MAX_MESSAGE} 字以内（现为 {len(message)} 字）", field="message"
        )
    with transaction.atomic():
        rows = list(
            Assignment.objects.visible_to(actor)
            .filter(pk__in=list(assignment_ids))
            .exclude(status=Status.SIGNED_OFF)
            .select_related("task", "unit")
            .order_by("unit__name", "task__number")
        )
        if not rows:
            raise InvalidInput("没有可催办的台账（已销号的台账无需催办）", field="assignments")
        batch = uuid.uuid4().hex
        urges = Urge.objects.bulk_create(
            [Urge(assignment=row, message=message, batch=batch, urged_by=actor) for row in rows]
        )
        for row, item in zip(rows, urges):
            audit.record(
                actor=actor,
                action="urge",
                instance=item,
                before=None,
                after=audit.snapshot(item),
                assignment=row,
                note=message,
            )
        by_unit: dict[int, list] = {}
        for row, item in zip(rows, urges):
            by_unit.setdefault(row.unit_id, []).append((row, item))
        for items in by_unit.values():
            _tell(items, message)
    return urges


def _tell(items, message) -> Delivery:
    """One message to the unit's liaisons and leaders about its rows in the batch (keyed by its first urge)."""
    first_row, first = items[0]
    context = {"rows": [row for row, _ in items], "message": message}
    return events.tell("urge.sent", str(first.pk), first_row.unit, context)


def acknowledge(assignment_id, *, actor) -> int:
    """签收: the unit's liaison or leader acknowledges the open urges of an assignment (audited)."""
    require(actor, "acknowledge_urge")
    with transaction.atomic():
        assignment = Assignment.objects.visible_to(actor).filter(pk=assignment_id).first()
        if assignment is None:
            raise NotFound("台账不存在或无权查看")
        require(actor, "acknowledge_urge", assignment)
        closed = _close(assignment, UrgeAnswer.ACKNOWLEDGED, actor)
        if not closed:
            raise InvalidInput("该台账没有待签收的催办", field="urge")
    return closed


def _close(assignment, answer: str, actor) -> int:
    open_urges = list(Urge.objects.select_for_update().filter(assignment=assignment, answered_at=None))
    now = clock.now()
    for item in open_urges:
        before = audit.snapshot(item)
        item.answered_at, item.answer, item.answered_by = now, answer, actor
        item.save(update_fields=["answered_at", "answer", "answered_by"])
        audit.record(
            actor=actor,
            action="answer_urge",
            instance=item,
            before=before,
            after=audit.snapshot(item),
            assignment=assignment,
            note=UrgeAnswer(answer).label,
        )
    return len(open_urges)


def on_event(name: str, **objects) -> None:
    """A progress report answers the assignment's open urges (``tasks.events``, in the report's transaction)."""
    if name == "report.submitted":
        report = objects["report"]
        _close(objects["assignment"], UrgeAnswer.REPORT, report.author)


def open_urges(assignment_ids) -> dict[int, list[Urge]]:
    """The open urges of each assignment, oldest first (one query): the desk's badges."""
    found: dict[int, list[Urge]] = {}
    for item in Urge.objects.filter(assignment_id__in=list(assignment_ids), answered_at=None).order_by(
        "urged_at"
    ):
        found.setdefault(item.assignment_id, []).append(item)
    return found


def by_unit() -> list[dict]:
    """Urges per unit, open and in all, the most open first (one query): the dashboard's 催办 table."""
    rows = (
        Urge.objects.values("assignment__unit__name")
        .annotate(open=Count("pk", filter=Q(answered_at=None)), total=Count("pk"))
        .order_by("-open", "-total", "assignment__unit__name")
    )
    return [{"unit": r["assignment__unit__name"], "open": r["open"], "total": r["total"]} for r in rows]
