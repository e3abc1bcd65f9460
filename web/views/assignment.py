"""One assignment: its history and the forms for what the user may do next.

Every action is a POST to ``/assignments/<id>/<action>/``. The view finds the
assignment through ``visible_to`` (another unit's row is a 404), lets the form read
the input and calls the ledger service; a ``LedgerError`` re-renders the page with
the service's message next to the field, with the error's status code. Listing the
assignment for supervision (挂牌督办) and lifting it go through ``accountability/services.py``;
any other role than the office's gets 403 for them before the form is read.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accountability import services as accountability
from accountability.models import active_listing, with_active_listing
from dispatch import instructions
from tasks.models import Assignment, Evidence
from tasks.policy import allowed_actions, can, pending_extension, pending_review
from tasks.services import formkeys, ledger
from tasks.services.errors import LedgerError, NotFound, StaleVersion
from tasks.weeks import today
from web import drafts, forms
from web.access import role_required
from web.timeline import timeline, with_history
from web.views.common import safe_next


def _load(request, pk):
    queryset = with_active_listing(
        with_history(
            Assignment.objects.visible_to(request.user)
            .with_level_inputs(today())
            .select_related("task__category", "task__plan", "unit")
            .prefetch_related("task__measures")
        )
    )
    assignment = get_object_or_404(queryset, pk=pk)
    # judged in Python, as the ledger's and the task page's rows
    assignment.level = assignment.judgement.level
    return assignment


# The page's form for each action the policy allows (``tasks.policy.ASSIGNMENT_ACTIONS``).
FORM_OF_ACTION = {
    "report": "report",
    "request_signoff": "signoff",
    "withdraw_signoff": "withdraw_signoff",
    "withdraw_extension": "withdraw_extension",
    "request_extension": "extension",
    "approve": "check",
    "schedule_review": "schedule_review",
    "record_review": "review_outcome",
    "advance_review": "advance_review",
    "decide_extension": "extension_decision",
    "list_supervision": "supervise",
    "lift_supervision": "lift_supervision",
}


def _forms(assignment, request):
    """The forms the user may use on the assignment as it stands (``tasks.policy.allowed_actions``), unbound."""
    initial = {"version": assignment.version}
    available = {}
    for action in allowed_actions(request.user, assignment, listing=active_listing(assignment)):
        name = FORM_OF_ACTION.get(action)
        if name == "report":
            available[name] = forms.ReportForm(initial=dict(initial), measures=assignment.task.measures.all())
        elif name in ("review_outcome", "advance_review"):
            available[name] = ACTIONS[name][0](initial={**initial, "review": pending_review(assignment).pk})
        elif name == "withdraw_extension":
            available[name] = forms.WithdrawExtensionForm(
                initial={**initial, "extension": pending_extension(assignment).pk}
            )
        elif name == "extension_decision":
            available[name] = forms.ExtensionDecisionForm(
                initial={**initial, "extension": pending_extension(assignment).pk}
            )
        elif name is not None:
            available[name] = ACTIONS[name][0](initial=initial)
    return available


TIMELINE_PER_PAGE = 20  # a row's history, newest first, a page at a time (weekly reports pile up)


def _render(request, assignment, bound=None, status=200, restored=None):
    available = _forms(assignment, request)
    if restored is not None and restored[0] in available:  # typed before the session expired
        action, data = restored
        available[action].initial.update({k: v for k, v in data.items() if k in available[action].fields})
    if bound is not None and bound[0] != "void_report":
        available[bound[0]] = bound[1]
    notes = instructions.for_assignment(assignment, request.user)  # 领导批示 and replies: 2 queries
    events = timeline(assignment, notes)
    bound_void = bound[1] if bound is not None and bound[0] == "void_report" else None
    number = request.GET.get("page")
    if bound_void is not None:  # the page holding the report whose void form has an error
        wanted = str(bound_void.data.get("report"))
        at = next((i for i, e in enumerate(events) if e.report is not None and str(e.report.pk) == wanted), 0)
        number = at // TIMELINE_PER_PAGE + 1
    page = Paginator(events, TIMELINE_PER_PAGE).get_page(number)
    for event in page.object_list:
        report = event.report
        if report is not None and can(request.user, "void_report", assignment, item=report):
            shown = bound_void is not None and bound_void.data.get("report") == str(report.pk)
            event.void_form = (
                bound_void
                if shown
                else forms.VoidReportForm(initial={"version": assignment.version, "report": report.pk})
            )
    context = {
        "assignment": assignment,
        "task": assignment.task,
        "timeline": page.object_list,
        "timeline_page": page,
        "instructions": notes,
        "forms": available,
        "pending_review": pending_review(assignment),
        "pending_extension": pending_extension(assignment),
        "listing": active_listing(assignment),
        "today": today(),
    }
    return render(request, "web/assignment.html", context, status=status)


@role_required()
def assignment_page(request, pk):
    gone = []
    restored = drafts.restore(request, gone)
    response = _render(request, _load(request, pk), restored=restored)
    for cookie in gone:
        response.delete_cookie(cookie)
    return response


def _report(assignment, data, user):
    ledger.submit_report(
        assignment.pk,
        actor=user,
        week=data["week"],
        text=data["text"],
        percent=data["percent"],
        measure_notes=data["measure_notes"],
        files=data["evidence"],
        drop_reason=data["drop_reason"],
        expected_version=data["version"],
    )
    return "进展已报送"


def _signoff(assignment, data, user):
    ledger.request_signoff(
        assignment.pk,
        actor=user,
        summary=data["summary"],
        files=data["evidence"],
        expected_version=data["version"],
    )
    return "销号申请已提交，等待单位负责人审核"


def _extension(assignment, data, user):
    ledger.request_extension(
        assignment.pk,
        actor=user,
        new_due_date=data["new_due_date"],
        reason=data["reason"],
        expected_version=data["version"],
    )
    return "延期申请已提交，等待本单位负责人审核"


def _void_report(assignment, data, user):
    report = next((r for r in assignment.reports.all() if r.pk == data["report"]), None)
    if report is None:
        raise NotFound("该报送不存在")
    report = ledger.void_report(
        report.pk, actor=user, reason=data["reason"], expected_version=data["version"]
    )
    return f"{report.week} 的报送已作废"


def _withdraw_signoff(assignment, data, user):
    ledger.withdraw_signoff(
        assignment.pk, actor=user, reason=data["reason"], expected_version=data["version"]
    )
    return "销号申请已撤回"


def _withdraw_extension(assignment, data, user):
    extensions = assignment.extensions.all()
    extension = _shown(extensions, data["extension"], pending_extension(assignment), "延期申请")
    ledger.withdraw_extension(
        extension.pk, actor=user, reason=data["reason"], expected_version=data["version"]
    )
    return "延期申请已撤回"


def _check(assignment, data, user):
    if data["decision"] == "approve":
        request = ledger.approve(
            assignment.pk, actor=user, opinion=data["opinion"], expected_version=data["version"]
        )
        return "已销号" if request.status == "approved" else "单位审核通过，已报省督察办"
    ledger.reject(assignment.pk, actor=user, reason=data["opinion"], expected_version=data["version"])
    return "已退回"


def _schedule_review(assignment, data, user):
    ledger.schedule_review(
        assignment.pk, actor=user, scheduled_for=data["scheduled_for"], expected_version=data["version"]
    )
    return "回头看已安排"


def _shown(items, pk, pending, what):
    """The request the page showed, if it is still the pending one; a page older than that is stale.

    An id that is none of this assignment's is a 404; one of its requests that has since been
    decided, or replaced by a newer one, gets the stale page's 412 so nothing the office never
    saw is decided.
    """
    item = next((item for item in items if item.pk == pk), None)
    if item is None:
        raise NotFound(f"该{what}不存在")
    if pending is None or item.pk != pending.pk:
        raise StaleVersion(f"该{what}已处理或已变更，请刷新后重试")
    return item


def _review_outcome(assignment, data, user):
    reviews = assignment.reviews.all()
    review = _shown(reviews, data["review"], pending_review(assignment), "回头看")
    review = ledger.record_review(
        review.pk,
        actor=user,
        outcome=data["outcome"],
        findings=data["findings"],
        requirements=data["requirements"],
        new_due_date=data["new_due_date"],
        files=data["evidence"],
        expected_version=data["version"],
    )
    if review.outcome == "relapsed":
        return f"问题反弹，已重新整改，期限 {review.new_due_date:%Y-%m-%d}"
    return "回头看结论已记录：整改成效巩固"


def _advance_review(assignment, data, user):
    review = _shown(assignment.reviews.all(), data["review"], pending_review(assignment), "回头看")
    review = ledger.advance_review(
        review.pk,
        actor=user,
        scheduled_for=data["scheduled_for"],
        reason=data["reason"],
        expected_version=data["version"],
    )
    return f"回头看已提前至 {review.scheduled_for:%Y-%m-%d}"


def _extension_decision(assignment, data, user):
    extensions = assignment.extensions.all()
    extension = _shown(extensions, data["extension"], pending_extension(assignment), "延期申请")
    extension = ledger.decide_extension(
        extension.pk,
        actor=user,
        approve=data["decision"] == "approve",
        note=data["note"],
        expected_version=data["version"],
    )
    return ledger.extension_message(extension)


def _supervise(assignment, data, user):
    accountability.list_assignment(assignment, actor=user, reason=data["reason"], deadline=data["deadline"])
    return "已挂牌督办"


def _lift_supervision(assignment, data, user):
    listing = active_listing(assignment)
    if listing is None:
        raise NotFound("该台账不在挂牌督办中")
    accountability.lift_listing(listing.pk, actor=user, note=data["note"])
    return "已摘牌"


ACTIONS = {
    "report": (forms.ReportForm, _report),
    "signoff": (forms.SignOffForm, _signoff),
    "withdraw_signoff": (forms.WithdrawSignoffForm, _withdraw_signoff),
    "void_report": (forms.VoidReportForm, _void_report),
    "withdraw_extension": (forms.WithdrawExtensionForm, _withdraw_extension),
    "extension": (forms.ExtensionForm, _extension),
    "check": (forms.CheckForm, _check),
    "schedule_review": (forms.ScheduleReviewForm, _schedule_review),
    "review_outcome": (forms.ReviewOutcomeForm, _review_outcome),
    "advance_review": (forms.AdvanceReviewForm, _advance_review),
    "extension_decision": (forms.ExtensionDecisionForm, _extension_decision),
    "supervise": (forms.SuperviseForm, _supervise),
    "lift_supervision": (forms.LiftForm, _lift_supervision),
}
# Refused by role before the form is read (the others are refused by their service, with the form).
REFUSED_BEFORE_INPUT = {"supervise": "list_supervision", "lift_supervision": "lift_supervision"}


@require_POST
@role_required()
def act(request, pk, action):
    if action not in ACTIONS:
        raise Http404("没有这项操作")
    assignment = _load(request, pk)
    if action in REFUSED_BEFORE_INPUT:
        decision = can(request.user, REFUSED_BEFORE_INPUT[action])
        if not decision:
            raise PermissionDenied(decision.reason)
    form_class, handler = ACTIONS[action]
    extra = {"measures": assignment.task.measures.all()} if form_class is forms.ReportForm else {}
    form = form_class(request.POST, request.FILES, **extra)
    if not form.is_valid():
        return _render(request, assignment, (action, form), status=400)
    data = dict(form.cleaned_data)
    if isinstance(form, forms.ReportForm):
        data["measure_notes"] = form.measure_notes()
    try:
        # The form's one-time key is used up with the change, or not at all (a refusal rolls both back).
        with transaction.atomic():
            formkeys.consume(request.user, request.POST.get("form_key"))
            message = handler(assignment, data, request.user)
    except LedgerError as error:
        if isinstance(error, NotFound):
            raise Http404(error.message) from None
        form.show_error(error)
        return _render(request, assignment, (action, form), status=error.status_code)
    messages.success(request, message)
    return redirect(safe_next(request, reverse("assignment", args=[assignment.pk])))


@role_required()
def evidence_file(request, pk):
    """An evidence file, for those who may see its assignment only (media is not served otherwise)."""
    item = get_object_or_404(
        Evidence.objects.filter(assignment__in=Assignment.objects.visible_to(request.user).values("pk")),
        pk=pk,
    )
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件已不存在") from None
    return FileResponse(handle, as_attachment=True, filename=item.original_name)
