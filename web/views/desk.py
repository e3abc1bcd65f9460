"""Work lists: the liaison's desk, the sign-off queue and the office's reviews."""

from django.db.models import Count, Q
from django.shortcuts import render

from dispatch import handovers, instructions
from dispatch.urging import open_urges
from tasks.choices import Level, ReviewOutcome, SignOffStatus, Status
from tasks.filtersets import by_urgency
from tasks.models import Extension, Review, SignOffRequest
from tasks.policy import CHECKERS, OFFICE, UNIT, can, check_stage, extension_stage, open_signoff, unit_id_of
from tasks.weeks import today, week_of
from web.access import role_required
from web.forms import WeeklyExcelForm
from web.timeline import with_history
from web.views.common import chosen_plan, scoped

RECENT_SHEETS = 10  # the queue's latest 销号单


@role_required(UNIT)
def desk(request):
    """我的任务: the unit's assignments, the most urgent first, with what each one waits for."""
    day = today()
    rows = list(by_urgency(scoped(request)).select_related("task__category", "task__plan", "unit"))
    # Several plans side by side: the unit's plans, read off its rows (no query), and ?plan=<id> for one.
    plans = sorted({row.task.plan for row in rows}, key=lambda plan: plan.pk)
    plan = chosen_plan(request, plans)
    if plan is not None:
        rows = [row for row in rows if row.task.plan_id == plan.pk]
    urges = open_urges([row.pk for row in rows])
    for row in rows:
        row.open_urges = urges.get(row.pk, [])
    counts = {level.value: 0 for level in Level}
    for row in rows:
        counts[row.level] += 1
    context = {
        "rows": rows,
        "plans": plans if len(plans) > 1 else [],
        "plan": plan,
        "levels": [(level, counts[level.value]) for level in Level],
        "week": week_of(day),
        "reported": sum(
            1
            for row in rows
            if row.last_report_week_start and week_of(row.last_report_week_start) == week_of(day)
        ),
        "unit": rows[0].unit if rows else None,
        "can_report": bool(can(request.user, "report")),
        # 签收 waiting (1 query) and the latest 领导批示 with the unit's replies (2 queries)
        "handovers": handovers.for_desk(unit_id_of(request.user), day),
        "instructions": instructions.for_unit(unit_id_of(request.user)),
        "ack_days": handovers.due_days(),
        "can_reply": bool(can(request.user, "reply_instruction")),
        "excel_form": WeeklyExcelForm(initial={"week": week_of(day)}),
    }
    return render(request, "web/desk.html", context)


def _with_open_request(rows):
    for row in rows:
        row.open_request = open_signoff(row)
        row.recent_reports = [r for r in row.reports.all() if r.voided_at is None][:3]
    return rows


@role_required(CHECKERS)
def queue(request):
    """Sign-off requests waiting for this user's check: first check for unit leaders, second for the office."""
    stage = check_stage(request.role)
    base = scoped(request).select_related("task__category", "unit")
    rows = _with_open_request(list(with_history(base.filter(status=stage)).order_by("updated_at")))
    context = {"rows": rows, "stage": Status(stage), "office": request.role in OFFICE}
    if request.role in OFFICE:
        context["first_check_waiting"] = base.filter(status=Status.SIGNOFF_REQUESTED).count()
    # Extension requests at this user's stage: the unit leader's first, then the office's.
    stage = extension_stage(request.role)
    context["extensions"] = list(
        Extension.objects.filter(status=stage, assignment__in=base.values("pk"))
        .select_related("assignment__task", "assignment__unit", "requested_by")
        .order_by("requested_at")
    )
    context["sheets"] = list(
        SignOffRequest.objects.filter(status=SignOffStatus.APPROVED, assignment__in=base.values("pk"))
        .select_related("assignment__task", "assignment__unit")
        .order_by("-office_checked_at", "-pk")[:RECENT_SHEETS]
    )
    return render(request, "web/queue.html", context)


@role_required(OFFICE)
def reviews(request):
    """回头看: reviews waiting for an outcome, and signed-off assignments that have none scheduled."""
    day = today()
    visible = scoped(request)
    pending = (
        Review.objects.filter(outcome=ReviewOutcome.PENDING, assignment__in=visible.values("pk"))
        .select_related("assignment__task", "assignment__unit", "scheduled_by")
        .order_by("scheduled_for")
    )
    unscheduled = (
        visible.filter(status=Status.SIGNED_OFF)
        .annotate(open_reviews=Count("reviews", filter=Q(reviews__outcome=ReviewOutcome.PENDING)))
        .filter(open_reviews=0)
        .select_related("task", "unit")
        .order_by("signed_off_at")
    )
    context = {"pending": list(pending), "unscheduled": list(unscheduled), "today": day}
    return render(request, "web/reviews.html", context)
