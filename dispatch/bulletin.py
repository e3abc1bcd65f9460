"""The monthly bulletin (月通报): figures for a month, a draft until the office publishes it.

``bulletin_data(month)`` computes the document ``Bulletin.data`` holds; its schema is
read by ``reports.bulletin_xlsx``, the public page and the API:

- ``month``, ``start``, ``end`` (ISO dates of the month);
- ``totals`` and, per category and per unit, counts ``total``, ``signed_off``,
  ``on_track``, ``overdue``, ``reopened``. Every assignment is in exactly one bucket,
  in this order: signed off; overdue (its effective deadline passed by the month's
  end, ``with_level`` red on the 1st of the next month); reopened after a relapse;
  otherwise on track;
- ``by_unit`` adds ``unit``, ``kind``, ``on_time_rate`` (of the unit's assignments
  whose ORIGINAL due date fell by the month's end, the share signed off by that date;
  ``None`` when none was due) and ``rank`` (by on-time rate, equal rates share a rank,
  units without a rate last);
- ``overdue``: the overdue assignments (task_number, unit, due_date, effective_due, status);
- ``missed_reports``: units that left an open assignment unreported in a week of the
  month (the ISO weeks ending in the month), with those ``weeks``;
- ``newly_signed_off`` (office approvals in the month) and ``newly_reopened`` (look-back
  reviews that found a relapse in the month): task_number, unit, at;
- ``previous`` (the previous month's bulletin: month and totals) and ``change``
  (this month's totals minus those), ``None`` without a previous bulletin.

The data names units, never people. The public reads it through ``public_bulletin``:
the per-task lists (``overdue``, ``newly_signed_off``, ``newly_reopened``) without the
tasks kept out of 信息公开 (``Task.is_public`` false, read when shown, so a task
withdrawn after publication disappears too); the counts stay, they name no task.
The office's own copy (API, admin, pages for office and leaders) keeps every task.

The state counts describe the ledger when the bulletin is made (the 1st, i.e. the
month's end); the events come from dated records. Once made, the figures are a
record: a re-run leaves them (``refresh=True`` recomputes a draft, never a
published bulletin).
"""

import datetime
import re
from collections import defaultdict

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from dispatch.models import Bulletin, BulletinStatus, Kind
from dispatch.notify import Delivery, Message, deliver, office_recipients
from tasks.choices import Level, ReviewOutcome, SignOffStatus, Status
from tasks.models import Assignment, ProgressReport, Review, SignOffRequest, Task
from tasks.models.people import role_of
from tasks.services import audit
from tasks.services.errors import Forbidden, InvalidInput, InvalidTransition
from tasks.services.transitions import OFFICE
from tasks.weeks import parse_week, week_of

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
BUCKETS = ("total", "signed_off", "on_track", "overdue", "reopened")
TASK_LISTS = ("overdue", "newly_signed_off", "newly_reopened")  # the entries that name a task


class BadMonth(InvalidInput):
    pass


def parse_month(value: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a month written ``YYYY-MM``; BadMonth for anything else."""
    match = MONTH_RE.match((value or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise BadMonth(f"月份“{value}”格式不正确，应为如 2017-10 的年月", field="month")
    start = datetime.date(int(match[1]), int(match[2]), 1)
    return start, next_month(start) - datetime.timedelta(days=1)


def next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def previous_month(day: datetime.date) -> str:
    last = day.replace(day=1) - datetime.timedelta(days=1)
    return f"{last:%Y-%m}"


def _local_bounds(start: datetime.date, end: datetime.date):
    tz = timezone.get_default_timezone()
    return (timezone.make_aware(datetime.datetime.combine(start, datetime.time.min), tz),
            timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min), tz))


def month_weeks(start: datetime.date, end: datetime.date) -> list[str]:
    """The ISO weeks whose Sunday falls in the month: each week belongs to exactly one month."""
    sunday = start + datetime.timedelta(days=(6 - start.weekday()) % 7)
    weeks = []
    while sunday <= end:
        weeks.append(week_of(sunday))
        sunday += datetime.timedelta(days=7)
    return weeks


def _bucket(assignment) -> str:
    if assignment.status == Status.SIGNED_OFF:
        return "signed_off"
    if assignment.level == Level.RED:
        return "overdue"
    if assignment.status == Status.REOPENED:
        return "reopened"
    return "on_track"


def _counts() -> dict:
    return dict.fromkeys(BUCKETS, 0)


def _event(request_or_review, at) -> dict:
    a = request_or_review.assignment
    return {"task_number": a.task.number, "unit": a.unit.name, "at": timezone.localdate(at).isoformat()}


def bulletin_data(month: str) -> dict:
    """The month's figures (five queries, whatever the size of the ledger)."""
    start, end = parse_month(month)
    since, until = _local_bounds(start, end)
    assignments = list(
        Assignment.objects.with_level(end + datetime.timedelta(days=1))
        .select_related("task__category", "unit")
        .order_by("task__number", "unit__name")
    )
    totals, categories, units = _counts(), {}, {}
    due_by_end = defaultdict(int)
    on_time = defaultdict(int)
    overdue = []
    for a in assignments:
        bucket = _bucket(a)
        category = categories.setdefault(a.task.category.number, {"number": a.task.category.number,
                                                                  "title": a.task.category.title, **_counts()})
        unit = units.setdefault(a.unit.name, {"unit": a.unit.name, "kind": a.unit.kind, **_counts()})
        for counts in (totals, category, unit):
            counts["total"] += 1
            counts[bucket] += 1
        if a.due_date and a.due_date <= end:
            due_by_end[a.unit.name] += 1
            if a.status == Status.SIGNED_OFF and a.signed_off_at and timezone.localdate(a.signed_off_at) <= a.due_date:
                on_time[a.unit.name] += 1
        if bucket == "overdue":
            overdue.append({"task_number": a.task.number, "unit": a.unit.name, "due_date": _iso(a.due_date),
                            "effective_due": _iso(a.effective_due), "status": a.status})

    for name, unit in units.items():
        unit["on_time_rate"] = round(on_time[name] / due_by_end[name], 4) if due_by_end[name] else None
    by_unit = sorted(units.values(), key=lambda u: (u["on_time_rate"] is None, -(u["on_time_rate"] or 0),
                                                    u["overdue"], u["unit"]))
    rated = [u for u in by_unit if u["on_time_rate"] is not None]
    for position, unit in enumerate(rated, 1):
        same = position > 1 and rated[position - 2]["on_time_rate"] == unit["on_time_rate"]
        unit["rank"] = rated[position - 2]["rank"] if same else position
    for unit in by_unit[len(rated):]:
        unit["rank"] = len(rated) + 1

    signed = (SignOffRequest.objects.filter(status=SignOffStatus.APPROVED, office_checked_at__gte=since,
                                            office_checked_at__lt=until)
              .select_related("assignment__task", "assignment__unit").order_by("office_checked_at", "id"))
    relapsed = (Review.objects.filter(outcome=ReviewOutcome.RELAPSED, decided_at__gte=since, decided_at__lt=until)
                .select_related("assignment__task", "assignment__unit").order_by("decided_at", "id"))
    previous = Bulletin.objects.filter(month=previous_month(start)).only("month", "data").first()
    previous_totals = (previous.data or {}).get("totals") if previous else None
    return {
        "month": month, "start": start.isoformat(), "end": end.isoformat(),
        "totals": totals,
        "by_category": [categories[number] for number in sorted(categories)],
        "by_unit": by_unit,
        "overdue": overdue,
        "missed_reports": _missed_reports(assignments, month_weeks(start, end)),
        "newly_signed_off": [_event(r, r.office_checked_at) for r in signed],
        "newly_reopened": [_event(r, r.decided_at) for r in relapsed],
        "previous": {"month": previous.month, "totals": previous_totals} if previous_totals else None,
        "change": {k: totals[k] - previous_totals.get(k, 0) for k in BUCKETS} if previous_totals else None,
    }


def _iso(day):
    return day.isoformat() if day else None


def _missed_reports(assignments, weeks: list[str]) -> list[dict]:
    """Units that left an assignment open during a week without that week's report."""
    if not weeks:
        return []
    reported = set(ProgressReport.objects.filter(week__in=weeks).values_list("assignment_id", "week").distinct())
    missed = defaultdict(set)
    kinds = {}
    for week in weeks:
        monday = parse_week(week)
        for a in assignments:
            closed_before = a.status == Status.SIGNED_OFF and a.signed_off_at and timezone.localdate(a.signed_off_at) < monday
            if not closed_before and (a.pk, week) not in reported:
                missed[a.unit.name].add(week)
                kinds[a.unit.name] = a.unit.kind
    return [{"unit": unit, "kind": kinds[unit], "weeks": sorted(weeks_)}
            for unit, weeks_ in sorted(missed.items(), key=lambda item: (-len(item[1]), item[0]))]


def public_data(data: dict) -> dict:
    """The bulletin's figures as the public may read them: no entry of a task that is not public (one query)."""
    hidden = set(Task.objects.filter(is_public=False).values_list("number", flat=True))
    if not hidden:
        return data
    return {**data, **{key: [entry for entry in data.get(key) or [] if entry.get("task_number") not in hidden]
                       for key in TASK_LISTS if key in data}}


PUBLIC_FIELDS = ("id", "month", "status", "data", "published_at")  # what ``public_bulletin`` reads


def public_bulletin(bulletin: Bulletin) -> Bulletin:
    """An unsaved copy of a bulletin holding ``public_data``: what the public page and workbook show."""
    return Bulletin(pk=bulletin.pk, month=bulletin.month, status=bulletin.status,
                    published_at=bulletin.published_at, data=public_data(bulletin.data or {}))


def render_html(month: str, data: dict) -> str:
    return render_to_string("dispatch/bulletin.html", {"month": month, "data": data})


def make_bulletin(month: str, *, refresh: bool = False) -> tuple[Bulletin, bool, Delivery]:
    """Make the month's draft bulletin if there is none and tell the office it awaits publication.

    Returns (bulletin, created or refreshed, messages delivered). A published bulletin never changes.
    """
    parse_month(month)
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().filter(month=month).first()
        changed = False
        if bulletin is None or (refresh and bulletin.status == BulletinStatus.DRAFT):
            data = bulletin_data(month)
            bulletin, _ = Bulletin.objects.update_or_create(
                month=month, defaults={"data": data, "html": render_html(month, data)}
            )
            changed = True
        t = bulletin.data.get("totals", {})
        body = (f"{month} 月通报草稿已生成：台账 {t.get('total')} 项，已销号 {t.get('signed_off')} 项，"
                f"逾期 {t.get('overdue')} 项，问题反弹 {t.get('reopened')} 项。请审核后发布。")
        messages = [Message(user_id, f"{month} 月通报草稿待发布", body) for user_id in office_recipients(leaders=False)]
        delivery = deliver("bulletin_draft", month, Kind.BULLETIN, messages)
    return bulletin, changed, delivery


def publish_bulletin(bulletin: Bulletin, actor) -> Bulletin:
    """The office publishes a draft: audited; office and leaders are told after commit."""
    if role_of(actor) not in OFFICE:
        raise Forbidden("月通报由省督察办发布")
    with transaction.atomic():
        locked = Bulletin.objects.select_for_update().filter(pk=bulletin.pk).first()
        if locked is None:
            raise InvalidInput("月通报不存在")
        if locked.status == BulletinStatus.PUBLISHED:
            raise InvalidTransition("该月通报已发布")
        fields = ["status", "published_at", "published_by"]
        before = audit.snapshot(locked, fields)
        locked.status, locked.published_at, locked.published_by = BulletinStatus.PUBLISHED, timezone.now(), actor
        locked.save(update_fields=fields)
        audit.record(actor=actor, action="publish_bulletin", instance=locked, before=before,
                     after=audit.snapshot(locked, fields), note=f"{locked.month} 月通报")
        from dispatch.tasks import announce_bulletin_task

        pk = locked.pk
        transaction.on_commit(lambda: announce_bulletin_task.delay(pk))
    return locked


def announce_bulletin(bulletin_id: int) -> Delivery:
    """Tell office staff and leaders a bulletin is published. Nothing for a missing or draft bulletin."""
    bulletin = Bulletin.objects.filter(pk=bulletin_id, status=BulletinStatus.PUBLISHED).only("id", "month", "data").first()
    if bulletin is None:
        return Delivery()
    t = bulletin.data.get("totals", {})
    ranked = [u["unit"] for u in bulletin.data.get("by_unit", []) if u.get("rank") == 1]
    body = "\n".join([
        f"{bulletin.month} 月通报已发布。",
        f"台账 {t.get('total')} 项：已销号 {t.get('signed_off')} 项，按计划推进 {t.get('on_track')} 项，"
        f"逾期 {t.get('overdue')} 项，问题反弹 {t.get('reopened')} 项。",
        *([f"按期完成率第一：{'、'.join(ranked)}。"] if ranked else []),
        f"全文见信息公开页面 /public/bulletins/{bulletin.month}/。",
    ])
    messages = [Message(user_id, f"{bulletin.month} 月通报已发布", body) for user_id in office_recipients(leaders=True)]
    return deliver("bulletin", bulletin.month, Kind.BULLETIN, messages)
