"""Work lists: the liaison's desk, the sign-off queue and the office's reviews."""

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import render
from django.urls import reverse

from dispatch import handovers, instructions
from dispatch.urging import open_urges
from reports.tables import Table, TableColumn
from tasks.choices import Level, ReviewOutcome, SignOffStatus, Status
from tasks.filtersets import by_urgency
from tasks.models import Assignment, Extension, Review, SignOffRequest
from tasks.policy import CHECKERS, OFFICE, UNIT, can, check_stage, extension_stage, open_signoff, unit_id_of
from tasks.weeks import today, week_of
from web.access import role_required
from web.exports import local, person, status_label, wants_xlsx, xlsx_response
from web.forms import WeeklyExcelForm
from web.timeline import with_history
from web.views.common import chosen_plan, scoped

RECENT_SHEETS = 10  # the queue's latest 销号单
QUEUE_PER_PAGE = 50  # sign-off requests waiting, each with its form and history


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
    waiting = with_history(base.filter(status=stage)).order_by("updated_at", "pk")
    # The page shows a page of requests with their histories; the export lists every one of them.
    page = (
        None if wants_xlsx(request) else Paginator(waiting, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    )
    rows = _with_open_request(list(waiting if page is None else page.object_list))
    context = {"rows": rows, "page": page, "stage": Status(stage), "office": request.role in OFFICE}
    if request.role in OFFICE:
        context["first_check_waiting"] = base.filter(status=Status.SIGNOFF_REQUESTED).count()
    # Extension requests at this user's stage: the unit leader's first, then the office's.
    stage = extension_stage(request.role)
    context["extensions"] = list(
        Extension.objects.filter(status=stage, assignment__in=base.values("pk"))
        .select_related("assignment__task", "assignment__unit", "requested_by")
        .order_by("requested_at")
    )
    sheets = (
        SignOffRequest.objects.filter(status=SignOffStatus.APPROVED, assignment__in=base.values("pk"))
        .select_related("assignment__task", "assignment__unit")
        .order_by("-office_checked_at", "-pk")
    )
    if wants_xlsx(request):  # the page's tables, every approved 销号单 rather than the latest ten
        return xlsx_response("销号审核", queue_tables(context, sheets))
    context["sheets"] = list(sheets[:RECENT_SHEETS])
    return render(request, "web/queue.html", context)


def queue_tables(context, sheets) -> list[Table]:
    request_of = [
        TableColumn("任务", lambda a: a.task.number, 8, "int"),
        TableColumn("类别", lambda a: a.task.category.title, 12),
        TableColumn("责任单位", lambda a: a.unit.name, 14),
        TableColumn("状态", lambda a: status_label(a.status), 12, "center"),
        TableColumn(
            "申请时间", lambda a: local(a.open_request and a.open_request.requested_at), 17, "center"
        ),
        TableColumn("整改情况说明", lambda a: a.open_request.summary if a.open_request else "", 50),
        TableColumn("单位审核意见", lambda a: a.open_request.unit_opinion if a.open_request else "", 30),
    ]
    extensions = [
        TableColumn("任务", lambda e: e.assignment.task.number, 8, "int"),
        TableColumn("责任单位", lambda e: e.assignment.unit.name, 14),
        TableColumn("申请人", lambda e: person(e.requested_by), 12),
        TableColumn("申请时间", lambda e: local(e.requested_at), 17, "center"),
        TableColumn("申请延期至", lambda e: e.new_due_date, 12, "date"),
        TableColumn("理由", lambda e: e.reason, 50),
    ]
    signed = [
        TableColumn("任务", lambda r: r.assignment.task.number, 8, "int"),
        TableColumn("责任单位", lambda r: r.assignment.unit.name, 14),
        TableColumn("销号时间", lambda r: local(r.office_checked_at), 17, "center"),
        TableColumn("销号单", lambda r: reverse("signoff-sheet", args=[r.pk]), 22),
    ]
    return [
        Table(f"待{context['stage'].label}", request_of, context["rows"], sheet="待审核"),
        Table("延期申请", extensions, context["extensions"]),
        Table("已销号（销号单）", signed, sheets.iterator(), sheet="已销号"),
    ]


REVIEWS_PER_PAGE = 50  # each of 回头看's two lists


@role_required(OFFICE)
def reviews(request):
    """回头看: reviews waiting for an outcome, and signed-off assignments that have none scheduled."""
    day = today()
    visible = Assignment.objects.visible_to(request.user)  # no light on this page: not its SQL either
    pending = (
        Review.objects.filter(outcome=ReviewOutcome.PENDING, assignment__in=visible.values("pk"))
        .select_related("assignment__task", "assignment__unit", "scheduled_by")
        .order_by("scheduled_for", "pk")
    )
    open_review = Review.objects.filter(assignment=OuterRef("pk"), outcome=ReviewOutcome.PENDING)
    unscheduled = (
        visible.filter(status=Status.SIGNED_OFF)
        .exclude(Exists(open_review))
        .select_related("task", "unit")
        .order_by("signed_off_at", "pk")
    )
    if wants_xlsx(request):  # every row of both lists, streamed
        rows = {
            "pending": pending.iterator(chunk_size=500),
            "unscheduled": unscheduled.iterator(chunk_size=500),
        }
        return xlsx_response("回头看", review_tables(rows))
    # Both lists paged (a county-scale ledger has thousands of signed-off rows), each by its own parameter.
    pending_page = Paginator(pending, REVIEWS_PER_PAGE).get_page(request.GET.get("pending_page"))
    unscheduled_page = Paginator(unscheduled, REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "pending": pending_page,
        "unscheduled": unscheduled_page,
        "pending_query": f"page={unscheduled_page.number}" if unscheduled_page.number > 1 else "",
        "unscheduled_query": f"pending_page={pending_page.number}" if pending_page.number > 1 else "",
        "today": day,
    }
    return render(request, "web/reviews.html", context)


def review_tables(context) -> list[Table]:
    pending = [
        TableColumn("任务", lambda r: r.assignment.task.number, 8, "int"),
        TableColumn("责任单位", lambda r: r.assignment.unit.name, 14),
        TableColumn("回头看日期", lambda r: r.scheduled_for, 12, "date"),
        TableColumn("安排人", lambda r: person(r.scheduled_by), 12),
    ]
    unscheduled = [
        TableColumn("任务", lambda a: a.task.number, 8, "int"),
        TableColumn("问题", lambda a: a.task.problem, 48),
        TableColumn("责任单位", lambda a: a.unit.name, 14),
        TableColumn("销号时间", lambda a: local(a.signed_off_at), 17, "center"),
    ]
    return [
        Table("待回头看", pending, context["pending"]),
        Table("已销号、未安排回头看", unscheduled, context["unscheduled"], sheet="未安排"),
    ]
