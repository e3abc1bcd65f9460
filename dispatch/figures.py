"""The monthly bulletin's figures (月通报): what ``Bulletin.data`` holds, read from the ledger.

Pure reading: nothing here writes, sends or enqueues (making and publishing a bulletin
is ``dispatch.bulletin``).

``bulletin_data(month)`` computes the document ``Bulletin.data`` holds; its schema is
read by ``reports.bulletin_xlsx``, the public page and the API:

- ``month``, ``start``, ``end`` (ISO dates of the month);
- ``totals`` and, per category and per unit, counts ``total``, ``signed_off``,
  ``on_track``, ``overdue``, ``reopened``. Every assignment is in exactly one bucket,
  by its state at the month's end, judged on the 1st of the next month by the one bucket
  rule (``tasks.models.levels.bucket_on``, the dashboard's too): signed off; overdue (its
  effective deadline, with the extensions approved by then, passed by the month's end,
  reopened or not); reopened after a relapse; otherwise on track;
- ``by_unit`` adds ``unit``, ``kind``, ``on_time_rate`` (of the unit's assignments
  whose ORIGINAL due date fell by the month's end, the share signed off by that date;
  ``None`` when none was due), ``urges`` (催办 of the unit's rows in the month), the month's 签收
  (``acknowledgements_by_unit``: ``handed``, ``acknowledged``, ``unacknowledged_overdue``,
  ``ack_hours``) and ``rank`` (``rank_units``: by on-time rate, then fewer
  overdue rows, then more sign-offs, equals share a rank; ``None`` for a unit without a
  rate, listed last and shown "—"), and the unit's on-time reporting (按期报送,
  ``tasks.services.reporting``) over the reports for the month's weeks submitted by its end:
  ``reports``, ``late_reports`` (迟报) and ``reporting_rate`` (``None`` without a report);
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

The counts, the overdue list, the on-time rate and the missed reports describe the
ledger as it stood at the month's end (each week's start for the missed reports),
whenever the bulletin is made: each assignment's status, deadlines, sign-off time and
last report week are rebuilt from the audit trail (``tasks.services.history.state_of``,
the same rebuild as the weekly report's past weeks; it starts from the state frozen at the
month's end, ``MonthEndState``, and reads only the month's entries), so a sign-off or a relapse after the
month does not count in it. Weekly snapshots are not used: a reporting week rarely
ends on the month's last day. The events come from dated records. A month that has
not ended yet (``tasks.weeks.today()``) is refused by ``dispatch.bulletin.make_bulletin``
(``dispatch.periods.NotYet``): its figures would be frozen before they are known.
"""

import datetime
import sys
from collections import defaultdict

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from dispatch import handovers
from dispatch.models import Bulletin, Handover, Urge
from dispatch.periods import parse_month, previous_month
from tasks.choices import ReviewOutcome, SignOffStatus, Status
from tasks.models import Assignment, ProgressReport, Review, SignOffRequest, Task
from tasks.models.levels import bucket_on
from tasks.models.plan import unit_order, unit_sort_key
from tasks.services import history, reporting
from tasks.weeks import parse_week, week_of

BUCKETS = ("total", "signed_off", "on_track", "overdue", "reopened")  # the counts' keys
TASK_LISTS = ("overdue", "newly_signed_off", "newly_reopened")  # the entries that name a task


def _local_bounds(start: datetime.date, end: datetime.date):
    return history.start_of(start), history.end_of(end)


def month_weeks(start: datetime.date, end: datetime.date) -> list[str]:
    """The ISO weeks whose Sunday falls in the month: each week belongs to exactly one month."""
    sunday = start + datetime.timedelta(days=(6 - start.weekday()) % 7)
    weeks = []
    while sunday <= end:
        weeks.append(week_of(sunday))
        sunday += datetime.timedelta(days=7)
    return weeks


# The assignment fields the bulletin reads as they were at the month's end (and each week's start).
STATE_FIELDS = ("status", "due_date", "extended_due_date", "signed_off_at", "last_report_week_start")


# What the figures read of each assignment and its task, category, plan and unit: values, not
# model instances (20,000 rows with four related objects each were most of the job's memory).
ASSIGNMENT_COLUMNS = (
    "pk",
    "unit_id",
    "task__plan_id",
    *STATE_FIELDS,
    "percent",
    "unit__name",
    "unit__kind",
    "task__number",
    "task__plan__title",
    "task__category__number",
    "task__category__title",
)


class _Row:
    """One assignment as the figures read it (``ASSIGNMENT_COLUMNS``, in order)."""

    __slots__ = (
        "pk",
        "unit_id",
        "plan_id",
        *STATE_FIELDS,
        "percent",
        "unit_name",
        "unit_kind",
        "task_number",
        "plan_title",
        "category_number",
        "category_title",
    )

    def __init__(self, values):
        for name, value in zip(self.__slots__, values):
            # the names and titles repeat on every row: held once each
            setattr(self, name, sys.intern(value) if name in _SHARED and value else value)


_SHARED = {"unit_name", "unit_kind", "plan_title", "category_title"}


def _counts() -> dict:
    return dict.fromkeys(BUCKETS, 0)


def _event(request_or_review, at) -> dict:
    a = request_or_review.assignment
    return {
        "task_number": a.task.number,
        "plan": a.task.plan.title,
        "unit": a.unit.name,
        "at": timezone.localdate(at).isoformat(),
    }


NO_HANDOVERS = {"handed": 0, "acknowledged": 0, "unacknowledged_overdue": 0, "ack_hours": None}


def acknowledgements_by_unit(since, until, end: datetime.date) -> dict[str, dict]:
    """签收 per unit in the month (one query): ``handed`` (handed over in the month), ``acknowledged``
    (signed for in the month), ``unacknowledged_overdue`` (not signed for at the month's end though
    handed more than ``ACK_DUE_WORKING_DAYS`` working days before it) and ``ack_hours`` (the mean
    hours from handing to signing of those signed for in the month; ``None`` without one)."""
    late_before = history.start_of(handovers.cutoff(end))
    signed = Q(acknowledged_at__gte=since, acknowledged_at__lt=until)
    taken = ExpressionWrapper(F("acknowledged_at") - F("handed_at"), output_field=DurationField())
    rows = (
        Handover.objects.filter(handed_at__lt=until)
        .values("unit__name")
        .annotate(
            handed=Count("pk", filter=Q(handed_at__gte=since)),
            acknowledged=Count("pk", filter=signed),
            unacknowledged_overdue=Count(
                "pk",
                filter=Q(handed_at__lt=late_before)
                & (Q(acknowledged_at=None) | Q(acknowledged_at__gte=until)),
            ),
            mean=Avg(taken, filter=signed),
        )
        .order_by()
    )
    return {
        r["unit__name"]: {
            "handed": r["handed"],
            "acknowledged": r["acknowledged"],
            "unacknowledged_overdue": r["unacknowledged_overdue"],
            "ack_hours": round(r["mean"].total_seconds() / 3600, 1) if r["mean"] is not None else None,
        }
        for r in rows
    }


PROGRESS_EVERY = 2000  # assignments counted between two calls of ``bulletin_data``'s ``progress``


def bulletin_data(month: str, progress=None) -> dict:
    """The month's figures as the ledger stood at the month's end, whenever they are computed.

    ``progress``: called with the assignments counted so far, every ``PROGRESS_EVERY`` (a
    background job's progress, ``dispatch.bulletin.build_draft``).

    Ten queries whatever the size of the ledger, eleven when a month's end at or after the month's
    is frozen: assignments, each assignment's state at the month's end and at each week's Monday
    (``history.states_as_of``: the frozen month's end, the assignments with their frozen state, the
    audit entries since the month's first reporting week up to it), approvals, relapsed reviews, the previous bulletin, the weeks' reports,
    the units' on-time reporting, the month's urges (催办) and acknowledgements (签收) per unit.
    """
    start, end = parse_month(month)
    since, until = _local_bounds(start, end)
    weeks = month_weeks(start, end)
    mondays = [history.start_of(parse_week(week)) for week in weeks]
    assignments = [
        _Row(values)
        for values in Assignment.objects.order_by("task__plan_id", "task__number", *unit_order("unit__"))
        .values_list(*ASSIGNMENT_COLUMNS)
        .iterator(chunk_size=5000)
    ]
    at_end, *at_mondays = history.states_as_of([until, *mondays], fields=STATE_FIELDS)
    day_after = end + datetime.timedelta(days=1)  # judged on the 1st: overdue once the deadline passed
    totals, categories, units, plans = _counts(), {}, {}, {}
    due_by_end = defaultdict(int)
    on_time = defaultdict(int)
    overdue = []
    for counted, a in enumerate(assignments, 1):
        if progress is not None and counted % PROGRESS_EVERY == 0:
            progress(counted)
        state = history.state_of(a, at_end.get(a.pk, {}))
        bucket = bucket_on(day_after, status=state.status, effective_due=state.effective_due)
        plan = plans.setdefault(
            a.plan_id, {"id": a.plan_id, "plan": a.plan_title, **_counts(), "by_unit": {}}
        )
        plan_unit = plan["by_unit"].setdefault(
            a.unit_name, {"unit": a.unit_name, "kind": a.unit_kind, **_counts()}
        )
        category = categories.setdefault(  # each plan numbers its own categories
            (a.plan_id, a.category_number),
            {
                "number": a.category_number,
                "title": a.category_title,
                "plan": a.plan_title,
                **_counts(),
            },
        )
        unit = units.setdefault(a.unit_name, {"unit": a.unit_name, "kind": a.unit_kind, **_counts()})
        for counts in (totals, category, unit, plan, plan_unit):
            counts["total"] += 1
            counts[bucket] += 1
        if state.due_date and state.due_date <= end:
            due_by_end[a.unit_name] += 1
            if state.signed_off_on and state.signed_off_on <= state.due_date:
                on_time[a.unit_name] += 1
        if bucket == "overdue":
            overdue.append(
                {
                    "task_number": a.task_number,
                    "plan": a.plan_title,
                    "unit": a.unit_name,
                    "due_date": _iso(state.due_date),
                    "effective_due": _iso(state.effective_due),
                    "status": state.status,
                }
            )

    unit_ids = {a.unit_name: a.unit_id for a in assignments}
    reported = reporting.reporting_by_unit(Assignment.objects.all(), weeks=weeks, before=until)
    urged = dict(
        Urge.objects.filter(urged_at__gte=since, urged_at__lt=until)
        .values("assignment__unit__name")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("assignment__unit__name", "n")
    )
    signing = acknowledgements_by_unit(since, until, end)
    for name, unit in units.items():
        unit.update(signing.get(name, NO_HANDOVERS))
        unit["on_time_rate"] = round(on_time[name] / due_by_end[name], 4) if due_by_end[name] else None
        figures = reported.get(unit_ids[name], {"reports": 0, "late": 0, "rate": None})
        unit["reports"], unit["late_reports"] = figures["reports"], figures["late"]
        unit["reporting_rate"] = figures["rate"]
        unit["urges"] = urged.get(name, 0)
    by_unit = rank_units(units.values())

    signed = (
        SignOffRequest.objects.filter(
            status=SignOffStatus.APPROVED, office_checked_at__gte=since, office_checked_at__lt=until
        )
        .select_related("assignment__task__plan", "assignment__unit")
        .order_by("office_checked_at", "id")
    )
    relapsed = (
        Review.objects.filter(outcome=ReviewOutcome.RELAPSED, decided_at__gte=since, decided_at__lt=until)
        .select_related("assignment__task__plan", "assignment__unit")
        .order_by("decided_at", "id")
    )
    previous = Bulletin.objects.filter(month=previous_month(start)).only("month", "data").first()
    previous_totals = (previous.data or {}).get("totals") if previous else None
    return {
        "month": month,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "totals": totals,
        "by_category": [categories[key] for key in sorted(categories)],
        # the plans side by side (one when there is one), each with its units' counts
        "by_plan": [
            {
                **plans[pk],
                "by_unit": sorted(
                    plans[pk]["by_unit"].values(), key=lambda u: unit_sort_key(u["unit"], u["kind"])
                ),
            }
            for pk in sorted(plans)
        ],
        "by_unit": by_unit,
        "overdue": overdue,
        "missed_reports": _missed_reports(assignments, dict(zip(weeks, at_mondays))),
        "newly_signed_off": [_event(r, r.office_checked_at) for r in signed],
        "newly_reopened": [_event(r, r.decided_at) for r in relapsed],
        "previous": {"month": previous.month, "totals": previous_totals} if previous_totals else None,
        "change": {k: totals[k] - previous_totals.get(k, 0) for k in BUCKETS} if previous_totals else None,
    }


def _standing(unit: dict) -> tuple:
    """What orders units of the same kind of record: rate down, overdue rows up, sign-offs down."""
    return -unit["on_time_rate"], unit["overdue"], -unit["signed_off"]


def rank_units(units) -> list[dict]:
    """The units in ranking order, each with its ``rank``; ``None`` for a unit with nothing due yet.

    Rated units first, by on-time rate (higher first), then by fewer overdue rows (a unit
    with an overdue row never above one without at the same rate), then by more sign-offs;
    units equal on all three share a rank (competition ranking: 1, 1, 3). Units with no
    assignment due by the month's end have no rate: they are not ranked (``rank`` None,
    shown "—") and come last, in the units' standard order (``tasks.models.plan.unit_order``).
    """
    rated = sorted(
        (u for u in units if u["on_time_rate"] is not None),
        key=lambda u: (_standing(u), unit_sort_key(u["unit"], u.get("kind", ""))),
    )
    unrated = sorted(
        (u for u in units if u["on_time_rate"] is None),
        key=lambda u: unit_sort_key(u["unit"], u.get("kind", "")),
    )
    for position, unit in enumerate(rated, 1):
        same = position > 1 and _standing(rated[position - 2]) == _standing(unit)
        unit["rank"] = rated[position - 2]["rank"] if same else position
    for unit in unrated:
        unit["rank"] = None
    return rated + unrated


def _iso(day):
    return day.isoformat() if day else None


def _missed_reports(assignments, weeks: dict[str, dict]) -> list[dict]:
    """Units that left an assignment open during a week without that week's report.

    ``weeks`` maps each week to the fields that changed since its Monday 00:00: an
    assignment signed off then was closed for the week; any other owed the report.
    """
    if not weeks:
        return []
    reported = defaultdict(set)  # week -> the assignments reported for it (ints, not pairs: memory)
    for assignment_id, week in (
        ProgressReport.objects.filter(week__in=list(weeks), voided_at=None)
        .values_list("assignment_id", "week")
        .distinct()
        .iterator(chunk_size=5000)
    ):
        reported[week].add(assignment_id)
    missed = defaultdict(set)
    kinds = {}
    for week, then in weeks.items():
        done = reported[week]
        for a in assignments:
            closed = then.get(a.pk, {}).get("status", a.status) == Status.SIGNED_OFF
            if not closed and a.pk not in done:
                missed[a.unit_name].add(week)
                kinds[a.unit_name] = a.unit_kind
    return [
        {"unit": unit, "kind": kinds[unit], "weeks": sorted(weeks_)}
        for unit, weeks_ in sorted(
            missed.items(), key=lambda item: (-len(item[1]), unit_sort_key(item[0], kinds[item[0]]))
        )
    ]


def public_data(data: dict) -> dict:
    """The bulletin's figures as the public may read them: no entry of a task that is not public (one query)."""
    hidden = set(Task.objects.filter(is_public=False).values_list("plan__title", "number"))
    if not hidden:
        return data
    numbers = {number for _plan, number in hidden}

    def shown(entry) -> bool:  # entries name their plan (task numbers repeat across plans); older ones do not
        if "plan" in entry:
            return (entry["plan"], entry.get("task_number")) not in hidden
        return entry.get("task_number") not in numbers

    return {
        **data,
        **{
            key: [entry for entry in data.get(key) or [] if shown(entry)] for key in TASK_LISTS if key in data
        },
    }


PUBLIC_FIELDS = ("id", "month", "status", "data", "published_at")  # what ``public_bulletin`` reads


def public_bulletin(bulletin: Bulletin) -> Bulletin:
    """An unsaved copy of a bulletin holding ``public_data``: what the public page and workbook show."""
    return Bulletin(
        pk=bulletin.pk,
        month=bulletin.month,
        status=bulletin.status,
        published_at=bulletin.published_at,
        data=public_data(bulletin.data or {}),
    )


def restrict_to_plan(data: dict, plan_id) -> dict | None:
    """The bulletin's figures for one of its plans (``by_plan``), or None if it has no such plan.

    Totals, units, categories, overdue rows and the month's sign-offs and relapses of that plan; the
    units' ranking is the whole bulletin's (it ranks units, not plans), so ranks are not repeated here.
    """
    plan = next((p for p in data.get("by_plan", []) if str(p.get("id")) == str(plan_id)), None)
    if plan is None:
        return None
    title = plan["plan"]
    return {
        **data,
        "plan": title,
        "totals": {k: v for k, v in plan.items() if k not in ("id", "plan", "by_unit")},
        "by_unit": [{**u, "rank": None} for u in plan["by_unit"]],
        "by_category": [c for c in data.get("by_category", []) if c.get("plan") == title],
        "overdue": [o for o in data.get("overdue", []) if o.get("plan") == title],
        "newly_signed_off": [e for e in data.get("newly_signed_off", []) if e.get("plan") == title],
        "newly_reopened": [e for e in data.get("newly_reopened", []) if e.get("plan") == title],
        "change": None,
        "previous": None,
    }
