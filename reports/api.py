"""REST endpoints: the weekly workbook download and the upload of a filled-in sheet.

``GET /api/reports/weekly.xlsx?week=2017-W36[&unit=…]`` streams the workbook of
what the caller may see (a liaison: their unit; office and leaders: all, or one
unit). ``POST /api/reports/weekly/import/`` takes the sheet back (multipart field
``file``); with ``dry_run=1`` (query or form) it answers what would change and
changes nothing, without it applies the changes as progress reports in one
transaction. A refused file answers 400 with every problem located:
``{"detail": "…", "errors": {"file": [...]}, "problems": [{"sheet", "row", "column", "message", "text"}]}``.
A preview answers a ``token``; posting it (instead of the file) applies that file.
"""

import tempfile

from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.upload import UploadRefused, process_upload, read_bytes, stage, staged, unstage
from reports.weekly import write_weekly_workbook
from tasks.filtersets import FlagField, UnitField, read_param
from tasks.models import Assignment, Plan
from tasks.policy import can, role_of
from tasks.services.checks import ascii_int
from tasks.services.errors import Forbidden, InvalidInput, LedgerError, NotFound
from tasks.weeks import BadWeek, clean_week, today, week_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 8 * 1024 * 1024  # a workbook larger than this is spooled to a temporary file
DRY_RUN = FlagField(param="dry_run", label="只预览")


def export_params(user, params):
    """The week and unit an export asks for, checked against what the user may see."""
    if role_of(user) is None:
        raise Forbidden("无权导出周报表")
    week = (params.get("week") or "").strip() or week_of(today())
    try:
        week = clean_week(week)
    except BadWeek as exc:
        raise InvalidInput(str(exc), field="week") from None
    unit = read_param(UnitField(param="unit", label="责任单位"), params)
    if unit is not None and not Assignment.objects.visible_to(user).filter(unit=unit).exists():
        raise NotFound("单位不存在或无权查看")
    return week, unit, export_plan(params)


def export_plan(params):
    """The plan an export is restricted to (``?plan=<id>``), or None for every plan."""
    raw = (params.get("plan") or "").strip()
    if not raw:
        return None
    number = ascii_int(raw)
    plan = Plan.objects.filter(pk=number).first() if number is not None else None
    if plan is None:
        raise InvalidInput("整改方案不存在：plan 应为方案编号", field="plan")
    return plan


def weekly_response(user, week: str, unit=None, plan=None) -> FileResponse:
    """Write the workbook to a spooled temporary file and stream it back."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by FileResponse
    report = write_weekly_workbook(spool, week=week, user=user, unit=unit, plan=plan)
    spool.seek(0)
    filename = f"整改台账周报-{week}-{report.scope}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


class WeeklyReportView(APIView):
    """The weekly ledger report as an Excel workbook."""

    @extend_schema(
        parameters=[
            OpenApiParameter("week", str, description="ISO 周，如 2017-W36；默认本周"),
            OpenApiParameter("unit", str, description="责任单位 id 或名称（只导出该单位）"),
            OpenApiParameter("plan", int, description="整改方案 id（只导出该方案）"),
        ],
        responses={(200, XLSX): bytes},
    )
    def get(self, request):
        week, unit, plan = export_params(request.user, request.query_params)
        return weekly_response(request.user, week, unit, plan)


class WeeklyImportView(APIView):
    """A liaison's filled-in weekly sheet: preview (dry_run=1) or apply.

    A preview that finds changes answers a ``token`` (the file's SHA-256, kept for
    the uploader); posting ``token`` instead of the file applies that same file.
    Browsers (``Accept: text/html``, the desk page's form) get an HTML page with a
    confirm button; API clients get JSON.
    """

    parser_classes = [MultiPartParser, FormParser]
    renderer_classes = [JSONRenderer, TemplateHTMLRenderer]
    template_name = "reports/import_result.html"

    @extend_schema(
        parameters=[OpenApiParameter("dry_run", bool, description="只预览，不保存")],
        request={
            "multipart/form-data": inline_serializer(
                "WeeklyUpload",
                {
                    "file": serializers.FileField(required=False),
                    "token": serializers.CharField(
                        required=False, help_text="预览时返回的 token，代替重新上传文件"
                    ),
                },
            )
        },
        responses=inline_serializer(
            "WeeklyUploadResult",
            {
                "applied": serializers.BooleanField(),
                "week": serializers.CharField(),
                "rows": serializers.IntegerField(),
                "unchanged": serializers.IntegerField(),
                "sha256": serializers.CharField(),
                "token": serializers.CharField(required=False),
                "changes": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def post(self, request):
        user = request.user
        token = (request.data.get("token") or "").strip()
        try:
            dry_run = read_param(DRY_RUN, request.query_params) or read_param(DRY_RUN, request.data) or False
            upload = request.FILES.get("file")
            if upload is not None:
                data = read_bytes(upload)
            elif token:
                data = staged(token, user)
            else:
                raise InvalidInput("请选择要上传的周报表文件", field="file")
            outcome = process_upload(data, user=user, dry_run=dry_run)
        except UploadRefused as exc:
            return Response(refusal_body(exc), status=status.HTTP_400_BAD_REQUEST)
        except LedgerError as exc:
            body = {"detail": exc.message, **({"errors": {exc.field: [exc.message]}} if exc.field else {})}
            return Response(body, status=exc.status_code)
        body = outcome.as_dict()
        if dry_run and outcome.changes and can(user, "report"):
            body["token"] = stage(data, user)
        if not dry_run and token:
            unstage(token, user)
        return Response(body)

    def handle_exception(self, exc):
        """The desk's form gets pages, not the API's bare errors: see ``html_error_page``."""
        if isinstance(getattr(self.request, "accepted_renderer", None), TemplateHTMLRenderer):
            page = html_error_page(self.request, exc)
            if page is not None:
                return page
        return super().handle_exception(exc)


CSRF_FAILED = "CSRF Failed"  # how DRF's SessionAuthentication words a CSRF refusal


def html_error_page(request, exc):
    """What a browser posting the desk's form sees instead of an API error, or None for the API's answer.

    Signed out (session expired): the login page, back to the desk afterwards (the upload
    itself cannot be replayed). A GET (the address typed or reloaded): the desk, where the
    form is. A CSRF refusal: the site's "page expired" explanation, as Django's own CSRF
    check shows it, with the signed-in user still in the header.
    """
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return redirect_to_login(reverse("desk"), settings.LOGIN_URL)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return redirect("desk")
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith(CSRF_FAILED):
        django_request = request._request
        django_request.user = get_user(django_request)  # DRF made it anonymous when the check failed
        return render(django_request, "403_csrf.html", status=status.HTTP_403_FORBIDDEN)
    return None


def refusal_body(exc: UploadRefused) -> dict:
    return {
        "detail": exc.message,
        "errors": {"file": [str(p) for p in exc.problems]},
        "problems": [p.as_dict() for p in exc.problems],
    }
