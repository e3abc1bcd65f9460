"""The ledger (台账) and the task page."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from tasks.models import Assignment, Official, Task
from tasks.weeks import today, week_of
from web.access import OVERSIGHT_ROLES, role_required
from web.filters import LedgerFilterForm
from web.forms import WeeklyExcelForm
from web.timeline import timeline, with_history

PAGE_SIZE = 50


@role_required()
def ledger(request):
    day = today()
    form = LedgerFilterForm(request.GET or None, show_units=request.role in OVERSIGHT_ROLES)
    rows = form.apply(Assignment.objects.visible_to(request.user), day).select_related("task__category", "unit")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "week": week_of(day), "today": day,
               "excel_form": WeeklyExcelForm(initial={"week": week_of(day)})}
    return render(request, "web/ledger.html", context, status=400 if form.errors else 200)


@role_required()
def task_page(request, pk: int):
    """The plan's text for one task and, for each assignment the user may see, its timeline."""
    day = today()
    visible = with_history(Assignment.objects.visible_to(request.user).with_level(day).select_related("unit"))
    task = get_object_or_404(
        Task.objects.select_related("category").prefetch_related(
            "measures",
            "cooperating_units",
            Prefetch("officials", queryset=Official.objects.select_related("unit")),
            Prefetch("assignments", queryset=visible.order_by("unit__name"), to_attr="visible_assignments"),
        ),
        pk=pk,
    )
    rows = [(assignment, timeline(assignment)) for assignment in task.visible_assignments]
    return render(request, "web/task.html", {"task": task, "rows": rows, "today": day})
