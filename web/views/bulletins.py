"""The monthly bulletin as the office's document (通报): its page, its Word file and its PDF.

``/bulletins/<month>/`` shows the 通报 as it will be sent (title, 文号 once published, 正文,
units' table, 印发范围, date) to the office and leaders; the office edits a draft's 正文 and
印发范围 there and publishes it (``dispatch.document.save_document``, ``publish_bulletin``,
both audited, refused by the policy's ``publish_bulletin`` for anyone else). The .docx is built
by ``reports.bulletin_docx``, the PDF by LibreOffice (``reports.convert``); the published
document is on the public page too.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from dispatch.bulletin import audit_code, draft_rows, make_bulletin, publish_bulletin, start_draft
from dispatch.document import document_of, save_document
from dispatch.figures import PUBLIC_FIELDS
from dispatch.models import Bulletin, BulletinStatus
from reports import exports
from reports.bulletin_docx import HEADING, UNIT_COLUMNS, build_bulletin_docx, unit_rows
from reports.convert import ConversionFailed, to_pdf
from tasks.policy import OVERSIGHT, can
from tasks.services.errors import LedgerError
from tasks.weeks import today
from web.access import role_required
from web.forms import BulletinDocumentForm, BulletinDraftForm

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FIELDS = ("id", "month", "status", "data", "published_at")


@role_required(OVERSIGHT)
def bulletin_list(request, draft_form=None, status=200):
    """月通报: every month's bulletin, drafts first to be reviewed and published, with its files (1 query)."""
    bulletins = list(
        Bulletin.objects.only("id", "month", "status", "published_at", "created_at").order_by("-month")
    )
    drafts = [b for b in bulletins if not b.is_published]
    context = {"drafts": drafts, "published": [b for b in bulletins if b.is_published]}
    if can(request.user, "publish_bulletin"):
        context["draft_form"] = draft_form or BulletinDraftForm(initial={"month": _last_month()})
    return render(request, "web/bulletins.html", context, status=status)


def _last_month() -> str:
    first = today().replace(day=1)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


@require_POST
@role_required(OVERSIGHT)
def draft(request):
    """The office makes a month's draft now (the monthly job makes last month's on the 1st): a month that
    has not ended, is not one, or is already published is refused with the reason, nothing made.
    Above ``EXPORT_BACKGROUND_ROWS`` rows a worker makes it: the answer is the job's page (导出任务),
    with its progress and, when done, the draft and its workbook."""
    _may_publish(request)
    form = BulletinDraftForm(request.POST)
    if not form.is_valid():
        return bulletin_list(request, draft_form=form, status=400)
    month, refresh = form.cleaned_data["month"], form.cleaned_data["refresh"]
    try:
        if draft_rows() > exports.background_rows():  # too long for a request: a worker makes it
            job, _created = start_draft(month, refresh=refresh, actor=request.user)
            return redirect(reverse("export", args=[job.pk]))
        _bulletin, changed, _delivery = make_bulletin(month, refresh=refresh, actor=request.user)
    except LedgerError as error:
        form.show_error(error)
        return bulletin_list(request, draft_form=form, status=error.status_code)
    if changed:
        messages.success(request, f"{month} 月通报草稿已生成，请审阅正文后发布")
    else:
        messages.info(request, f"{month} 月通报草稿已存在，未改动（需按最新数据重拟请勾选“重新生成”）")
    return redirect(reverse("bulletin", args=[month]))


def _may_publish(request):
    """Editing and publishing are the office's (``tasks.policy``): anyone else is refused before the input is read."""
    decision = can(request.user, "publish_bulletin")
    if not decision:
        raise PermissionDenied(decision.reason)


def _bulletin(month, **filters):
    return get_object_or_404(Bulletin.objects.only(*FIELDS), month=month, **filters)


def _page(request, bulletin, form=None, status=200):
    document = document_of(bulletin)
    may_edit = bool(can(request.user, "publish_bulletin")) and not bulletin.is_published
    if form is None and may_edit:
        form = BulletinDocumentForm(
            initial={"body": document["body"], "distribution": document["distribution"]}
        )
    context = {
        "bulletin": bulletin,
        "document": document,
        "paragraphs": _paragraphs(document["body"]),
        "columns": UNIT_COLUMNS,
        "rows": unit_rows(bulletin.data or {}),
        "form": form if may_edit else None,
        "audit_code": audit_code(bulletin) if bulletin.is_published else "",
    }
    return render(request, "web/bulletin.html", context, status=status)


def _paragraphs(body: str) -> list[tuple[bool, str]]:
    return [(bool(HEADING.match(line)), line) for line in (s.strip() for s in body.split("\n")) if line]


@role_required(OVERSIGHT)
def bulletin_page(request, month):
    """GET: the 通报's preview (and, for the office, a draft's edit form). POST: save the edited text."""
    bulletin = _bulletin(month)
    if request.method != "POST":
        return _page(request, bulletin)
    _may_publish(request)
    form = BulletinDocumentForm(request.POST)
    if not form.is_valid():
        return _page(request, bulletin, form, status=400)
    try:
        save_document(
            bulletin,
            request.user,
            body=form.cleaned_data["body"],
            distribution=form.cleaned_data["distribution"],
        )
    except LedgerError as error:
        form.show_error(error)
        return _page(request, bulletin, form, status=error.status_code)
    messages.success(request, "正文已保存")
    return redirect(reverse("bulletin", args=[month]))


@require_POST
@role_required(OVERSIGHT)
def publish(request, month):
    _may_publish(request)
    bulletin = _bulletin(month)
    try:
        published = publish_bulletin(bulletin, request.user)
    except LedgerError as error:
        return _refused(request, bulletin, error)
    messages.success(request, f"{month} 月通报已发布，文号 {document_of(published)['number']}")
    return redirect(reverse("bulletin", args=[month]))


def _refused(request, bulletin, error):
    messages.error(request, error.message)
    return _page(request, bulletin, status=error.status_code)


def _docx(bulletin) -> bytes:
    return build_bulletin_docx(document_of(bulletin), bulletin.data or {})


def _file(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _pdf_response(request, bulletin):
    try:
        content = to_pdf(_docx(bulletin))
    except ConversionFailed as error:
        return render(request, "400.html", {"message": error.message}, status=503)
    return _file(content, "application/pdf", f"整改进展通报-{bulletin.month}.pdf")


@role_required(OVERSIGHT)
def bulletin_docx(request, month):
    """The office's and leaders' .docx: a draft too (its 文号 left to be numbered)."""
    bulletin = _bulletin(month)
    return _file(_docx(bulletin), DOCX, f"整改进展通报-{month}.docx")


@role_required(OVERSIGHT)
def bulletin_pdf(request, month):
    return _pdf_response(request, _bulletin(month))


def public_docx(request, month):
    """A published 通报 for anyone: the document as published (drafts are a 404)."""
    bulletin = get_object_or_404(
        Bulletin.objects.only(*PUBLIC_FIELDS), month=month, status=BulletinStatus.PUBLISHED
    )
    return _file(_docx(bulletin), DOCX, f"整改进展通报-{month}.docx")


def public_pdf(request, month):
    bulletin = get_object_or_404(
        Bulletin.objects.only(*PUBLIC_FIELDS), month=month, status=BulletinStatus.PUBLISHED
    )
    return _pdf_response(request, bulletin)
