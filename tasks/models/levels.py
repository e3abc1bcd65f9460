"""The ledger's judgement of a row: its warning level (红/黄/绿, or 已销号) with a reason, and its bucket.

One rule, written twice: in SQL (``level_annotations``, used by ``AssignmentQuerySet.with_level`` so
every list filters, sorts and counts by it) and in Python (``judge``, for a state that is not in the
database and for the reason shown as the light's tooltip). ``tests/test_levels.py`` holds the two
together on a grid of cases and on every row of the demo ledger.

The level of an open row on ``day``, first match:

- red (红色预警):
  - past its effective due date (the extended date if an extension was approved): 已逾期 N 天;
  - ``LEVEL_RED_WEEKS`` (2) reporting weeks or more without a report, counting the weeks before
    the current one since the last week reported (or, never reported, since ``LEVEL_START``):
    已 N 周未报送;
  - the latest milestone of the task's measures that has passed (before ``day``) is unmet: the
    percentage is below the milestone's share, the progress a straight line from ``LEVEL_START``
    to the due date reaches on the milestone's date (100 % for a milestone on or after the due date
    or without one): 里程碑 2017-10-31 已过，进度 30%（应达 60%）;
- yellow (黄色预警):
  - due within ``LEVEL_YELLOW_DAYS`` (30) days and below the progress expected today (the same
    straight line): 距完成时限 20 天，进度 30%（应达 80%）;
  - last week's report missing: 上周（第47周）未报送;
- green (绿色): otherwise (on track).

A signed-off row is 已销号 (``Level.SIGNED_OFF``), not a colour.

The bucket (``bucket_on`` and ``bucket_filters``, the one partition the dashboard, the bulletin, the
public page and the workbooks' summaries count by), first match: signed off (已销号); overdue (逾期:
past the effective due date, reopened or not); reopened after a relapse (问题反弹); on track
(按计划推进).
"""

import datetime
import json
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Case, ExpressionWrapper, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from tasks.choices import Level, Status
from tasks.weeks import week_of, week_start, week_title

EPOCH = datetime.date(1970, 1, 1)
BUCKETS = ("signed_off", "overdue", "reopened", "on_track")  # in the order the rule tries them


def red_weeks() -> int:
    return settings.LEVEL_RED_WEEKS


def yellow_days() -> int:
    return settings.LEVEL_YELLOW_DAYS


def level_start() -> datetime.date:
    """The Monday from which reports are owed and progress is expected (the plan's feedback week)."""
    return week_start(settings.LEVEL_START)


def rule_lines() -> list[tuple[str, str]]:
    """The rule in the words of the legend on every page with lights and of the workbooks: (level, text)."""
    start = level_start()
    return [
        (
            Level.RED.value,
            f"红色预警：已超过完成时限（批准延期的，按延期后的时限）；或连续 {red_weeks()} 周及以上未报送进展；"
            "或整改措施的节点时间已过，完成比例仍低于该节点应达进度",
        ),
        (
            Level.YELLOW.value,
            f"黄色预警：距完成时限 {yellow_days()} 天以内且完成比例低于应达进度；或上周未报送进展",
        ),
        (Level.GREEN.value, "绿色：按计划推进"),
        (Level.SIGNED_OFF.value, "已销号：不再预警"),
        (
            "",
            f"应达进度：自 {start.year}年{start.month}月{start.day}日 起至完成时限，按时间均匀推进计算"
            "（节点时间在完成时限之后或无完成时限的，应达 100%）",
        ),
    ]


def rule_text() -> str:
    return "；".join(text for _level, text in rule_lines()) + "。"


# --- the Python twin ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    level: str
    reason: str

    @property
    def label(self) -> str:
        return Level(self.level).label


def expected_share(on: datetime.date, due: datetime.date | None) -> int:
    """The percentage a straight line from ``level_start()`` to ``due`` reaches on ``on`` (whole
    percent, rounded up, so that ``percent < expected_share`` is exactly "below the line")."""
    start = level_start()
    if due is None or on >= due or due <= start:
        return 100
    if on <= start:
        return 0
    return -(-100 * (on - start).days // (due - start).days)  # ceiling


def silent_weeks(day: datetime.date, last_report_week_start: datetime.date | None) -> int:
    """The reporting weeks before ``day``'s week without a report since the last one reported (or
    since ``level_start()`` for a row never reported)."""
    current = week_start(day)
    if last_report_week_start is None:
        return max((current - level_start()).days // 7, 0)
    return max((current - last_report_week_start).days // 7 - 1, 0)


def passed_milestone(day: datetime.date, milestones) -> datetime.date | None:
    """The latest of ``milestones`` (ISO dates or dates) before ``day``."""
    passed = [m for m in (_as_date(m) for m in milestones) if m is not None and m < day]
    return max(passed, default=None)


def _as_date(value):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def judge(
    day: datetime.date,
    *,
    status: str,
    effective_due: datetime.date | None,
    last_report_week_start: datetime.date | None,
    percent: int,
    milestone: datetime.date | None,
) -> Judgement:
    """The level and its reason on ``day`` (``milestone``: the latest milestone passed before ``day``,
    ``passed_milestone``). The same rule as ``level_annotations`` (SQL)."""
    if status == Status.SIGNED_OFF:
        return Judgement(Level.SIGNED_OFF.value, "已销号")
    percent = percent or 0
    if effective_due is not None and effective_due < day:
        return Judgement(
            Level.RED.value, f"已逾期 {(day - effective_due).days} 天（完成时限 {effective_due}）"
        )
    silent = silent_weeks(day, last_report_week_start)
    if silent >= red_weeks():
        never = "，尚无报送" if last_report_week_start is None else ""
        return Judgement(Level.RED.value, f"已 {silent} 周未报送{never}")
    if milestone is not None:
        share = expected_share(milestone, effective_due)
        if percent < share:
            return Judgement(Level.RED.value, f"里程碑 {milestone} 已过，进度 {percent}%（应达 {share}%）")
    if effective_due is not None and effective_due <= day + datetime.timedelta(days=yellow_days()):
        share = expected_share(day, effective_due)
        if percent < share:
            left = (effective_due - day).days
            return Judgement(Level.YELLOW.value, f"距完成时限 {left} 天，进度 {percent}%（应达 {share}%）")
    if silent >= 1:
        last_week = week_start(day) - datetime.timedelta(days=7)
        return Judgement(Level.YELLOW.value, f"上周（{week_title(week_of(last_week))}）未报送")
    if effective_due is None:
        return Judgement(Level.GREEN.value, f"按期报送，进度 {percent}%")
    return Judgement(
        Level.GREEN.value, f"按计划推进，进度 {percent}%（应达 {expected_share(day, effective_due)}%）"
    )


# --- the SQL annotation ------------------------------------------------------------------------------


class DayNumber(models.Func):
    """Days since 1970-01-01 of a date (or an ISO date text), as an integer, in PostgreSQL and SQLite."""

    output_field = models.IntegerField()
    arity = 1

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="(CAST(%(expressions)s AS date) - DATE '1970-01-01')", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)", **extra
        )


class LatestMilestoneBefore(models.Func):
    """The latest ISO date in a JSON list column before a day (text, NULL without one)."""

    output_field = models.CharField()
    arity = 1

    def __init__(self, expression, day: datetime.date):
        super().__init__(expression)
        self.day = day.isoformat()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"(SELECT MAX(e.value) FROM jsonb_array_elements_text({sql}) AS e(value) WHERE e.value < %s)",
            (*params, self.day),
        )

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"(SELECT MAX(e.value) FROM json_each({sql}) AS e WHERE e.value < %s)",
            (*params, self.day),
        )


def effective_due():
    """A row's due date in force in SQL: the extended one when granted, else the plan's
    (``Assignment.effective_due_date`` in Python; the index ``assignment_effective_due_idx`` is on it)."""
    return Coalesce(F("extended_due_date"), F("due_date"))


def _days(day: datetime.date) -> int:
    return (day - EPOCH).days


def _int(value: int):
    return Value(value, output_field=models.IntegerField())


def latest_milestone(day: datetime.date):
    """The latest milestone of the row's task passed before ``day`` (ISO text), as a subquery."""
    Measure = apps.get_model("tasks", "Measure")
    milestones = (
        Measure.objects.filter(task=OuterRef("task_id"))
        .annotate(latest=LatestMilestoneBefore(F("milestones"), day))
        .filter(latest__isnull=False)
        .order_by("-latest")
        .values("latest")[:1]
    )
    return Subquery(milestones, output_field=models.CharField())


def milestones_by_task(day: datetime.date) -> dict[int, str]:
    """Per task id, the latest milestone of its measures passed before ``day`` (ISO text, as
    ``latest_milestone`` reads it in SQL: the greatest text below the day's), in one query over the
    measures. For a query over many rows of few tasks: ``with_level(day, milestones=…)`` then reads the
    milestone from these constants instead of a subquery per row."""
    Measure = apps.get_model("tasks", "Measure")
    iso = day.isoformat()
    latest: dict[int, str] = {}
    for task_id, milestones in Measure.objects.values_list("task_id", "milestones").order_by():
        for value in milestones or ():
            if value is None:
                continue
            text = value if isinstance(value, str) else json.dumps(value)
            if text < iso and text > latest.get(task_id, ""):
                latest[task_id] = text
    return latest


def milestone_of_task(milestones: dict[int, str]):
    """``latest_milestone``'s value from ``milestones_by_task``: a CASE over the tasks' ids (NULL for a
    task without a milestone passed)."""
    by_date: dict[str, list[int]] = {}
    for task_id, text in milestones.items():
        by_date.setdefault(text, []).append(task_id)
    if not by_date:
        return Value(None, output_field=models.CharField())
    return Case(
        *(When(task_id__in=sorted(ids), then=Value(text)) for text, ids in sorted(by_date.items())),
        default=Value(None),
        output_field=models.CharField(),
    )


class MilestoneUnmet(models.Expression):
    """The red rule's unmet milestone when each task's latest passed milestone is a constant
    (``milestones_by_task``): ``CASE WHEN task IN (…) THEN <the test against that date> … ELSE FALSE``,
    a group per milestone date, written here so that the row's percent, due date and task are
    compiled once rather than once per comparison (the comparisons of a few dozen tasks' milestones
    cost more to compile than the database takes to count the ledger).

    The test is the subquery form's in ``level_annotations`` (``expected_share``'s rule): below 100 %
    when there is no due date or it is on or before ``start`` or the milestone; otherwise, for a
    milestone after ``start``, below the straight line's share on the milestone,
    ``percent × (due − start) < 100 × (milestone − start)`` in whole days."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, groups: tuple, start: int):
        super().__init__(output_field=models.BooleanField())
        self.groups = groups  # ((milestone's day number, (task id, …)), …), by date
        self.start = start  # level_start()'s day number
        self.sources = [F("task_id"), F("percent"), DayNumber(F("effective_due"))]

    def get_source_expressions(self):
        return self.sources

    def set_source_expressions(self, exprs):
        self.sources = list(exprs)

    def as_sql(self, compiler, connection, **extra):
        (task, task_params), (percent, percent_params), (due, due_params) = (
            compiler.compile(expression) for expression in self.sources
        )
        sql, params = [], []
        for on, ids in self.groups:
            sql.append(
                f"WHEN {task} IN ({', '.join(['%s'] * len(ids))}) THEN "
                f"(({percent} < 100 AND ({due} IS NULL OR {due} <= %s))"
            )
            params += [*task_params, *ids, *percent_params, *due_params, *due_params, max(on, self.start)]
            if on > self.start:
                sql.append(f" OR ({due} > %s AND {percent} * ({due} - %s) < %s)")
                params += [*due_params, on, *percent_params, *due_params, self.start, 100 * (on - self.start)]
            sql.append(") ")
        return f"(CASE {''.join(sql)}ELSE FALSE END)", params


def milestone_unmet_by_task(milestones: dict[int, str], start: datetime.date):
    """``MilestoneUnmet`` over ``milestones_by_task``'s dates (None without a milestone passed)."""
    by_date: dict[int, list[int]] = {}
    for task_id, text in milestones.items():
        on = _as_date(text)
        if on is not None:
            by_date.setdefault(_days(on), []).append(task_id)
    if not by_date:
        return None
    return MilestoneUnmet(
        tuple((on, tuple(sorted(ids))) for on, ids in sorted(by_date.items())), _days(start)
    )


def level_annotations(day: datetime.date, milestones: dict[int, str] | None = None) -> list[dict]:
    """The annotations, in the order they must be applied, giving each row ``effective_due``,
    ``milestone`` (the latest passed, ISO text), ``level`` and ``level_day``: the rule of ``judge``.
    ``milestones`` (``milestones_by_task(day)``, read once by the caller) replaces the milestone's
    subquery per row by constants: the same values, for a figure over the whole ledger."""
    start = level_start()
    current = week_start(day)
    due_days = DayNumber(F("effective_due"))
    span = ExpressionWrapper(due_days - _int(_days(start)), output_field=models.IntegerField())

    def below_line(on_days):
        """percent below the straight line's share on a day (a number of days, an expression or int)."""
        on = on_days if hasattr(on_days, "resolve_expression") else _int(on_days)
        return Q(
            effective_due__isnull=False,
            effective_due__gt=start,
            percent_times_span__lt=ExpressionWrapper(
                _int(100) * (on - _int(_days(start))), output_field=models.IntegerField()
            ),
        )

    def share_100():
        return Q(effective_due__isnull=True) | Q(effective_due__lte=start)

    never_red = (current - start).days // 7 >= red_weeks()
    never_yellow = (current - start).days // 7 >= 1
    silent_red = Q(last_report_week_start__lt=current - datetime.timedelta(days=7 * red_weeks()))
    silent_yellow = Q(last_report_week_start__lt=current - datetime.timedelta(days=7))
    if never_red:
        silent_red |= Q(last_report_week_start__isnull=True)
    if never_yellow:
        silent_yellow |= Q(last_report_week_start__isnull=True)
    milestone_days = DayNumber(F("milestone"))
    if milestones is None:
        milestone_unmet = Q(milestone__isnull=False) & (
            # on or after the due date, or no due date: the milestone's share is 100 %
            ((share_100() | Q(milestone_days__gte=due_days)) & Q(percent__lt=100))
            | (
                Q(milestone_days__lt=due_days)
                & Q(milestone_days__gt=_days(start))
                & Q(
                    effective_due__gt=start,
                    percent_times_span__lt=ExpressionWrapper(
                        _int(100) * (milestone_days - _int(_days(start))), output_field=models.IntegerField()
                    ),
                )
            )
        )
    else:
        milestone_unmet = milestone_unmet_by_task(milestones, start)
    due_soon = Q(effective_due__lte=day + datetime.timedelta(days=yellow_days()))
    behind_today = (share_100() & Q(percent__lt=100)) | below_line(_days(day))
    return [
        {"effective_due": effective_due()},
        {
            "milestone": latest_milestone(day) if milestones is None else milestone_of_task(milestones),
            "percent_times_span": ExpressionWrapper(F("percent") * span, output_field=models.IntegerField()),
            "milestone_days": milestone_days,
            "level_day": Value(day, output_field=models.DateField()),
        },
        {
            "level": Case(
                When(status=Status.SIGNED_OFF, then=Value(Level.SIGNED_OFF.value)),
                When(effective_due__lt=day, then=Value(Level.RED.value)),
                When(silent_red, then=Value(Level.RED.value)),
                *(
                    [When(milestone_unmet, then=Value(Level.RED.value))]
                    if milestone_unmet is not None
                    else []
                ),
                When(due_soon & behind_today, then=Value(Level.YELLOW.value)),
                When(silent_yellow, then=Value(Level.YELLOW.value)),
                default=Value(Level.GREEN.value),
                output_field=models.CharField(),
            )
        },
    ]


def judgement_of(assignment) -> Judgement:
    """The judgement of a row read through ``with_level`` (its annotations)."""
    milestone = getattr(assignment, "milestone", None)
    return judge(
        assignment.level_day,
        status=assignment.status,
        effective_due=assignment.effective_due,
        last_report_week_start=assignment.last_report_week_start,
        percent=assignment.percent,
        milestone=_as_date(milestone) if milestone else None,
    )


# --- the bucket rule ---------------------------------------------------------------------------------


def bucket_on(day: datetime.date, *, status: str, effective_due: datetime.date | None) -> str:
    """The bucket of a row on ``day``: signed_off, overdue, reopened or on_track (``bucket_filters``' twin)."""
    if status == Status.SIGNED_OFF:
        return "signed_off"
    if effective_due is not None and effective_due < day:
        return "overdue"
    if status == Status.REOPENED:
        return "reopened"
    return "on_track"


def bucket_filters(day: datetime.date) -> dict[str, Q]:
    """A ``Q`` per bucket over assignment fields; together they partition the rows (``bucket_on``'s rule)."""
    signed_off = Q(status=Status.SIGNED_OFF)
    past_due = Q(extended_due_date__lt=day) | Q(extended_due_date__isnull=True, due_date__lt=day)
    overdue = ~signed_off & past_due
    reopened = Q(status=Status.REOPENED) & ~overdue
    return {
        "signed_off": signed_off,
        "overdue": overdue,
        "reopened": reopened,
        "on_track": ~signed_off & ~overdue & ~reopened,
    }
