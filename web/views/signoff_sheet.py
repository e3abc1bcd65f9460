"""The 销号单 as a form people sign, and the page that checks the short code printed on it.

``/signoffs/<id>/`` is the approved request as the two checks left it (unit, task, measures,
evidence, both checks with who and when and their opinions), with signature and seal lines for
the unit's leader and the office, and the audit chain's short code (``audit.short_code`` of the
request's last entry). Anyone who may see the assignment (``Assignment.objects.visible_to``) may
print it; another unit's is a 404. ``/verify/?code=…`` checks a printed code
(``audit_checks.verify_code``) for anyone, signed in or not, and says which document it is,
naming a task only when the public may see it or the reader may see the row.
"""

from django.shortcuts import render

from dispatch.models import Bulletin, BulletinStatus
from tasks.choices import SignOffStatus
from tasks.models import Assignment, AuditEntry, SignOffRequest
from tasks.services import audit
from tasks.services.audit_checks import verify_code
from web.access import role_required

MAX_CODE = 40


def _not_found(request, message):
    return render(request, "400.html", {"message": message}, status=404)


@role_required()
def signoff_sheet(request, pk):
    signoff = (
        SignOffRequest.objects.filter(
            pk=pk, assignment__in=Assignment.objects.visible_to(request.user).values("pk")
        )
        .select_related(
            "assignment__task__category",
            "assignment__task__plan",
            "assignment__unit",
            "requested_by",
            "unit_checked_by",
            "office_checked_by",
        )
        .first()
    )
    if signoff is None:
        return _not_found(request, "销号单不存在或无权查看")
    if signoff.status != SignOffStatus.APPROVED:
        return _not_found(request, f"该销号申请{signoff.get_status_display()}，两道审核完成后才有销号单")
    final = (
        AuditEntry.objects.filter(model=SignOffRequest._meta.label_lower, object_id=str(signoff.pk))
        .only("id", "hash", "at")
        .order_by("-id")
        .first()
    )
    context = {
        "signoff": signoff,
        "assignment": signoff.assignment,
        "task": signoff.assignment.task,
        "measures": list(signoff.assignment.task.measures.order_by("number")),
        "evidence": list(signoff.evidence.order_by("uploaded_at", "pk")),
        "final": final,
        "audit_code": audit.short_code(final),
    }
    return render(request, "web/signoff_sheet.html", context)


def _document(request, entry) -> str:
    """What the entry is the record of, as the reader may be told."""
    if entry.model == Bulletin._meta.label_lower:
        bulletin = Bulletin.objects.filter(pk=entry.object_id).only("month", "status").first()
        if bulletin is not None and bulletin.status == BulletinStatus.PUBLISHED:
            return f"{bulletin.month} 月通报"
        return "月通报"
    if entry.model == SignOffRequest._meta.label_lower:
        signoff = (
            SignOffRequest.objects.filter(pk=entry.object_id)
            .select_related("assignment__task", "assignment__unit")
            .first()
        )
        if signoff is None:
            return "整改任务销号单"
        a = signoff.assignment
        shown = a.task.is_public or Assignment.objects.visible_to(request.user).filter(pk=a.pk).exists()
        return f"整改任务销号单（任务{a.task.number} · {a.unit.name}）" if shown else "整改任务销号单"
    return "操作记录"


def verify(request):
    """校验码核验: open to anyone; the code's entry must exist and its hash begin with the code."""
    code = (request.GET.get("code") or "").strip()
    context = {"code": code[:MAX_CODE]}
    status = 200
    if code:
        problem = "校验码过长" if len(code) > MAX_CODE else verify_code(code)
        if problem:
            context["problem"] = problem
            status = 400 if "格式" in problem or "过长" in problem else 404
        else:
            entry = AuditEntry.objects.only("id", "at", "model", "object_id").get(
                pk=int(code.partition("-")[0])
            )
            context.update(entry=entry, document=_document(request, entry))
    return render(request, "web/verify.html", context, status=status)
