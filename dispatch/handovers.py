"""签收 (acknowledgement): what is handed to a unit, and when the unit signed for it.

A ``Handover`` is created for each thing a unit must acknowledge, by the events that hand it:

- a new assignment (``assignment.assigned``, emitted by the plan importer for each row it creates);
- a reopening (``review.recorded`` with the outcome relapsed: 问题反弹);
- an instruction (领导批示, ``dispatch/instructions.py``, one per unit concerned).

催办 are acknowledged on the ``Urge`` itself (``dispatch/urging.py``). A handover is unique per
(kind, object, unit), so an event told twice hands nothing twice.

- ``acknowledge(handover_id, actor)``: the unit's liaison or leader signs (the policy's
  ``acknowledge``), audited; another unit's is a 404, a second 签收 a 400.
- ``cutoff(day)`` / ``is_overdue(handover, day)``: not acknowledged after
  ``ACK_DUE_WORKING_DAYS`` working days is overdue: Mon–Fri less public holidays, plus the
  make-up days worked instead (调休), as ``tasks.workdays`` counts them.
- ``for_desk(unit_id)`` and ``by_unit(day)``: the desk's list and the dashboard's table, one query each.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, ExpressionWrapper, F, Q
from django.db.models import DurationField as Duration
from django.utils import timezone

from dispatch.models import Handover, HandoverKind
from tasks import clock
from tasks.choices import ReviewOutcome
from tasks.models import Assignment
from tasks.services import audit
from tasks.services.checks import require
from tasks.services.errors import InvalidInput, NotFound
from tasks.workdays import working_days_after


def due_days() -> int:
    return max(0, settings.ACK_DUE_WORKING_DAYS)


def cutoff(day: datetime.date) -> datetime.date:
    """The earliest handing date still within ``ACK_DUE_WORKING_DAYS`` working days of ``day``:
    a handover of an earlier date not acknowledged by ``day`` is overdue."""
    limit, earliest = due_days(), day
    while working_days_after(earliest - datetime.timedelta(days=1), day) <= limit:
        earliest -= datetime.timedelta(days=1)
    return earliest


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def is_overdue(handover: Handover, day: datetime.date) -> bool:
    return handover.acknowledged_at is None and timezone.localtime(handover.handed_at).date() < cutoff(day)


def hours_taken(handover: Handover) -> float | None:
    """Time to acknowledge, in hours (None while open)."""
    if handover.acknowledged_at is None:
        return None
    return (handover.acknowledged_at - handover.handed_at).total_seconds() / 3600


def hand(kind: str, rows, object_id=None, instruction=None) -> None:
    """Hand ``rows`` (assignments) to their units to acknowledge: one insert for any number."""
    now = clock.now()
    Handover.objects.bulk_create(
        [
            Handover(
                unit_id=row.unit_id,
                kind=kind,
                object_id=object_id if object_id is not None else row.pk,
                assignment=row,
                instruction=instruction,
                handed_at=now,
            )
            for row in rows
        ],
        ignore_conflicts=True,
    )


def on_event(name: str, **objects) -> None:
    """``tasks.events``: a new assignment and a reopening are handed to the unit (in the caller's transaction)."""
    if name == "assignment.assigned":
        hand(HandoverKind.ASSIGNMENT, [objects["assignment"]])
    elif name == "review.recorded" and objects["review"].outcome == ReviewOutcome.RELAPSED:
        hand(HandoverKind.REOPENING, [objects["assignment"]], object_id=objects["review"].pk)


def acknowledge(handover_id, *, actor) -> Handover:
    """签收: the unit's liaison or leader acknowledges one handover (audited)."""
    require(actor, "acknowledge")
    with transaction.atomic():
        handover = (
            Handover.objects.select_for_update(of=("self",))
            .select_related("assignment")
            .filter(pk=handover_id, assignment__in=Assignment.objects.visible_to(actor))
            .first()
        )
        if handover is None:
            raise NotFound("待签收事项不存在或无权查看")
        require(actor, "acknowledge", handover.assignment)
        if handover.acknowledged_at is not None:
            raise InvalidInput("该事项已签收，无需重复签收", field="handover")
        _sign(handover, actor)
    return handover


def _sign(handover: Handover, actor) -> None:
    """Mark ``handover`` (locked, open) acknowledged by ``actor`` and audit it."""
    before = audit.snapshot(handover)
    handover.acknowledged_at, handover.acknowledged_by = clock.now(), actor
    handover.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit.record(
        actor=actor,
        action="acknowledge",
        instance=handover,
        before=before,
        after=audit.snapshot(handover),
        assignment=handover.assignment,
        note=HandoverKind(handover.kind).label,
    )


def for_desk(unit_id: int, day: datetime.date) -> list[Handover]:
    """The unit's handovers not acknowledged yet, oldest first, each with ``overdue`` (one query)."""
    rows = list(
        Handover.objects.filter(unit_id=unit_id, acknowledged_at=None)
        .select_related("assignment__task", "instruction__author")
        .order_by("handed_at", "pk")
    )
    limit = cutoff(day)
    for row in rows:
        row.overdue = timezone.localtime(row.handed_at).date() < limit
    return rows


def open_of(assignment_id: int) -> list[Handover]:
    """An assignment's handovers not acknowledged yet (one query): the assignment page's 签收."""
    return list(
        Handover.objects.filter(assignment_id=assignment_id, acknowledged_at=None)
        .select_related("instruction")
        .order_by("handed_at", "pk")
    )


def by_unit(day: datetime.date) -> list[dict]:
    """Per unit: open, overdue, acknowledged and the mean hours to acknowledge (one query): the dashboard."""
    late = Q(acknowledged_at=None, handed_at__lt=_start_of(cutoff(day)))
    taken = ExpressionWrapper(F("acknowledged_at") - F("handed_at"), output_field=Duration())
    rows = (
        Handover.objects.values("unit__name")
        .annotate(
            open=Count("pk", filter=Q(acknowledged_at=None)),
            overdue=Count("pk", filter=late),
            done=Count("pk", filter=Q(acknowledged_at__isnull=False)),
            mean=Avg(taken, filter=Q(acknowledged_at__isnull=False)),
        )
        .order_by("-overdue", "-open", "unit__name")
    )
    return [
        {
            "unit": r["unit__name"],
            "open": r["open"],
            "overdue": r["overdue"],
            "done": r["done"],
            "mean_hours": round(r["mean"].total_seconds() / 3600, 1) if r["mean"] is not None else None,
        }
        for r in rows
    ]
