"""The dispatch jobs as plain functions: called by the Celery tasks, the commands and the tests.

- ``dispatch_weekly(week)``: Monday's 周调度. Freezes the week that just ended as
  ``WeeklySnapshot`` rows, then tells each unit with open assignments what it owes
  this week, with the page path of the week's workbook (``/ledger/weekly.xlsx?week=…``).
- ``chase_reports(week)``: Wednesday's 催报 to units with open assignments not yet
  reported for the week; rows ignored over several chasers are escalated to the unit's leaders
  and then the office (``escalate_chasers``).
- ``warn_deadlines(date)``: the daily 到期预警 about deadlines and measure milestones
  due within seven days and deadlines that have passed, each warned once; and the listed
  supervisions (挂牌督办) whose deadline is near or passed (``warn_listings``).
- ``make_bulletin(month)`` / ``publish_bulletin(bulletin, actor)``: in ``dispatch.bulletin``.

Each job runs in one transaction and is idempotent: messages are keyed by (job,
period, recipient) (``dispatch.notify``), snapshots by (week, assignment), warnings by
(assignment, deadline). Assignments are read through ``with_level(today)``, the one
warning rule, where ``today`` is fixed by the period (the week's Monday or Wednesday,
the given date), so a run by hand for a past period sees that period's levels.

A period that has not come is refused (``dispatch.periods.NotYet``): a week before its
Monday, a date after today, a month before it ended. Run early, a job would freeze
today's state as that period's (snapshots, the bulletin) and send messages for it.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.http import urlencode

from accountability.models import ListedSupervision
from dispatch import events
from dispatch.models import DeadlineWarning, Notification, NotificationKind
from dispatch.notify import Delivery, Message, deliver, unit_recipients
from dispatch.periods import check_day, check_week_started
from reports.models import WeeklySnapshot
from reports.rows import insert_snapshots, job_rows, task_milestones, unfrozen, without_jit
from tasks.choices import LEVEL_TITLES, Level, Status
from tasks.models import Assignment, Measure, Plan, ProgressReport, Unit
from tasks.models.levels import judge, passed_milestone
from tasks.models.plan import unit_order, unit_sort_key
from tasks.weeks import week_of, week_range

WARN_DAYS = 7  # deadlines this close are warned about


def level_words(level: str, reason: str) -> str:
    """A row's light and its reason as the messages write it: 红色预警（已 3 周未报送）."""
    title = LEVEL_TITLES[Level(level)]
    return f"{title}（{reason}）" if reason and reason != title else title


@dataclass
class Result:
    """What a job run did, for the command's summary and the task's log."""

    period: str
    messages: Delivery = field(default_factory=Delivery)
    units: int = 0
    snapshots_created: int = 0
    snapshots_existing: int = 0
    warnings_created: int = 0


def _unit_ids() -> dict[str, int]:
    return dict(Unit.objects.values_list("name", "id"))


def freeze_week(week: str) -> tuple[int, int]:
    """Store each assignment's state as the week ended; rows already frozen stay. (created, existing)."""
    frozen, existing = _freeze(week)
    return len(frozen), existing


def _freeze(week: str) -> tuple[dict[int, int], int]:
    """``freeze_week``, returning the percentages frozen now by assignment id, and the count of rows frozen before.

    Four queries whatever the size of the ledger: the rows not frozen yet are judged on the week's
    Sunday from their own columns (``open_rows``: the milestones, then one streamed query), and
    written by one ``INSERT … SELECT`` that reads their reports in the database
    (``reports.rows.insert_snapshots``), then the week's snapshots are counted. Memory holds the
    levels, reasons and percentages, never the rows' texts.
    """
    _monday, sunday = week_range(week)
    levels, reasons = {}, {}
    for row in open_rows(unfrozen(week).order_by(), sunday):
        levels[row.pk], reasons[row.pk] = row.level, row.level_reason[:200]
    frozen = insert_snapshots(week, levels, reasons) if levels else {}
    existing = WeeklySnapshot.objects.filter(week=week).count() - len(frozen)
    return frozen, existing


def _weekly_line(row, *, several_plans: bool = False) -> str:
    due = row.effective_due.isoformat() if row.effective_due else row.deadline_text
    last = row.last_report_week or "尚未报送"
    plan = f"（{row.plan}）" if several_plans else ""  # task numbers repeat across plans
    line = (
        f"任务{row.task_number}{plan}：{row.status_label}，{level_words(row.level, row.level_reason)}，"
        f"整改时限 {due}，最近报送 {last}，完成 {row.percent}%"
    )
    if row.is_overdue:
        line += "。本周须说明逾期原因、补救措施和新的完成时间，或申请延期"
    elif row.last_report_week is None:
        line += "。本周须报送启动情况和工作安排"
    elif row.level == Level.RED:
        line += "。本周须报送进展，说明未按时报送或进度滞后的原因和补救措施"
    return line


def weekly_workbook_path(week: str) -> str:
    """The page that downloads the week's workbook (each reader gets the rows they may see)."""
    return f"{reverse('weekly-excel')}?{urlencode({'week': week})}"


def dispatch_weekly(week: str) -> Result:
    """Monday's dispatch for ``week``: freeze the previous week, message each unit with open assignments."""
    monday, sunday = week_range(week)
    check_week_started(monday, week)
    previous = week_of(monday - datetime.timedelta(days=1))
    result = Result(period=week)
    with transaction.atomic():
        without_jit()  # the reads' per-row lookups are costed as if all ran (``reports.rows``)
        frozen, result.snapshots_existing = _freeze(previous)
        result.snapshots_created = len(frozen)
        by_unit = defaultdict(list)
        several_plans = Plan.objects.filter(closed_at=None).count() > 1
        # a closed (归档) plan is out of the dispatch; a row not reported since last week has the
        # percentage just frozen for it (no second lookup of its latest report)
        rows = job_rows(
            week,
            today=monday,
            queryset=Assignment.objects.in_open_plans(),
            texts=False,
            frozen_percents=frozen,
        )
        for row in rows:
            if row.is_open:
                by_unit[row.unit].append(row)
        unit_ids = _unit_ids()
        recipients = unit_recipients(unit_ids[name] for name in by_unit)
        workbook = weekly_workbook_path(week)
        desk = reverse("desk")  # where the unit reports
        messages = []
        for unit, rows in sorted(
            by_unit.items(), key=lambda item: unit_sort_key(item[0], item[1][0].unit_kind)
        ):
            unit_id = unit_ids[unit]
            late = sum(1 for r in rows if r.is_overdue)
            red = sum(1 for r in rows if r.level == Level.RED)
            flags = [f"{late} 项逾期"] if late else []
            flags += [f"{red} 项红色预警"] if red else []
            subject = f"{week} 周调度：{unit}本周须报送 {len(rows)} 项整改进展" + (
                f"（{'，'.join(flags)}）" if flags else ""
            )
            body = "\n".join(
                [
                    f"{unit}：本周（{monday:%Y-%m-%d} 至 {sunday:%Y-%m-%d}）须逐项报送以下 {len(rows)} 项台账的整改进展。",
                    *(f"{i}. {_weekly_line(r, several_plans=several_plans)}" for i, r in enumerate(rows, 1)),
                    "本周报送应写明：本周完成的工作、完成比例、存在的问题和下周计划；措施有节点时间的，逐条说明进展。",
                    f"本周周报表（Excel）：{workbook}（台账页面“下载周报表”）；可离线填写本周进展和完成比例后，"
                    "在“我的任务”页面上传报送。",
                ]
            )
            messages += [
                Message(user_id, subject, body, unit_id, desk) for user_id in recipients.get(unit_id, [])
            ]
            result.units += 1
        result.messages = deliver(
            "weekly_dispatch", week, NotificationKind.WEEKLY_DISPATCH, messages, group=True
        )
    return result


def chase_reports(week: str) -> Result:
    """Wednesday's chaser: units with open assignments not reported for ``week``."""
    monday, _sunday = week_range(week)
    check_week_started(monday, week)
    wednesday = monday + datetime.timedelta(days=2)
    result = Result(period=week)
    with transaction.atomic():
        missing = (
            Assignment.objects.in_open_plans()
            .exclude(status=Status.SIGNED_OFF)
            .exclude(
                Exists(ProgressReport.objects.filter(assignment=OuterRef("pk"), week=week, voided_at=None))
            )
            .order_by(*unit_order("unit__"), "task__number")
        )
        by_unit = _open_rows_by_unit(missing, wednesday)
        recipients = unit_recipients(unit.pk for unit in by_unit)
        desk = reverse("desk")
        messages = []
        for unit, assignments in by_unit.items():
            numbers = "、".join(str(a.task.number) for a in assignments)
            subject = f"{week} 催报：{unit.name}尚有 {len(assignments)} 项台账未报送本周进展"
            body = "\n".join(
                [
                    f"{unit.name}：截至本周三，以下 {len(assignments)} 项台账尚未报送 {week} 的整改进展，请于本周内报送。",
                    f"任务序号：{numbers}",
                    *(
                        f"任务{a.task.number}：{level_words(a.level, a.level_reason)}，整改时限 "
                        f"{a.effective_due.isoformat() if a.effective_due else a.task.deadline_text}"
                        for a in assignments
                    ),
                ]
            )
            messages += [
                Message(user_id, subject, body, unit.pk, desk) for user_id in recipients.get(unit.pk, [])
            ]
            result.units += 1
        result.messages = deliver("report_chaser", week, NotificationKind.REPORT_CHASER, messages, group=True)
        result.messages += escalate_chasers(week, by_unit)
    return result


def escalate_chasers(week: str, by_unit: dict) -> Delivery:
    """Rows whose unit ignored ``CHASER_ESCALATE_LEADERS`` earlier chasers (no report since) go to the
    unit's leaders, after ``CHASER_ESCALATE_OFFICE`` to the office too (events ``chaser.to_leaders``,
    ``chaser.to_office``, keyed by week and unit). A chaser counts as ignored for a row when its week
    came after the row's last reported week: the chaser named every open row not reported that week."""
    chased = (
        Notification.objects.filter(job="report_chaser", unit_id__in=[u.pk for u in by_unit], period__lt=week)
        .values_list("unit_id", "period")
        .distinct()
    )
    weeks = defaultdict(set)
    for unit_id, period in chased:
        weeks[unit_id].add(period)
    delivery = Delivery()
    for unit, rows in by_unit.items():
        ignored = {}  # row -> (chasers ignored, its last reported week or "")
        for a in rows:
            last = week_of(a.last_report_week_start) if a.last_report_week_start else ""
            ignored[a] = (sum(1 for w in weeks[unit.pk] if w > last), last)
        for name, threshold in (
            ("chaser.to_leaders", settings.CHASER_ESCALATE_LEADERS),
            ("chaser.to_office", settings.CHASER_ESCALATE_OFFICE),
        ):
            late = [(a, n, last) for a, (n, last) in ignored.items() if n >= threshold]
            if late:
                delivery += events.tell(name, f"{week}:{unit.pk}", unit, {"week": week, "rows": late})
    return delivery


@dataclass(frozen=True)
class TaskRef:
    """What the messages and the events' templates read of a row's task (``a.task.number``)."""

    number: int
    deadline_text: str


@dataclass(eq=False)
class OpenRow:
    """An open assignment as the chaser and the warnings read it: its own columns and its level on
    the job's day (``levels.judge``, the twin of ``with_level``), never the model with its texts."""

    pk: int
    task_id: int
    task: TaskRef
    unit_id: int
    status: str
    effective_due: datetime.date | None
    last_report_week_start: datetime.date | None
    level: str
    level_reason: str


_OPEN_COLUMNS = (
    "pk",
    "task_id",
    "task__number",
    "task__deadline_text",
    "unit_id",
    "status",
    "due_date",
    "extended_due_date",
    "last_report_week_start",
    "percent",
)


def open_rows(queryset, day: datetime.date, milestones: dict | None = None):
    """Yield an ``OpenRow`` per assignment of ``queryset`` (in its order), judged on ``day``: one
    streamed query of the columns above (plus one for the milestones unless given)."""
    milestones = task_milestones() if milestones is None else milestones
    passed = {task_id: passed_milestone(day, dates) for task_id, dates in milestones.items()}
    tasks = {}
    for (
        pk,
        task_id,
        number,
        deadline_text,
        unit_id,
        status,
        due,
        extended,
        last,
        percent,
    ) in queryset.values_list(*_OPEN_COLUMNS).iterator(chunk_size=2000):
        effective_due = extended or due
        judgement = judge(
            day,
            status=status,
            effective_due=effective_due,
            last_report_week_start=last,
            percent=percent,
            milestone=passed.get(task_id),
        )
        task = tasks.get(task_id)
        if task is None:
            task = tasks[task_id] = TaskRef(number, deadline_text)
        yield OpenRow(
            pk, task_id, task, unit_id, status, effective_due, last, judgement.level, judgement.reason
        )


def _open_rows_by_unit(queryset, day: datetime.date) -> dict:
    """``open_rows`` grouped by their unit (``Unit`` objects, one query), in the queryset's order."""
    grouped = defaultdict(list)
    for row in open_rows(queryset, day):
        grouped[row.unit_id].append(row)
    units = Unit.objects.only("id", "name", "kind").in_bulk(list(grouped))
    return {units[unit_id]: rows for unit_id, rows in grouped.items()}


@dataclass
class _Deadline:
    assignment: OpenRow
    key: str
    text: str


def _deadlines(day: datetime.date) -> list[_Deadline]:
    """Every deadline in the window: effective due dates up to ``day`` + 7 (past ones as overdue),
    and measure milestones from ``day`` to ``day`` + 7, for open assignments."""
    horizon = day + datetime.timedelta(days=WARN_DAYS)
    open_ = Assignment.objects.in_open_plans().exclude(status=Status.SIGNED_OFF)
    milestones = task_milestones()
    found = []
    due_rows = open_.filter(
        Q(extended_due_date__lte=horizon) | Q(extended_due_date=None, due_date__lte=horizon)
    ).order_by("task__number", "unit__name")
    for a in open_rows(due_rows, day, milestones):
        due = a.effective_due
        if due < day:
            found.append(
                _Deadline(
                    a,
                    f"overdue:{due}",
                    f"任务{a.task.number}：整改时限 {due} 已过，现已逾期，请尽快完成或申请延期",
                )
            )
        else:
            found.append(
                _Deadline(
                    a, f"due:{due}", f"任务{a.task.number}：整改时限 {due}，还有 {(due - day).days} 天到期"
                )
            )
    in_window = defaultdict(list)  # task id -> [(measure number, date)]
    for task_id, number, dates in Measure.objects.exclude(milestones=[]).values_list(
        "task_id", "number", "milestones"
    ):
        for value in dates or []:
            try:
                date = datetime.date.fromisoformat(value)
            except (TypeError, ValueError):
                continue
            if day <= date <= horizon:
                in_window[task_id].append((number, date))
    if in_window:
        rows = open_.filter(task_id__in=list(in_window)).order_by("task__number", "unit__name")
        for a in open_rows(rows, day, milestones):
            for number, date in sorted(in_window[a.task_id]):
                found.append(
                    _Deadline(
                        a,
                        f"milestone:{number}:{date}",
                        f"任务{a.task.number}：措施{number}的节点时间 {date}，还有 {(date - day).days} 天",
                    )
                )
    return found


def warn_deadlines(day: datetime.date) -> Result:
    """The daily warning: each deadline in the window not warned before, once, to its unit."""
    check_day(day)
    period = day.isoformat()
    result = Result(period=period)
    with transaction.atomic():
        deadlines = _deadlines(day)
        ids = {d.assignment.pk for d in deadlines}
        warned = set(
            DeadlineWarning.objects.filter(assignment_id__in=ids).values_list("assignment_id", "key")
        )
        # A unit already told today waits for tomorrow's run, so a deadline is never recorded as
        # warned without a message that says so.
        told_today = set(
            Notification.objects.filter(
                job="deadline_warning", period=period, unit__isnull=False
            ).values_list("unit_id", flat=True)
        )
        grouped = defaultdict(list)
        for d in deadlines:
            if (d.assignment.pk, d.key) not in warned and d.assignment.unit_id not in told_today:
                grouped[d.assignment.unit_id].append(d)
        units = Unit.objects.only("id", "name").in_bulk(list(grouped))
        by_unit = {units[unit_id]: items for unit_id, items in grouped.items()}
        recipients = unit_recipients(unit.pk for unit in by_unit)
        desk = reverse("desk")
        messages, records = [], []
        for unit, items in by_unit.items():
            users = recipients.get(unit.pk, [])
            if not users:
                continue  # nobody to tell yet: warned once someone can read it
            overdue = sum(1 for d in items if d.key.startswith("overdue:"))
            subject = f"{period} 到期预警：{unit.name} {len(items)} 项" + (
                f"（{overdue} 项已逾期）" if overdue else ""
            )
            body = "\n".join(
                [
                    f"{unit.name}：以下整改事项临近期限或已逾期。",
                    *(f"{i}. {d.text}" for i, d in enumerate(items, 1)),
                ]
            )
            messages += [Message(user_id, subject, body, unit.pk, desk) for user_id in users]
            records += [
                DeadlineWarning(assignment_id=d.assignment.pk, key=d.key, warned_on=day) for d in items
            ]
            result.units += 1
        DeadlineWarning.objects.bulk_create(records, ignore_conflicts=True)
        result.warnings_created = len(records)
        result.messages = deliver(
            "deadline_warning", period, NotificationKind.DEADLINE_WARNING, messages, group=True
        )
        result.messages += warn_listings(day)
    return result


LISTING_EVENTS = ("supervision.due_soon", "supervision.overdue")


def warn_listings(day: datetime.date) -> Delivery:
    """挂牌督办: each listing not lifted whose deadline is within ``WARN_DAYS`` or has passed, told once
    (``supervision.due_soon``, then ``supervision.overdue``, each keyed by the listing)."""
    listings = list(
        ListedSupervision.objects.filter(
            lifted_at=None, deadline__lte=day + datetime.timedelta(days=WARN_DAYS)
        ).select_related("assignment__task", "assignment__unit")
    )
    told = set(
        Notification.objects.filter(
            job__in=LISTING_EVENTS, period__in=[str(listing.pk) for listing in listings]
        ).values_list("job", "period")
    )
    delivery = Delivery()
    for listing in listings:
        name = LISTING_EVENTS[1] if listing.deadline < day else LISTING_EVENTS[0]
        if (name, str(listing.pk)) not in told:
            delivery += events.on_event(name, assignment=listing.assignment, listing=listing)
    return delivery
