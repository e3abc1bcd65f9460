"""领导批示 and 签收 from the pages: leaders and the office instruct; a unit replies and acknowledges."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dispatch import handovers, instructions
from tasks.models import Assignment, Task
from tasks.policy import ROLES
from tasks.services.errors import LedgerError
from web.access import role_required
from web.forms import InstructionForm, InstructionReplyForm
from web.views.common import safe_next


def _refused(request, errors, status=400, back="desk"):
    back = safe_next(request, reverse(back))
    return render(request, "web/refused.html", {"errors": errors, "back": back}, status=status)


def _errors(form) -> list[str]:
    return [e for errors in form.errors.values() for e in errors]


@require_POST
@role_required(ROLES["instruct"][0])
def instruct(request):
    form = InstructionForm(request.POST)
    if not form.is_valid():
        return _refused(request, _errors(form), back="ledger")
    data = form.cleaned_data
    try:
        if data.get("assignment"):
            row = Assignment.objects.visible_to(request.user).select_related("task__plan", "unit")
            row = row.filter(pk=data["assignment"]).first()
            if row is None:
                return _refused(request, ["台账不存在或无权查看"], 404, back="ledger")
            item = instructions.issue(actor=request.user, text=data["text"], assignment=row)
        else:
            task = Task.objects.filter(pk=data["task"]).first()
            if task is None:
                return _refused(request, ["整改任务不存在"], 404, back="ledger")
            item = instructions.issue(actor=request.user, text=data["text"], task=task)
    except LedgerError as error:
        return _refused(request, [error.message], error.status_code, back="ledger")
    units = item.handovers.count()
    messages.success(request, f"批示已发送 {units} 个责任单位，待其签收")
    return redirect(safe_next(request, reverse("task", args=[item.task_id])))


@require_POST
@role_required(ROLES["reply_instruction"][0])
def reply(request, pk):
    form = InstructionReplyForm(request.POST)
    if not form.is_valid():
        return _refused(request, _errors(form))
    try:
        instructions.reply(pk, actor=request.user, text=form.cleaned_data["text"])
    except LedgerError as error:
        return _refused(request, [error.message], error.status_code)
    messages.success(request, "已回复批示（并已签收）")
    return redirect(safe_next(request, "desk"))


@require_POST
@role_required(ROLES["acknowledge"][0])
def acknowledge(request, pk):
    try:
        item = handovers.acknowledge(pk, actor=request.user)
    except LedgerError as error:
        return _refused(request, [error.message], error.status_code)
    messages.success(request, f"已签收：{item.get_kind_display()}")
    return redirect(safe_next(request, "desk"))
