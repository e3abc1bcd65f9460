"""The ledger (台账) and the task page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.views.decorators.http import require_POST

from accountability import services as accountability
from accountability.models import LeaderLedItem, is_listed
from dispatch import instructions
from reports.tables import Table, TableColumn
from tasks.filtersets import AssignmentFilterSet, by_task, with_level_once
from tasks.models import Assignment, Official, Plan, Task
from tasks.models.ledger import HISTORY_KINDS
from tasks.models.plan import unit_order
from tasks.models.recent import read_recent
from tasks.policy import OVERSIGHT, can
from tasks.services import formkeys, plan_edit
from tasks.services.errors import LedgerError
from tasks.weeks import today, week_of
from web.access import role_required
from web.exports import filter_caption, level_label, status_label, wants_xlsx, week_label, xlsx_response, yes
from web.forms import InstructionForm, LeaderItemForm, TaskEditForm, WeeklyExcelForm
from web.timeline import timeline

PAGE_SIZE = 50


@role_required()
def ledger(request):
    day = today()
    # The FilterSet adds the SQL level rule only if a filter or the sort reads it.
    scoped = by_task(Assignment.objects.visible_to(request.user))
    filters = AssignmentFilterSet(request.GET or None, scoped, request=request)
    if request.role not in OVERSIGHT:
        del filters.filters["unit"]  # a liaison or unit leader sees one unit: no choice to make
    several_plans = Plan.objects.count() > 1  # which plan a row belongs to, once there is a choice
    if not several_plans:
        del filters.filters["plan"]
    form = filters.form
    rows = filters.qs if not filters.is_bound or filters.is_valid() else scoped.none()
    if wants_xlsx(request) and not form.errors:
        # every row the filters chose, in the page's order, with the lights judged as on the page
        export = with_level_once(rows).select_related("task__category", "task__plan", "unit")
        return xlsx_response(
            "整改台账", [ledger_table(export.annotate(listed=is_listed()), form, several_plans)]
        )
    # The database sorts and pages the ids; only the page's rows are then read whole.
    page = Paginator(rows.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    found = (
        Assignment.objects.visible_to(request.user)
        .with_level_inputs(day)
        .select_related("task__category", "task__plan", "unit")
        .annotate(listed=is_listed())  # 挂牌督办
        .in_bulk(ids)
    )
    page.object_list = [found[pk] for pk in ids if pk in found]
    shown_tasks = {}  # what a row shows of its task, worked out once per task (a page often shows one)
    for row in page.object_list:
        judged = row.judgement  # the light and its reason judged together
        row.level, row.reason = judged.level, judged.reason
        shown = shown_tasks.get(row.task_id)
        if shown is None:
            shown = shown_tasks[row.task_id] = {
                "href": reverse("task", args=[row.task_id]),
                "problem": truncatechars(row.task.problem, 60),
                "deadline_kind": row.task.get_deadline_kind_display(),
            }
        row.task_shown = shown
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "week": week_of(day),
        "today": day,
        "excel_form": WeeklyExcelForm(initial={"week": week_of(day)}),
        "several_plans": several_plans,
        # the city a province-view tile links to (?city=<id>), named; the filter itself is checked above
        "city_name": filters.form.cleaned_data.get("city") if form.is_bound and not form.errors else None,
    }
    return render(request, "web/ledger.html", context, status=400 if form.errors else 200)


def ledger_table(rows, form, several_plans: bool) -> Table:
    """The ledger's rows as the page lists them (its filters, its sort), every page of them."""
    columns = [
        TableColumn("任务", lambda a: a.task.number, 8, "int"),
        *([TableColumn("整改方案", lambda a: a.task.plan.title, 24)] if several_plans else []),
        TableColumn("类别", lambda a: a.task.category.title, 12),
        TableColumn("问题", lambda a: a.task.problem, 48),
        TableColumn("责任单位", lambda a: a.unit.name, 14),
        TableColumn("时限类型", lambda a: a.task.get_deadline_kind_display(), 10, "center"),
        TableColumn("期限", lambda a: a.effective_due or "长期坚持", 12, "date"),
        TableColumn("已延期", lambda a: yes(a.extended_due_date), 8, "center"),
        TableColumn("状态", lambda a: status_label(a.status), 10, "center"),
        TableColumn("完成比例", lambda a: a.percent, 9, "pct_int"),
        TableColumn("预警", lambda a: level_label(a.level), 12, "center"),
        TableColumn("预警原因", lambda a: a.level_reason, 30),
        TableColumn("最近报送", lambda a: week_label(a.last_report_week_start), 24),
        TableColumn("挂牌督办", lambda a: yes(a.listed), 9, "center"),
    ]
    return Table("整改台账", columns, rows.iterator(chunk_size=500), caption=filter_caption(form))


TASK_UNITS_PER_PAGE = 20  # a task's units per page: a city's task handed down to its counties has hundreds
TASK_TIMELINE_EVENTS = 5  # each unit's newest events on the task page; the rest on its assignment page


def _task_page(request, pk: int, leader_form=None, status=200):
    """The plan's text for one task, its leader-led items and, for each assignment the user may see
    (a page of units at a time), its newest events; the whole timeline is on the assignment's page."""
    day = today()
    task = get_object_or_404(
        Task.objects.select_related("category", "plan").prefetch_related(
            "measures",
            "cooperating_units",
            Prefetch("officials", queryset=Official.objects.select_related("unit")),
            Prefetch("leader_items", queryset=LeaderLedItem.objects.order_by("created_at", "pk")),
        ),
        pk=pk,
    )
    visible = Assignment.objects.visible_to(request.user).filter(task=task)
    ids = visible.order_by(*unit_order("unit__"), "pk").values_list("pk", flat=True)
    page = Paginator(ids, TASK_UNITS_PER_PAGE).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    found = (
        visible.with_level_inputs(day)
        .with_event_count()
        .select_related("unit")
        .annotate(listed=is_listed())
        .in_bulk(ids)
    )
    read_recent(list(found.values()), TASK_TIMELINE_EVENTS)  # each row's newest of each kind
    rows = []
    for assignment_id in ids:
        if assignment_id in found:
            assignment = found[assignment_id]
            assignment.level = assignment.judgement.level  # judged in Python, as the ledger's rows
            events = timeline(assignment)
            read = sum(len(getattr(assignment, f"recent_{kind}")) for kind in HISTORY_KINDS)
            cut = len(events) > TASK_TIMELINE_EVENTS or assignment.event_count > read
            rows.append((assignment, events[:TASK_TIMELINE_EVENTS], assignment.event_count if cut else 0))
    if leader_form is None and can(request.user, "add_leader_item"):
        leader_form = LeaderItemForm()
    context = {
        "task": task,
        "rows": rows,
        "page": page,
        "instructions": instructions.for_task(task, request.user),  # 领导批示 and replies: 2 queries
        "instruct_form": InstructionForm(initial={"task": task.pk})
        if can(request.user, "instruct")
        else None,
        "today": day,
        "leader_form": leader_form,
        "may_edit": bool(can(request.user, "edit_plan")),
    }
    return render(request, "web/task.html", context, status=status)


@role_required()
def task_page(request, pk: int):
    return _task_page(request, pk)


@require_POST
@role_required()
def add_leader_item(request, pk: int):
    """领导领办: the office records that a named leader leads the task in person."""
    task = get_object_or_404(Task, pk=pk)
    decision = can(request.user, "add_leader_item")
    if not decision:
        raise PermissionDenied(decision.reason)
    form = LeaderItemForm(request.POST)
    if not form.is_valid():
        return _task_page(request, pk, form, status=400)
    try:
        with transaction.atomic():  # the form's one-time key is used up with the change, or not at all
            formkeys.consume(request.user, request.POST.get("form_key"))
            item = accountability.add_leader_item(actor=request.user, task=task, **form.cleaned_data)
    except LedgerError as error:
        form.show_error(error)
        return _task_page(request, pk, form, status=error.status_code)
    messages.success(request, f"已登记：{item.leader_name} 领办任务{task.number}")
    return redirect(reverse("task", args=[task.pk]) + "#leader-items")


@role_required()
def task_edit(request, pk: int):
    """The office corrects a task after import: texts, units (rows assigned or retired), officials, deadline."""
    decision = can(request.user, "edit_plan")
    if not decision:
        raise PermissionDenied(decision.reason)
    task = get_object_or_404(Task.objects.select_related("category", "plan"), pk=pk)
    retired = list(
        Assignment.with_retired.filter(task=task)
        .exclude(retired_at=None)
        .select_related("unit")
        .order_by("unit__name")
    )
    if request.method != "POST":
        form = TaskEditForm(task=task)
        return render(request, "web/task_edit.html", {"task": task, "form": form, "retired": retired})
    form = TaskEditForm(request.POST, task=task)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # the form's one-time key is used up with the change, or not at all
                formkeys.consume(request.user, request.POST.get("form_key"))
                officials = list(data["officials"]) + [
                    plan_edit.new_official(name, None) for name in form.new_official_names()
                ]
                result = plan_edit.edit_task(
                    task.pk,
                    actor=request.user,
                    reason=data["reason"],
                    problem=data["problem"],
                    goal=data["goal"],
                    responsible_text=data["responsible_text"],
                    deadline_text=data["deadline_text"],
                    responsible_units=data["responsible_units"],
                    cooperating_units=data["cooperating_units"],
                    officials=officials,
                    deadline_kind=data["deadline_kind"],
                    due_date=data["due_date"],
                )
        except LedgerError as error:
            form.show_error(error)
            status = error.status_code
        else:
            messages.success(request, f"任务{task.number}已修改：{result.summary()}")
            return redirect("task", pk=task.pk)
    return render(
        request, "web/task_edit.html", {"task": task, "form": form, "retired": retired}, status=status
    )
