"""The weekly workbook in the admin: a download button for the office and an upload check with preview.

Listed on the admin index as 周报表（Excel 下载与核对）. The office downloads any week,
for every unit or one; it can also upload a sheet a liaison sent in to see what it
would change and every problem in it (a dry run). Filing the progress is the
liaison's own act (``POST /api/reports/weekly/import/`` or their desk page), so the
admin never applies a sheet.
"""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from reports.api import export_params, weekly_response
from reports.models import WeeklyWorkbook
from reports.upload import UploadRefused, process_upload
from tasks.admin.access import ReadOnlyAdmin
from tasks.models import Unit
from tasks.policy import OVERSIGHT
from tasks.services.errors import LedgerError
from tasks.weeks import today, week_of


@admin.register(WeeklyWorkbook)
class WeeklyWorkbookAdmin(ReadOnlyAdmin):
    readers = OVERSIGHT  # the office, leaders and administrators; a unit leader downloads from their desk
    unit_path = None

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.page), name=f"{name}_changelist"),
            path("download/", wrap(self.download), name=f"{name}_download"),
            path("check/", wrap(self.check_upload), name=f"{name}_check"),
        ]

    def _page(self, request, status=200, **extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.opts.verbose_name,
            "week": request.GET.get("week") or week_of(today()),
            "units": Unit.objects.pickable(),
            **extra,
        }
        return TemplateResponse(request, "reports/admin_weekly.html", context, status=status)

    def page(self, request):
        if not self._reader(request):
            return self._refuse(request)
        return self._page(request)

    def download(self, request):
        if not self._reader(request):
            return self._refuse(request)
        try:
            week, unit, plan = export_params(request.user, request.GET)
        except LedgerError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("admin:reports_weeklyworkbook_changelist"))
        return weekly_response(request.user, week, unit, plan)

    def check_upload(self, request):
        if not self._reader(request):
            return self._refuse(request)
        if request.method != "POST":
            return redirect(reverse("admin:reports_weeklyworkbook_changelist"))
        upload = request.FILES.get("file")
        if upload is None:
            return self._page(request, problems=["请选择要核对的周报表文件"], status=400)
        try:
            outcome = process_upload(upload, user=request.user, dry_run=True)
        except UploadRefused as exc:
            return self._page(
                request, problems=[str(p) for p in exc.problems], filename=upload.name, status=400
            )
        except LedgerError as exc:
            return self._page(request, problems=[exc.message], filename=upload.name, status=exc.status_code)
        return self._page(request, outcome=outcome, filename=upload.name)

    def _refuse(self, request):
        messages.error(request, "周报表只对督察办、领导和管理员开放")
        return redirect(reverse("admin:index"))
