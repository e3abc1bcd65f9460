"""The weekly report's rows: one per assignment, as the week saw it.

``ledger_rows(week, user)`` starts from ``Assignment.objects.visible_to(user)`` (the
one unit-scoping rule) and ``with_level(today)`` (the one warning rule), and reads
the database in chunks of ``CHUNK`` assignments with their task, category, unit,
measures, officials, reports up to the week and the week's snapshots prefetched,
so the number of queries does not depend on the number of rows within a chunk
(six per chunk) and memory holds one chunk at a time.

Where the weekly dispatch froze a snapshot of an assignment for the week
(``dispatch.models.WeeklySnapshot``), the row's status, level, percentage,
deadline and the week's progress come from it; otherwise from the live ledger.
"""

import datetime
from dataclasses import dataclass
from itertools import islice

from django.db.models import Prefetch
from django.utils import timezone

from tasks.choices import Level, Status
from tasks.models import Assignment, Measure, Official, ProgressReport

CHUNK = 2000


@dataclass
class LedgerRow:
    """What one line of 整改台账 shows, independent of where it was read from."""

    assignment_id: int
    version: int
    task_number: int
    category_number: int
    category: str
    problem: str
    goal: str
    measures: str
    unit: str
    unit_kind: str
    officials: str
    deadline_text: str
    due_date: datetime.date | None  # the plan's (original) date, for the on-time rate
    effective_due: datetime.date | None  # after any approved extension
    week_text: str  # 本周进展: the week's progress report
    history: str  # 累计进展: every report up to the week, newest first
    percent: int
    status: str
    level: str
    signed_off_on: datetime.date | None
    last_report_week: str | None
    reported_this_week: bool
    from_snapshot: bool = False

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def level_label(self) -> str:
        return Level(self.level).label

    @property
    def is_overdue(self) -> bool:
        return self.level == Level.RED

    @property
    def is_open(self) -> bool:
        return self.status != Status.SIGNED_OFF


def week_snapshots(week: str, assignment_ids) -> dict:
    """The week's frozen snapshots of these assignments, by assignment id (one query)."""
    from dispatch.models import WeeklySnapshot

    return {s.assignment_id: s for s in WeeklySnapshot.objects.filter(week=week, assignment_id__in=assignment_ids)}


def scoped_assignments(user, *, today: datetime.date, unit=None):
    """The assignments the user may see, with level and everything a row needs prefetched."""
    queryset = Assignment.objects.visible_to(user).with_level(today)
    if unit is not None:
        queryset = queryset.filter(unit=unit)
    return queryset.select_related("task__category", "unit").order_by("task__number", "unit__name", "pk")


def _prefetches(week: str):
    reports = (
        ProgressReport.objects.filter(week__lte=week)
        .only("id", "assignment_id", "week", "text", "percent", "created_at")
        .order_by("-week", "-created_at", "-id")
    )
    return [
        Prefetch("task__measures", queryset=Measure.objects.only("id", "task_id", "number", "text").order_by("number")),
        Prefetch("task__officials", queryset=Official.objects.only("id", "name", "unit_id").order_by("name")),
        Prefetch("reports", queryset=reports, to_attr="reports_to_week"),
    ]


def ledger_rows(week: str, user, *, unit=None, today: datetime.date, ids=None):
    """Yield a ``LedgerRow`` per visible assignment, in task then unit order."""
    queryset = scoped_assignments(user, today=today, unit=unit)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    iterator = queryset.prefetch_related(*_prefetches(week)).iterator(chunk_size=CHUNK)
    while True:
        chunk = list(islice(iterator, CHUNK))
        if not chunk:
            return
        snapshots = week_snapshots(week, [a.pk for a in chunk])
        for assignment in chunk:
            yield build_row(assignment, week, snapshots.get(assignment.pk))


def _officials(assignment) -> str:
    task = assignment.task
    officials = task.officials.all()
    names = [o.name for o in officials if o.unit_id == assignment.unit_id]
    return "、".join(names) if names else task.officials_text


def _measures(task) -> str:
    return "\n".join(f"{m.number}. {m.text}" for m in task.measures.all())


def build_row(assignment, week: str, snapshot=None) -> LedgerRow:
    task = assignment.task
    reports = assignment.reports_to_week  # newest first, none after the week
    this_week = [r for r in reports if r.week == week]
    history = "\n".join(f"{r.week}（{r.percent}%）：{r.text}" for r in reports)
    percent = reports[0].percent if reports else assignment.percent
    signed_off_on = timezone.localdate(assignment.signed_off_at) if assignment.signed_off_at else None
    row = LedgerRow(
        assignment_id=assignment.pk,
        version=assignment.version,
        task_number=task.number,
        category_number=task.category.number,
        category=task.category.title,
        problem=task.problem,
        goal=task.goal,
        measures=_measures(task),
        unit=assignment.unit.name,
        unit_kind=assignment.unit.kind,
        officials=_officials(assignment),
        deadline_text=task.deadline_text,
        due_date=assignment.due_date,
        effective_due=assignment.effective_due,
        week_text=this_week[0].text if this_week else "",
        history=history,
        percent=percent,
        status=assignment.status,
        level=assignment.level,
        signed_off_on=signed_off_on,
        last_report_week=reports[0].week if reports else None,
        reported_this_week=bool(this_week),
    )
    if snapshot is not None:
        row.from_snapshot = True
        row.status = snapshot.status
        row.level = snapshot.level
        row.percent = snapshot.percent
        row.due_date = snapshot.due_date
        row.effective_due = snapshot.effective_due
        row.week_text = snapshot.report_text
        row.last_report_week = snapshot.last_report_week
        row.reported_this_week = snapshot.last_report_week == week
    if row.status != Status.SIGNED_OFF:
        row.signed_off_on = None
    return row
