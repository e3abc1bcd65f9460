"""The ledger (台账) and the task page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accountability import services as accountability
from accountability.models import LeaderLedItem, is_listed
from tasks.filtersets import AssignmentFilterSet, by_task
from tasks.models import Assignment, Official, Task
from tasks.models.plan import unit_order
from tasks.policy import OVERSIGHT, can
from tasks.services.errors import LedgerError
from tasks.weeks import today, week_of
from web.access import role_required
from web.forms import LeaderItemForm, WeeklyExcelForm
from web.timeline import timeline, with_history

PAGE_SIZE = 50


@role_required()
def ledger(request):
    day = today()
    scoped = by_task(Assignment.objects.visible_to(request.user).with_level(day))
    filters = AssignmentFilterSet(request.GET or None, scoped, request=request)
    if request.role not in OVERSIGHT:
        del filters.filters["unit"]  # a liaison or unit leader sees one unit: no choice to make
    form = filters.form
    rows = filters.qs if not filters.is_bound or filters.is_valid() else scoped.none()
    rows = rows.select_related("task__category", "unit").annotate(listed=is_listed())  # the 挂牌督办 badge
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "week": week_of(day),
        "today": day,
        "excel_form": WeeklyExcelForm(initial={"week": week_of(day)}),
    }
    return render(request, "web/ledger.html", context, status=400 if form.errors else 200)


def _task_page(request, pk: int, leader_form=None, status=200):
    """The plan's text for one task, its leader-led items and, for each assignment the user may see, its timeline."""
    day = today()
    visible = with_history(Assignment.objects.visible_to(request.user).with_level(day).select_related("unit"))
    task = get_object_or_404(
        Task.objects.select_related("category").prefetch_related(
            "measures",
            "cooperating_units",
            Prefetch("officials", queryset=Official.objects.select_related("unit")),
            Prefetch(
                "assignments",
                queryset=visible.annotate(listed=is_listed()).order_by(*unit_order("unit__")),
                to_attr="visible_assignments",
            ),
            Prefetch("leader_items", queryset=LeaderLedItem.objects.order_by("created_at", "pk")),
        ),
        pk=pk,
    )
    rows = [(assignment, timeline(assignment)) for assignment in task.visible_assignments]
    if leader_form is None and can(request.user, "add_leader_item"):
        leader_form = LeaderItemForm()
    context = {"task": task, "rows": rows, "today": day, "leader_form": leader_form}
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
        item = accountability.add_leader_item(actor=request.user, task=task, **form.cleaned_data)
    except LedgerError as error:
        form.show_error(error)
        return _task_page(request, pk, form, status=error.status_code)
    messages.success(request, f"已登记：{item.leader_name} 领办任务{task.number}")
    return redirect(reverse("task", args=[task.pk]) + "#leader-items")
