"""督办问责: listed supervision, summons, accountability cases and leader-led items in one page.

Everyone signed in reads what the models' ``visible_to`` lets them see (a unit's liaison and leader:
their unit's records; office and leaders: all). Leader-led items (领导领办) are the exception: they are
about tasks, not units, and tasks are public to every signed-in user, so every role sees all of them.
Only the office writes, each write through
``accountability/services.py`` so it is audited. A write first finds its record through
``visible_to`` (another unit's record is a 404), then checks the role (403), then reads the form
(400 with the message beside the field, nothing changed), then calls the service.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accountability import services
from accountability.models import AccountabilityCase, CaseStatus, LeaderLedItem, ListedSupervision, Summons
from tasks.models import Assignment, Unit
from tasks.policy import OFFICE, can
from tasks.services.errors import LedgerError, NotFound
from tasks.weeks import today
from web import forms
from web.access import role_required

RECENTLY_LIFTED = 20  # the latest lifted listings shown under the active ones


def _listings(user):
    return ListedSupervision.objects.visible_to(user).select_related(
        "assignment__task", "assignment__unit", "listed_by"
    )


def _days_left(deadline, day) -> int:
    return (deadline - day).days


def _context(request, bound=None):
    """The page's four sections; ``bound`` is ``(kind, pk, form)`` for a form that failed, shown again with its errors."""
    day, user = today(), request.user
    office = request.role in OFFICE
    kind, bound_pk, bound_form = bound or (None, None, None)
    active = list(
        _listings(user).active().order_by("deadline", "assignment__task__number", "assignment__unit__name")
    )
    for listing in active:
        listing.days_left = _days_left(listing.deadline, day)
        listing.days_overdue = -listing.days_left
        if office:
            listing.lift_form = (
                bound_form
                if (kind, bound_pk) == ("lift", listing.pk)
                else forms.LiftForm(auto_id=f"lift{listing.pk}-%s")
            )
    lifted = list(
        _listings(user)
        .exclude(lifted_at=None)
        .select_related("lifted_by")
        .order_by("-lifted_at")[:RECENTLY_LIFTED]
    )
    summons = list(
        Summons.objects.visible_to(user)
        .select_related("unit", "created_by")
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related("task")))
        .order_by("-held_on", "-pk")
    )
    cases = list(
        AccountabilityCase.objects.visible_to(user)
        .select_related("unit", "assignment__task")
        .order_by("-referred_on", "-pk")
    )
    for case in cases:
        if office and case.status != CaseStatus.CONCLUDED:
            case.status_form = (
                bound_form
                if (kind, bound_pk) == ("case_status", case.pk)
                else forms.CaseStatusForm(case=case, initial={"status": case.status})
            )
    context = {
        "today": day,
        "office": office,
        "active": active,
        "overdue_count": sum(1 for listing in active if listing.days_left < 0),
        "lifted": lifted,
        "summons": summons,
        "cases": cases,
        "leader_items": list(
            LeaderLedItem.objects.select_related("task").order_by("task__number", "leader_name")
        ),
    }
    shown = [getattr(item, "lift_form", None) for item in active] + [
        getattr(case, "status_form", None) for case in cases
    ]
    if kind in ("lift", "case_status") and bound_form not in shown:
        # the record left the list (lifted, concluded) since the page was loaded: say why at the top
        context["stray_errors"] = [error for errors in bound_form.errors.values() for error in errors]
    if office:
        units = list(_units())
        context["summons_form"] = bound_form if kind == "summons" else forms.SummonsForm(units=units)
        context["case_form"] = bound_form if kind == "case" else forms.CaseForm(units=units)
        context["open_form"] = kind
    return context


@role_required()
def supervision(request):
    return render(request, "web/supervision.html", _context(request))


def _refuse_unless(request, action):
    """403 with the policy's reason before the form is read, for a user who may not take ``action``."""
    decision = can(request.user, action)
    if not decision:
        raise PermissionDenied(decision.reason)


def _submit(request, bound, call, anchor):
    """Read the bound form and run ``call(data)``, which returns the success message. Bad input (400) or a
    ``LedgerError`` (its status) shows the page again with the message beside the field, nothing changed."""
    form = bound[2]
    if not form.is_valid():
        return render(request, "web/supervision.html", _context(request, bound), status=400)
    try:
        message = call(form.cleaned_data)
    except LedgerError as error:
        if isinstance(error, NotFound):
            raise Http404(error.message) from None
        form.show_error(error)
        return render(request, "web/supervision.html", _context(request, bound), status=error.status_code)
    messages.success(request, message)
    return redirect(reverse("supervision") + anchor)


def _units():
    return Unit.objects.pickable()


@require_POST
@role_required()
def lift(request, pk):
    listing = get_object_or_404(ListedSupervision.objects.visible_to(request.user), pk=pk)
    _refuse_unless(request, "lift_supervision")

    def call(data):
        services.lift_listing(listing.pk, actor=request.user, note=data["note"])
        return f"已摘牌：任务{listing.assignment.task.number} · {listing.assignment.unit.name}"

    form = forms.LiftForm(request.POST, auto_id=f"lift{listing.pk}-%s")
    return _submit(request, ("lift", listing.pk, form), call, "#listings")


@require_POST
@role_required()
def record_summons(request):
    _refuse_unless(request, "record_summons")

    def call(data):
        services.record_summons(actor=request.user, **data)
        return f"已记录约谈：{data['unit'].name}"

    return _submit(
        request, ("summons", None, forms.SummonsForm(request.POST, units=_units())), call, "#summons"
    )


@require_POST
@role_required()
def refer_case(request):
    _refuse_unless(request, "refer_case")

    def call(data):
        services.refer_case(actor=request.user, **data)
        return f"已移交责任追究：{data['unit'].name} · {data['persons']}"

    return _submit(request, ("case", None, forms.CaseForm(request.POST, units=_units())), call, "#cases")


@require_POST
@role_required()
def case_status(request, pk):
    case = get_object_or_404(AccountabilityCase.objects.visible_to(request.user), pk=pk)
    _refuse_unless(request, "update_case")

    def call(data):
        services.update_case(case.pk, actor=request.user, **data)
        return f"已更新办理状态：{case.unit.name} · {case.persons}"

    form = forms.CaseStatusForm(request.POST, case=case)
    return _submit(request, ("case_status", case.pk, form), call, f"#case-{case.pk}")
