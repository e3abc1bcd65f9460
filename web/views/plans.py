"""整改方案: the plans side by side, each with its figures, and closing (归档) or reopening one."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tasks.choices import Status
from tasks.models import Plan
from tasks.policy import OFFICE, OVERSIGHT
from tasks.services import formkeys
from tasks.services import plans as plan_services
from tasks.services.errors import LedgerError
from web.access import role_required
from web.forms import PlanCloseForm


def _page(request, form=None, form_plan=None, status=200):
    in_force = Q(tasks__assignments__retired_at=None)
    rows = list(
        Plan.objects.annotate(
            task_count=Count("tasks", distinct=True),
            row_count=Count("tasks__assignments", filter=in_force, distinct=True),
            signed_off=Count(
                "tasks__assignments",
                filter=in_force & Q(tasks__assignments__status=Status.SIGNED_OFF),
                distinct=True,
            ),
        ).order_by("imported_at", "pk")
    )
    office = request.role in OFFICE
    for plan in rows:
        plan.form = (
            form if form_plan == plan.pk else (PlanCloseForm(prefix=f"p{plan.pk}") if office else None)
        )
    return render(request, "web/plans.html", {"plans": rows, "office": office}, status=status)


@role_required(OVERSIGHT)
def plans(request):
    return _page(request)


@require_POST
@role_required(OFFICE)
def close(request, pk: int, reopen: bool = False):
    plan = get_object_or_404(Plan, pk=pk)
    form = PlanCloseForm(request.POST, prefix=f"p{plan.pk}")
    if not form.is_valid():
        return _page(request, form, plan.pk, status=400)
    act = plan_services.reopen_plan if reopen else plan_services.close_plan
    try:
        with transaction.atomic():  # the form's one-time key is used up with the change, or not at all
            formkeys.consume(request.user, request.POST.get("form_key"))
            act(plan.pk, actor=request.user, reason=form.cleaned_data["reason"])
    except LedgerError as error:
        form.show_error(error)
        return _page(request, form, plan.pk, status=error.status_code)
    messages.success(request, f"方案“{plan.title}”已{'恢复' if reopen else '归档'}")
    return redirect("plans")
