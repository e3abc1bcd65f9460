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
  ``before`` of the first assignment entry written after the week, read from the
  state frozen at the next month's end and the entries up to it (or, with no month's end
  frozen after the week, every entry since): two or three queries per chunk for all its
  rows (``tasks.services.history.state_as_of`` and ``state_of``, the one rebuild, shared
  with the monthly bulletin); the level is evaluated on that state at the week's last day;
- otherwise (this week, or a week still to come) the live ledger (``Source.LIVE``),
  with the level at ``today``.

``snapshots=False`` reads the ledger as it is for the week, ignoring frozen
snapshots (what an upload compares with).
"""

import datetime
import json
from dataclasses import dataclass
from enum import Enum
from itertools import islice

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, ExtractIsoYear, ExtractWeek, LPad
from django.utils import timezone

from reports.models import WeeklySnapshot
from tasks import clock
from tasks.choices import Level, Status
from tasks.models import Assignment, Measure, Official, ProgressReport
from tasks.models.levels import bucket_on, effective_due, judge, passed_milestone
from tasks.models.plan import unit_order
from tasks.services.history import end_of, state_as_of, state_of
from tasks.weeks import parse_week, week_of, week_range, week_title

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
    past week with rows not frozen, the frozen month's end after it, then the audit entries
    written after the week (up to that month's end, with the rows' frozen state first).
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


# --- the jobs' rows: only what the dispatch and the snapshot read -------------------------------------

# Columns the jobs read, in the order ``job_rows`` unpacks them.
_JOB_COLUMNS = (
    "pk",
    "version",
    "task_id",
    "task__number",
    "task__deadline_text",
    "task__plan__title",
    "unit__name",
    "unit__kind",
    "status",
    "due_date",
    "extended_due_date",
    "percent",
    "last_report_week_start",
    "signed_off_at",
    "last_week",
    "last_percent",
    "this_week_text",
)
_SNAPSHOT_COLUMNS = (
    "snap__id",
    "snap__status",
    "snap__level",
    "snap__level_reason",
    "snap__percent",
    "snap__due_date",
    "snap__effective_due",
    "snap__last_report_week",
    "snap__report_text",
)


def without_jit() -> None:
    """On PostgreSQL, no JIT compilation for the rest of the transaction (``SET LOCAL``; one statement).

    The jobs' reads carry a correlated lookup per row that mostly never runs (``_week_reports``'s
    cases), yet the planner costs every one: above ``jit_above_cost`` (and the inlining and
    optimising thresholds) the server compiled the dispatch's read of 20,195 rows to machine code
    for 1.4 s, a read that takes 0.2 s without."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def task_milestones() -> dict[int, list[str]]:
    """Every task's measure milestones (ISO dates), by task id (one query)."""
    found: dict[int, list[str]] = {}
    for task_id, dates in Measure.objects.exclude(milestones=[]).values_list("task_id", "milestones"):
        found.setdefault(task_id, []).extend(dates or [])
    return found


def _week_reports(week: str, *, texts: bool = True, frozen_percents: dict[int, int] | None = None) -> dict:
    """Annotations of an assignment queryset with, from the (assignment, week) index, the latest report
    up to ``week`` (its week, ``last_week``, and its percentage, ``last_percent``) and the week's newest
    report text (``this_week_text``; ``texts=False``: NULL, not looked up).

    ``last_report_week_start`` (the latest week reported, kept by the ledger) spares most lookups:
    a row never reported has no report; one last reported up to this week has it as its latest
    (``last_week`` is then NULL: the week is that of ``last_report_week_start``); and a row last
    reported before ``week`` has as its latest report its latest up to the week before, so its
    percentage is the one frozen for that week a moment before when ``frozen_percents`` has it (the
    snapshots' percentages the dispatch's freeze just wrote, by assignment id).
    """
    reports = ProgressReport.objects.filter(
        assignment=OuterRef("pk"), week__lte=week, voided_at=None
    ).order_by("-week", "-created_at", "-id")
    this_week = ProgressReport.objects.filter(assignment=OuterRef("pk"), week=week, voided_at=None).order_by(
        "-created_at", "-id"
    )
    monday = parse_week(week)
    latest_percent = Subquery(reports.values("percent")[:1])
    frozen = (
        [
            When(
                last_report_week_start__lt=monday,
                then=Coalesce(
                    _Keyed(frozen_percents, IntegerField()), latest_percent, output_field=IntegerField()
                ),
            )
        ]
        if frozen_percents
        else []
    )
    return {
        "last_week": Case(
            When(last_report_week_start__gt=monday, then=Subquery(reports.values("week")[:1])),
            default=Value(None, output_field=CharField()),
        ),
        "last_percent": Case(
            When(last_report_week_start__isnull=True, then=Value(None, output_field=IntegerField())),
            *frozen,
            default=latest_percent,
            output_field=IntegerField(),
        ),
        "this_week_text": Case(
            When(last_report_week_start__gte=monday, then=Subquery(this_week.values("text")[:1])),
            default=Value(None, output_field=TextField()),
            output_field=TextField(),
        )
        if texts
        else Value(None, output_field=TextField()),
    }


def job_rows(
    week: str,
    *,
    today: datetime.date,
    queryset=None,
    texts: bool = True,
    frozen_percents: dict[int, int] | None = None,
):
    """Yield a lean ``LedgerRow`` per assignment for ``week`` as the jobs read it, live on ``today``
    (the week's Sunday for the snapshot, Monday for the dispatch), in task then unit order.

    Two queries whatever the number of rows: the measures' milestones, and one streamed query
    (``iterator``: a server-side cursor on PostgreSQL) of the assignments' own columns with the
    latest report up to the week and the week's newest report text (``_week_reports``), and the
    week's snapshot joined. No history, measures or officials are read (their fields are ""): what
    a row of the workbook shows beyond the state is not what a job uses. Level and reason are ``levels.judge`` on ``today`` (the Python twin of
    ``with_level(today)``). ``texts=False``: the week's report is not looked up (``week_text`` "",
    ``reported_this_week`` False), for a job that does not show it. ``frozen_percents``: the
    percentages the previous week's freeze just wrote (``insert_snapshots``), which spare the
    lookup of the rows not reported since.
    """
    monday = parse_week(week)
    queryset = Assignment.objects.unscoped() if queryset is None else queryset
    queryset = queryset.annotate(
        **_week_reports(week, texts=texts, frozen_percents=frozen_percents),
        snap=FilteredRelation("snapshots", condition=Q(snapshots__week=week)),
    )
    passed = {task_id: passed_milestone(today, dates) for task_id, dates in task_milestones().items()}
    columns = _JOB_COLUMNS + _SNAPSHOT_COLUMNS
    values = queryset.order_by("task__number", *unit_order("unit__"), "pk").values_list(*columns)
    week_end = week_range(week)[1]
    for values_row in values.iterator(chunk_size=CHUNK):
        (
            pk,
            version,
            task_id,
            number,
            deadline_text,
            plan,
            unit,
            unit_kind,
            status,
            due_date,
            extended,
            percent,
            last_start,
            signed_off_at,
            last_week,
            last_percent,
            text,
        ) = values_row[: len(_JOB_COLUMNS)]
        effective_due = extended or due_date
        judgement = judge(
            today,
            status=status,
            effective_due=effective_due,
            last_report_week_start=last_start,
            percent=percent,
            milestone=passed.get(task_id),
        )
        signed_off_on = timezone.localdate(signed_off_at) if signed_off_at else None
        if status != Status.SIGNED_OFF or (signed_off_on and signed_off_on > week_end):
            signed_off_on = None  # not signed off as the week ended
        row = LedgerRow(
            assignment_id=pk,
            version=version,
            task_number=number,
            category_number=0,
            category="",
            problem="",
            goal="",
            measures="",
            unit=unit,
            unit_kind=unit_kind,
            officials="",
            deadline_text=deadline_text,
            due_date=due_date,
            effective_due=effective_due,
            week_text=text or "",
            history="",
            percent=percent if last_percent is None else last_percent,
            status=status,
            level=judgement.level,
            signed_off_on=signed_off_on,
            last_report_week=last_week if last_start is None or last_start > monday else week_of(last_start),
            reported_this_week=text is not None,
            level_reason=judgement.reason,
            as_of=today,
            plan=plan,
        )
        if values_row[len(_JOB_COLUMNS)] is not None:
            _, s_status, s_level, s_reason, s_percent, s_due, s_effective, s_last, s_text = values_row[
                len(_JOB_COLUMNS) :
            ]
            row.source = Source.SNAPSHOT
            row.status = s_status
            row.level = Level.SIGNED_OFF.value if s_status == Status.SIGNED_OFF else s_level
            row.level_reason = s_reason or ("已销号" if row.level == Level.SIGNED_OFF else "")
            row.percent, row.due_date, row.effective_due = s_percent, s_due, s_effective
            row.week_text, row.last_report_week = s_text, s_last
            row.reported_this_week = s_last == week
            if row.status != Status.SIGNED_OFF:
                row.signed_off_on = None
        yield row


# --- the week's freeze: one INSERT … SELECT ------------------------------------------------------------


def unfrozen(week: str, queryset=None):
    """The assignments of ``queryset`` (default: every unit's) without a snapshot of ``week``."""
    queryset = Assignment.objects.unscoped() if queryset is None else queryset
    return queryset.annotate(snap=FilteredRelation("snapshots", condition=Q(snapshots__week=week))).filter(
        snap__id=None
    )


class _Keyed(Func):
    """The value under the row's id in a JSON object given as one parameter (``{"12": "red", …}``),
    NULL for an id not in it: values worked out in Python, joined to their rows in the database."""

    def __init__(self, mapping: dict, output_field=None):
        text = json.dumps({str(key): value for key, value in mapping.items()}, ensure_ascii=False)
        super().__init__(Value(text), Cast("pk", CharField()), output_field=output_field or CharField())

    def _parts(self, compiler):
        (mapping, mapping_params), (key, key_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        return mapping, key, (*mapping_params, *key_params)

    def as_sql(self, compiler, connection, **extra):  # SQLite
        mapping, key, params = self._parts(compiler)
        return f"json_extract({mapping}, '$.\"' || {key} || '\"')", params

    def as_postgresql(self, compiler, connection, **extra):
        mapping, key, params = self._parts(compiler)
        sql = f"(CAST({mapping} AS jsonb) ->> {key})"
        if isinstance(self.output_field, IntegerField):
            sql = f"CAST({sql} AS integer)"
        return sql, params


def _iso_week(field: str):
    """``tasks.weeks.week_of`` in SQL: the ISO week of a date column as text (``2017-W36``)."""
    return Concat(
        Cast(ExtractIsoYear(field), CharField()),
        Value("-W"),
        LPad(Cast(ExtractWeek(field), CharField()), 2, Value("0")),
        output_field=CharField(),
    )


# The snapshot's columns in the order ``insert_snapshots`` selects them.
_FROZEN_FIELDS = (
    "week",
    "assignment",
    "status",
    "level",
    "level_reason",
    "percent",
    "due_date",
    "effective_due",
    "last_report_week",
    "report_text",
    "created_at",
)


def insert_snapshots(week: str, levels: dict[int, str], reasons: dict[int, str]) -> dict[int, int]:
    """Freeze ``week`` for the rows in ``levels`` that have no snapshot of it yet, in ONE statement,
    ``INSERT … SELECT`` in the database: each row's level and reason as judged in Python (``levels``,
    ``reasons``: by assignment id, passed as two JSON parameters), the rest from the row and its
    reports as ``job_rows`` reads them (``_week_reports``). A row frozen meanwhile (a concurrent run)
    is skipped at the unique (week, assignment). Returns the inserted rows' percentages by assignment
    id (``RETURNING``: what the dispatch then reads instead of looking those reports up again)."""
    monday = parse_week(week)
    queryset = (
        unfrozen(week)
        .annotate(
            **_week_reports(week),
            frozen_week=Value(week, output_field=CharField()),
            frozen_level=_Keyed(levels),
            frozen_reason=_Keyed(reasons),
            frozen_percent=Coalesce("last_percent", "percent", output_field=IntegerField()),
            frozen_effective_due=effective_due(),
            frozen_last_week=Case(
                When(last_report_week_start__lte=monday, then=_iso_week("last_report_week_start")),
                default=F("last_week"),
                output_field=CharField(),
            ),
            frozen_text=Coalesce("this_week_text", Value(""), output_field=TextField()),
            frozen_at=Value(clock.now(), output_field=DateTimeField()),
        )
        .filter(frozen_level__isnull=False)  # a row added since the levels were judged waits
        .order_by("pk")
        .values_list(
            "frozen_week",
            "pk",
            "status",
            "frozen_level",
            "frozen_reason",
            "frozen_percent",
            "due_date",
            "frozen_effective_due",
            "frozen_last_week",
            "frozen_text",
            "frozen_at",
        )
    )
    select, params = queryset.query.sql_with_params()
    meta = WeeklySnapshot._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in _FROZEN_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) {select} ON CONFLICT DO NOTHING "
            f"RETURNING {quote(meta.get_field('assignment').column)}, {quote(meta.get_field('percent').column)}",
            params,
        )
        return dict(cursor.fetchall())
