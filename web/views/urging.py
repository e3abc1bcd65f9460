"""催办 from the pages: the office urges (one row, a unit, a filtered ledger); a unit signs for it (签收)."""

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dispatch import urging
from tasks.filtersets import AssignmentFilterSet, by_task
from tasks.models import Assignment
from tasks.policy import ROLES
from tasks.services.errors import LedgerError
from tasks.weeks import today
from web.access import role_required
from web.forms import UrgeForm
from web.views.common import safe_next


def _refused(request, errors, status=400):
    back = safe_next(request, reverse("ledger"))
    return render(request, "web/refused.html", {"errors": errors, "back": back}, status=status)


def _targets(request, data):
    """The assignment ids of the urge's scope, or None with the reason."""
    if data["scope"] == "assignment":
        return [data["assignment"]], None
    if data["scope"] == "unit":
        return list(Assignment.objects.filter(unit_id=data["unit"]).values_list("pk", flat=True)), None
    scoped = by_task(Assignment.objects.visible_to(request.user).with_level(today()))
    filters = AssignmentFilterSet(QueryDict(data["query"] or ""), scoped, request=request)
    if filters.is_bound and not filters.is_valid():
        return None, "筛选条件不正确，请回到台账重新筛选后再催办"
    return list(filters.qs.values_list("pk", flat=True)), None


@require_POST
@role_required(ROLES["urge"][0])
def urge(request):
    form = UrgeForm(request.POST)
    if not form.is_valid():
        return _refused(request, [e for errors in form.errors.values() for e in errors])
    ids, problem = _targets(request, form.cleaned_data)
    if problem:
        return _refused(request, [problem])
    try:
        urges = urging.urge(ids, actor=request.user, message=form.cleaned_data["message"])
    except LedgerError as error:
        return _refused(request, [error.message], error.status_code)
    units = len({u.assignment.unit_id for u in urges})
    messages.success(request, f"已催办 {len(urges)} 项台账，涉及 {units} 个单位")
    return redirect(safe_next(request, "ledger"))


@require_POST
@role_required(ROLES["acknowledge_urge"][0])
def acknowledge(request, pk):
    try:
        closed = urging.acknowledge(pk, actor=request.user)
    except LedgerError as error:
        return _refused(request, [error.message], error.status_code)
    messages.success(request, f"已签收 {closed} 条催办")
    return redirect(safe_next(request, "desk"))
