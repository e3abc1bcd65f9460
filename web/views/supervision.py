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
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accountability import services
from accountability.models import AccountabilityCase, LeaderLedItem, ListedSupervision, Summons
from reports.tables import Table, TableColumn
from tasks.models import Assignment, Unit
from tasks.policy import OFFICE, can
from tasks.services import formkeys
from tasks.services.errors import LedgerError, NotFound
from tasks.weeks import today
from web import drafts, forms
from web.access import role_required
from web.exports import local, person, wants_xlsx, xlsx_response, yes

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
        .select_related("unit", "created_by", "voided_by")
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related("task")))
        .order_by("-held_on", "-pk")
    )
    cases = list(
        AccountabilityCase.objects.visible_to(user)
        .select_related("unit", "assignment__task", "voided_by")
        .order_by("-referred_on", "-pk")
    )
    for case in cases:
        if (
            office and services.CASE_FLOW[case.status] and case.voided_at is None
        ):  # a case that can still move on
            case.status_form = (
                bound_form
                if (kind, bound_pk) == ("case_status", case.pk)
                else forms.CaseStatusForm(case=case, initial={"status": case.status})
            )
    if office:
        records = (
            [("listing", r) for r in active]
            + [("summons", r) for r in summons]
            + [("case", r) for r in cases]
        )
        for record_kind, record in records:
            if record.voided_at is not None:
                continue
            if (kind, bound_pk) == (("correct", record_kind), record.pk):
                record.correct_form = bound_form
            else:
                record.correct_form = forms.CORRECTION_FORMS[record_kind](record=record)
            if (kind, bound_pk) == (("void", record_kind), record.pk):
                record.void_form = bound_form
            else:
                record.void_form = forms.VoidRecordForm(record_id=record.pk, kind=record_kind)
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
    for record in [*active, *summons, *cases]:
        shown += [getattr(record, "correct_form", None), getattr(record, "void_form", None)]
    if (kind in ("lift", "case_status") or isinstance(kind, tuple)) and bound_form not in shown:
        # the record left the list (lifted, concluded) since the page was loaded: say why at the top
        context["stray_errors"] = [error for errors in bound_form.errors.values() for error in errors]
    if office:
        units = list(_units())
        context["summons_form"] = bound_form if kind == "summons" else forms.SummonsForm(units=units)
        context["case_form"] = bound_form if kind == "case" else forms.CaseForm(units=units)
        context["open_form"] = kind
    return context


RESTORABLE = {"supervision-summons": "summons_form", "supervision-case": "case_form"}


@role_required()
def supervision(request):
    gone = []
    restored = drafts.restore(request, gone)
    context = _context(request)
    if wants_xlsx(request):
        return xlsx_response("督办问责", supervision_tables(context))
    if restored is not None and RESTORABLE.get(restored[0]) in context:  # typed before the session expired
        form = context[RESTORABLE[restored[0]]]
        form.initial.update({k: v for k, v in restored[1].items() if k in form.fields})
        context["open_form"] = restored[0].removeprefix("supervision-")
    response = render(request, "web/supervision.html", context)
    for cookie in gone:
        response.delete_cookie(cookie)
    return response


def supervision_tables(context) -> list[Table]:
    """The page's tables: listings under supervision, recently lifted, summons and referred cases."""
    listing = [
        TableColumn("任务", lambda r: r.assignment.task.number, 8, "int"),
        TableColumn("责任单位", lambda r: r.assignment.unit.name, 14),
        TableColumn("挂牌理由", lambda r: r.reason, 40),
        TableColumn("督办期限", lambda r: r.deadline, 12, "date"),
        TableColumn("挂牌时间", lambda r: local(r.listed_at), 17, "center"),
    ]
    lifted = [
        *listing,
        TableColumn("摘牌时间", lambda r: local(r.lifted_at), 17, "center"),
        TableColumn("摘牌人", lambda r: person(r.lifted_by), 12),
        TableColumn("摘牌说明", lambda r: r.lift_note, 40),
    ]
    summons = [
        TableColumn("约谈日期", lambda r: r.held_on, 12, "date"),
        TableColumn("责任单位", lambda r: r.unit.name, 14),
        TableColumn("被约谈人", lambda r: r.attendees, 20),
        TableColumn("约谈事由", lambda r: r.reason, 40),
        TableColumn("整改要求", lambda r: r.requirements, 40),
        TableColumn("涉及任务", lambda r: "、".join(f"任务{a.task.number}" for a in r.assignments.all()), 20),
        TableColumn("已作废", lambda r: yes(r.voided_at), 8, "center"),
    ]
    cases = [
        TableColumn("移交日期", lambda r: r.referred_on, 12, "date"),
        TableColumn("责任单位", lambda r: r.unit.name, 14),
        TableColumn("任务", lambda r: r.assignment.task.number if r.assignment else "", 8, "int"),
        TableColumn("涉及人员", lambda r: r.persons, 20),
        TableColumn("问题线索", lambda r: r.summary, 40),
        TableColumn("移交机关", lambda r: r.referred_to, 16),
        TableColumn("状态", lambda r: r.get_status_display(), 10, "center"),
        TableColumn("处理结果", lambda r: r.conclusion, 30),
        TableColumn("已作废", lambda r: yes(r.voided_at), 8, "center"),
    ]
    return [
        Table("挂牌督办", listing, context["active"]),
        Table("近期摘牌", lifted, context["lifted"]),
        Table("约谈", summons, context["summons"]),
        Table("移交问责", cases, context["cases"]),
    ]


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
        with transaction.atomic():  # the form's one-time key is used up with the change, or not at all
            formkeys.consume(request.user, request.POST.get("form_key"))
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


MODELS = {"listing": ListedSupervision, "summons": Summons, "case": AccountabilityCase}
ANCHORS = {"listing": "#listings", "summons": "#summons", "case": "#cases"}


@require_POST
@role_required()
def correct(request, kind, pk):
    """更正 a listing, summons or case record (the office, with a reason)."""
    if kind not in MODELS:
        raise Http404("没有这类记录")
    record = get_object_or_404(MODELS[kind].objects.visible_to(request.user), pk=pk)
    _refuse_unless(request, "correct_record")
    form = forms.CORRECTION_FORMS[kind](request.POST, record=record)

    def call(data):
        services.correct_record(kind, record.pk, actor=request.user, note=data["note"], **form.changes())
        return f"已更正{services.LABELS[kind]}"

    return _submit(request, (("correct", kind), record.pk, form), call, ANCHORS[kind])


@require_POST
@role_required()
def void(request, kind, pk):
    """作废 a listing, summons or case record made by mistake (the office, with a reason)."""
    if kind not in MODELS:
        raise Http404("没有这类记录")
    record = get_object_or_404(MODELS[kind].objects.visible_to(request.user), pk=pk)
    _refuse_unless(request, "correct_record")
    form = forms.VoidRecordForm(request.POST, record_id=record.pk, kind=kind)

    def call(data):
        services.void_record(kind, record.pk, actor=request.user, reason=data["reason"])
        return f"已作废{services.LABELS[kind]}"

    return _submit(request, (("void", kind), record.pk, form), call, ANCHORS[kind])
