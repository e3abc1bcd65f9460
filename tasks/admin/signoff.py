"""Sign-off in the admin: the queue of requests awaiting a check, the check itself, and the 销号单.

The queue lists open requests the user may see (``Assignment.objects.visible_to``); the ones the
user may act on now (``tasks.policy.can``) come first, with a link to the check page.
A check goes through ``tasks.services.ledger.approve`` / ``reject`` with the assignment version
the user looked at, so a refused or stale check changes nothing and says why in Chinese.
An approved request is the 销号单, printable from the queue and from the request's own page.
"""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from tasks.admin.access import ReadOnlyAdmin
from tasks.choices import SignOffStatus, Status
from tasks.models import Assignment, AuditEntry, SignOffRequest
from tasks.policy import ADMIN_READERS, CHECKERS, OPEN_SIGNOFF, can, role_of
from tasks.services import audit, formkeys, ledger
from tasks.services.checks import ascii_int
from tasks.services.errors import LedgerError, NotFound

CHECKS = ("approve", "reject")
RECENT_SHEETS = 10
STAGE_LABELS = {Status.SIGNOFF_REQUESTED: "单位审核（第一道）", Status.UNIT_VERIFIED: "督察办审核（第二道）"}


def _visible_requests(user):
    return SignOffRequest.objects.filter(
        assignment__in=Assignment.objects.visible_to(user).values("pk")
    ).select_related(
        "assignment__task", "assignment__unit", "requested_by", "unit_checked_by", "office_checked_by"
    )


def _checks_for(signoff, user) -> list[str]:
    """The checks ``user`` may make on this request now: none unless it is the assignment's open request."""
    if signoff.status not in OPEN_SIGNOFF:
        return []
    return [action for action in CHECKS if can(user, action, signoff.assignment)]


@admin.register(SignOffRequest)
class SignOffRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "assignment",
        "status",
        "requested_by",
        "requested_at",
        "unit_checked_by",
        "office_checked_by",
        "sheet_link",
    ]
    list_filter = ["status"]
    list_select_related = [
        "assignment__task",
        "assignment__unit",
        "requested_by",
        "unit_checked_by",
        "office_checked_by",
    ]
    readonly_fields = ["sheet_link"]

    @admin.display(description="销号单")
    def sheet_link(self, obj):
        if obj.status != SignOffStatus.APPROVED:
            return "—"
        return format_html(
            '<a href="{}">打印销号单</a>', reverse("admin:tasks_signoffrequest_sheet", args=[obj.pk])
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("queue/", wrap(self.queue_view), name="tasks_signoffrequest_queue"),
            path("<id:pk>/check/", wrap(self.check_view), name="tasks_signoffrequest_check"),
            path("<id:pk>/sheet/", wrap(self.sheet_view), name="tasks_signoffrequest_sheet"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    def _refuse(self, request, message, to="admin:tasks_signoffrequest_queue"):
        messages.error(request, message)
        return redirect(reverse(to))

    def queue_view(self, request):
        """Requests awaiting a check: the user's own to act on first, then the others they may see."""
        if role_of(request.user) not in CHECKERS:
            return self._refuse(request, "销号审核队列只对单位负责人、督察办和管理员开放", to="admin:index")
        open_requests = (
            _visible_requests(request.user)
            .open()
            .filter(assignment__status__in=list(STAGE_LABELS))
            .annotate(evidence_count=Count("evidence"))
            .order_by("requested_at", "pk")
        )
        mine, others = [], []
        for signoff in open_requests:
            signoff.stage = STAGE_LABELS[signoff.assignment.status]
            signoff.checks = _checks_for(signoff, request.user)
            (mine if signoff.checks else others).append(signoff)
        sheets = (
            _visible_requests(request.user)
            .filter(status=SignOffStatus.APPROVED)
            .order_by("-office_checked_at", "-pk")
        )
        context = self._context(
            request, "销号审核队列", mine=mine, others=others, sheets=list(sheets[:RECENT_SHEETS])
        )
        return TemplateResponse(request, "admin/tasks/signoffrequest/queue.html", context)

    def check_view(self, request, pk):
        """GET: the request, its evidence and the check form. POST: approve or reject through the service."""
        if role_of(request.user) not in CHECKERS:
            return self._refuse(
                request, "销号审核只由单位负责人（第一道）和督察办（第二道）办理", to="admin:index"
            )
        signoff = _visible_requests(request.user).filter(pk=pk).first()
        if signoff is None:
            return self._refuse(request, "销号申请不存在或无权查看")
        if signoff.status not in OPEN_SIGNOFF or signoff.assignment.status not in STAGE_LABELS:
            return self._refuse(request, f"该销号申请{signoff.get_status_display()}，无需再审核")
        opinion = ""
        status = 200
        if request.method == "POST":
            opinion = request.POST.get("opinion", "")
            try:
                done = self._decide(request, signoff, opinion)
            except NotFound as exc:
                return self._refuse(request, exc.message)
            except LedgerError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(request, done)
                return redirect(reverse("admin:tasks_signoffrequest_queue"))
        assignment = signoff.assignment
        context = self._context(
            request,
            f"销号审核 · 任务{assignment.task.number} · {assignment.unit.name}",
            signoff=signoff,
            assignment=assignment,
            stage=STAGE_LABELS[assignment.status],
            checks=_checks_for(signoff, request.user),
            evidence=list(signoff.evidence.all()),
            reports=list(assignment.reports.filter(voided_at=None).select_related("author")[:5]),
            opinion=opinion,
        )
        return TemplateResponse(request, "admin/tasks/signoffrequest/check.html", context, status=status)

    def _decide(self, request, signoff, opinion) -> str:
        decision = request.POST.get("decision")
        if decision not in CHECKS:
            raise LedgerError("请选择“通过”或“退回”")
        version = ascii_int(request.POST.get("version", ""))
        if version is None:
            raise LedgerError("页面已过期，请刷新后重试")
        assignment = signoff.assignment
        name = f"任务{assignment.task.number} · {assignment.unit.name}"
        with transaction.atomic():  # the page's one-time key is used up with the check, or not at all
            formkeys.consume(request.user, request.POST.get("form_key"))
            if decision == "reject":
                ledger.reject(assignment.pk, actor=request.user, reason=opinion, expected_version=version)
                return f"已退回{name}的销号申请，台账回到“{Status.IN_PROGRESS.label}”"
            checked = ledger.approve(
                assignment.pk, actor=request.user, opinion=opinion, expected_version=version
            )
        if checked.status == SignOffStatus.APPROVED:
            return f"{name}已销号，可在队列下方打印销号单"
        return f"{name}已通过单位审核，转督察办审核"

    def sheet_view(self, request, pk):
        """The 销号单 of an approved request: the record as the two checks left it, ready to print."""
        if role_of(request.user) not in ADMIN_READERS:
            return self._refuse(request, "销号单只对督察办、单位负责人、领导和管理员开放", to="admin:index")
        signoff = (
            _visible_requests(request.user)
            .select_related("assignment__task__category", "assignment__task__plan")
            .filter(pk=pk)
            .first()
        )
        if signoff is None:
            return self._refuse(request, "销号单不存在或无权查看")
        if signoff.status != SignOffStatus.APPROVED:
            return self._refuse(
                request, f"该销号申请{signoff.get_status_display()}，两道审核完成后才有销号单"
            )
        final = (
            AuditEntry.objects.filter(model=SignOffRequest._meta.label_lower, object_id=str(signoff.pk))
            .order_by("-id")
            .first()
        )
        context = self._context(
            request,
            f"销号单 · 任务{signoff.assignment.task.number} · {signoff.assignment.unit.name}",
            signoff=signoff,
            task=signoff.assignment.task,
            measures=list(signoff.assignment.task.measures.order_by("number")),
            evidence=list(signoff.evidence.all()),
            final=final,
            audit_code=audit.short_code(final),
        )
        return TemplateResponse(request, "admin/tasks/signoffrequest/sheet.html", context)
