"""Background exports (导出任务): start the weekly workbook in a worker, watch its progress, download it.

The ledger's 下载周报表 form downloads a small workbook at once (``downloads.weekly_excel``); above
``EXPORT_BACKGROUND_ROWS`` rows it offers this instead, so no request builds a big workbook. The
page polls ``status.json`` (static/web/export.js) and shows the file when it is ready. A job is
its requester's (or the office's to see, ``read_export``); to anyone else it is a 404.
"""

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from reports import exports
from reports.api import XLSX, export_params
from reports.models import ExportStatus
from tasks.services.errors import LedgerError
from web.access import role_required
from web.forms import WeeklyExcelForm


def _job(request, pk):
    try:
        return exports.visible_job(request.user, pk)
    except LedgerError as error:
        raise Http404(error.message) from None


@role_required()
def export_list(request):
    """GET: the user's last jobs. POST: start the weekly workbook for the form's week, unit and plan."""
    if request.method == "POST":
        return _start(request)
    return render(request, "web/exports.html", {"jobs": exports.recent_jobs(request.user)})


def _start(request):
    form = WeeklyExcelForm(request.POST)
    if not form.is_valid():
        return render(request, "web/weekly_excel.html", {"excel_form": form}, status=400)
    try:
        week, unit, plan = export_params(request.user, request.POST)
    except LedgerError as error:
        form.add_error(None, error.message)
        return render(request, "web/weekly_excel.html", {"excel_form": form}, status=error.status_code)
    job, _created = exports.start_weekly(request.user, week, unit, plan)
    return redirect(reverse("export", args=[job.pk]))


@require_GET
@role_required()
def export_page(request, pk):
    return render(request, "web/export.html", {"job": _job(request, pk)})


@require_GET
@role_required()
def export_status(request, pk):
    job = _job(request, pk)
    answer = {
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": job.progress,
        "total": job.total,
        "error": job.error,
        "file": reverse("export-file", args=[job.pk]) if job.status == ExportStatus.DONE else None,
    }
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})


@require_GET
@role_required()
def export_file(request, pk):
    job = _job(request, pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404("文件尚未生成")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件已不存在") from None
    return FileResponse(handle, as_attachment=True, filename=job.filename, content_type=XLSX)
