"""The weekly report's rows: one per assignment, as the week saw it.

``ledger_rows(week, user)`` starts from ``Assignment.objects.visible_to(user)`` (the
one unit-scoping rule; the dispatch jobs, acting for no user, ask ``every_unit=True`` for
``Assignment.objects.unscoped()``) and ``with_level(today)`` (the one warning rule), and reads
the database in chunks of ``CHUNK`` assignments with their task, category, unit,
measures, officials, reports up to the week and the week's snapshots prefetched,
so the number of queries does not depend on the number of rows within a chunk
and memory holds one chunk at a time.

Where the state of the week comes from, per row:

- the weekly dispatch froze a snapshot of the assignment for the week
  (``reports.models.WeeklySnapshot``): status, level, percentage, deadline and
  the week's progress come from it (``Source.SNAPSHOT``);
- the week is over (its Sunday is before ``today``) and there is no snapshot: the
  state as the week ended is rebuilt from the audit trail (``Source.AS_OF``) -
  status, extended deadline, sign-off time and percentage are taken from the
  ``before`` of the first assignment entry written after the week, one query per
  chunk for all its rows (``tasks.services.history.state_as_of`` and ``state_of``, the
  one rebuild, shared with the monthly bulletin); the level is evaluated on that state
  at the week's last day;
- otherwise (this week, or a week still to come) the live ledger (``Source.LIVE``),
  with the level at ``today``.

``snapshots=False`` reads the ledger as it is for the week, ignoring frozen
snapshots (what an upload compares with).
"""

import datetime
from dataclasses import dataclass
from enum import Enum
from itertools import islice

from django.db.models import Prefetch
from django.utils import timezone

from reports.models import WeeklySnapshot
from tasks.choices import Level, Status
from tasks.models import Assignment, Measure, Official, ProgressReport
from tasks.models.levels import bucket_on, judge, passed_milestone
from tasks.models.plan import unit_order
from tasks.services.history import end_of, state_as_of, state_of
from tasks.weeks import parse_week, week_range, week_title

CHUNK = 2000


class Source(str, Enum):
    """Where a row's state for the week was read from."""

    SNAPSHOT = "snapshot"  # frozen by the weekly dispatch
    AS_OF = "as_of"  # rebuilt from the audit trail as the week ended
    LIVE = "live"  # the ledger as it is now (this week, or a week still to come)


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
    source: Source = Source.LIVE
    level_reason: str = ""  # why the row has its level (``tasks.models.levels``)
    as_of: datetime.date | None = None  # the day the level and the bucket are judged on
    plan: str = ""  # the title of the row's plan (several plans may stand side by side)

    @property
    def from_snapshot(self) -> bool:
        return self.source == Source.SNAPSHOT

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def level_label(self) -> str:
        return Level(self.level).label

    @property
    def bucket(self) -> str:
        """signed_off, overdue, reopened or on_track on the row's day (``levels.bucket_on``, the one rule)."""
        return bucket_on(self.as_of, status=self.status, effective_due=self.effective_due)

    @property
    def is_overdue(self) -> bool:
        return self.bucket == "overdue"

    @property
    def is_open(self) -> bool:
        return self.status != Status.SIGNED_OFF


def week_snapshots(week: str, assignment_ids) -> dict:
    """The week's frozen snapshots of these assignments, by assignment id (one query)."""
    return {
        s.assignment_id: s for s in WeeklySnapshot.objects.filter(week=week, assignment_id__in=assignment_ids)
    }


def week_cutoff(week: str) -> datetime.datetime:
    """The first moment after the week (Monday 00:00 after it, Asia/Shanghai)."""
    _start, end = week_range(week)
    return end_of(end)


def scoped_assignments(user, *, today: datetime.date, unit=None, plan=None, every_unit: bool = False):
    """The assignments the user may see (``every_unit``: all, for a job), with level and everything a row needs prefetched."""
    base = Assignment.objects.unscoped() if every_unit else Assignment.objects.visible_to(user)
    queryset = base.with_level(today)
    if unit is not None:
        queryset = queryset.filter(unit=unit)
    if plan is not None:
        queryset = queryset.filter(task__plan=plan)
    return queryset.select_related("task__category", "task__plan", "unit").order_by(
        "task__number", *unit_order("unit__"), "pk"
    )


def _prefetches(week: str):
    reports = (
        ProgressReport.objects.filter(week__lte=week, voided_at=None)
        .only("id", "assignment_id", "week", "text", "percent", "created_at")
        .order_by("-week", "-created_at", "-id")
    )
    return [
        Prefetch(
            "task__measures",
            queryset=Measure.objects.only("id", "task_id", "number", "text", "milestones").order_by("number"),
        ),
        Prefetch("task__officials", queryset=Official.objects.only("id", "name", "unit_id").order_by("name")),
        Prefetch("reports", queryset=reports, to_attr="reports_to_week"),
    ]


def ledger_rows(
    week: str,
    user=None,
    *,
    every_unit: bool = False,
    unit=None,
    plan=None,
    today: datetime.date,
    ids=None,
    snapshots: bool = True,
):
    """Yield a ``LedgerRow`` per visible assignment, in task then unit order.

    Queries per chunk of ``CHUNK`` rows: assignments, measures, officials, reports up
    to the week, then the week's snapshots (unless ``snapshots=False``) and, for a
    past week with rows not frozen, the audit entries written after it.
    """
    _start, end = week_range(week)
    past = end < today
    as_of = min(today, end)  # the level's reference date
    cutoff = week_cutoff(week) if past else None
    queryset = scoped_assignments(user, today=as_of, unit=unit, plan=plan, every_unit=every_unit)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    iterator = queryset.prefetch_related(*_prefetches(week)).iterator(chunk_size=CHUNK)
    while True:
        chunk = list(islice(iterator, CHUNK))
        if not chunk:
            return
        frozen = week_snapshots(week, [a.pk for a in chunk]) if snapshots else {}
        rebuilt = {}
        if past:
            open_ids = [a.pk for a in chunk if a.pk not in frozen]
            rebuilt = state_as_of(cutoff, open_ids) if open_ids else {}
        for assignment in chunk:
            snapshot = frozen.get(assignment.pk)
            if snapshot is not None:
                yield build_row(assignment, week, snapshot, day=as_of)
            elif past:
                yield build_row(assignment, week, as_of=(as_of, rebuilt.get(assignment.pk, {})))
            else:
                yield build_row(assignment, week, day=as_of)


def _officials(assignment) -> str:
    task = assignment.task
    officials = task.officials.all()
    names = [o.name for o in officials if o.unit_id == assignment.unit_id]
    return "、".join(names) if names else task.officials_text


def _measures(task) -> str:
    return "\n".join(f"{m.number}. {m.text}" for m in task.measures.all())


def build_row(
    assignment,
    week: str,
    snapshot=None,
    *,
    as_of: tuple[datetime.date, dict] | None = None,
    day: datetime.date | None = None,
) -> LedgerRow:
    """The row of ``assignment`` for ``week``: from its snapshot, from its state ``as_of``
    (the week's last day and the fields that differed then), or live (judged on ``day``, the
    day of the queryset's ``with_level``)."""
    task = assignment.task
    reports = assignment.reports_to_week  # newest first, none after the week
    this_week = [r for r in reports if r.week == week]
    history = "\n".join(f"{week_title(r.week)}（{r.percent}%）：{r.text}" for r in reports)
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
        level_reason=assignment.level_reason,
        as_of=assignment.level_day if day is None else day,
        plan=task.plan.title,
    )
    if snapshot is not None:
        row.source = Source.SNAPSHOT
        row.status = snapshot.status
        row.level = Level.SIGNED_OFF.value if snapshot.status == Status.SIGNED_OFF else snapshot.level
        row.level_reason = snapshot.level_reason or ("已销号" if row.level == Level.SIGNED_OFF else "")
        row.percent = snapshot.percent
        row.due_date = snapshot.due_date
        row.effective_due = snapshot.effective_due
        row.week_text = snapshot.report_text
        row.last_report_week = snapshot.last_report_week
        row.reported_this_week = snapshot.last_report_week == week
    elif as_of is not None:
        _apply_as_of(row, assignment, *as_of)
    if row.status != Status.SIGNED_OFF or (row.signed_off_on and row.signed_off_on > week_range(week)[1]):
        row.signed_off_on = None  # not signed off as the week ended
    return row


def _apply_as_of(row: LedgerRow, assignment, day: datetime.date, then: dict) -> None:
    """Set the row to the state of the assignment at the end of ``day`` (the week's last day).

    ``then`` holds the fields that differed then (from ``state_as_of``). The level and its
    reason are judged on that state (``levels.judge``, the twin of ``with_level(day)``).
    """
    row.source = Source.AS_OF
    state = state_of(assignment, then)  # the one rebuild, shared with the monthly bulletin
    row.status = state.status
    row.due_date, row.effective_due = state.due_date, state.effective_due
    row.signed_off_on = state.signed_off_on
    if not assignment.reports_to_week:
        row.percent = state.percent
    # Reports are kept by week: the last one up to the week says when it was last reported.
    last_report = parse_week(row.last_report_week) if row.last_report_week else None
    milestones = [m for measure in assignment.task.measures.all() for m in measure.milestones or []]
    judgement = judge(
        day,
        status=row.status,
        effective_due=row.effective_due,
        last_report_week_start=last_report,
        percent=row.percent,
        milestone=passed_milestone(day, milestones),
    )  # the same rule as the database's ``with_level(day)``, on the state of that day
    row.level, row.level_reason, row.as_of = judgement.level, judgement.reason, day
