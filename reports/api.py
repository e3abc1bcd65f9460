"""REST endpoints: the weekly workbook download and the upload of a filled-in sheet.

``GET /api/reports/weekly.xlsx?week=2017-W36[&unit=…]`` streams the workbook of
what the caller may see (a liaison: their unit; office and leaders: all, or one
unit). ``POST /api/reports/weekly/import/`` takes the sheet back (multipart field
``file``); with ``dry_run=1`` (query or form) it answers what would change and
changes nothing, without it applies the changes as progress reports in one
transaction. A refused file answers 400 with every problem located:
``{"detail": "…", "errors": {"file": [...]}, "problems": [{"sheet", "row", "column", "message", "text"}]}``.
"""

import tempfile

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.upload import UploadRefused, process_upload
from reports.weekly import write_weekly_workbook
from tasks.api.filters import bool_param, unit_param
from tasks.models import Assignment
from tasks.models.people import role_of
from tasks.services.errors import Forbidden, InvalidInput, NotFound
from tasks.weeks import BadWeek, parse_week, today, week_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 8 * 1024 * 1024  # a workbook larger than this is spooled to a temporary file


def export_params(user, params):
    """The week and unit an export asks for, checked against what the user may see."""
    if role_of(user) is None:
        raise Forbidden("无权导出周报表")
    week = (params.get("week") or "").strip() or week_of(today())
    try:
        parse_week(week)
    except BadWeek as exc:
        raise InvalidInput(str(exc), field="week") from None
    unit = unit_param(params)
    if unit is not None and not Assignment.objects.visible_to(user).filter(unit=unit).exists():
        raise NotFound("单位不存在或无权查看")
    return week, unit


def weekly_response(user, week: str, unit=None) -> FileResponse:
    """Write the workbook to a spooled temporary file and stream it back."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    report = write_weekly_workbook(spool, week=week, user=user, unit=unit)
    spool.seek(0)
    filename = f"整改台账周报-{week}-{report.scope}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


class WeeklyReportView(APIView):
    """The weekly ledger report as an Excel workbook."""

    @extend_schema(
        parameters=[
            OpenApiParameter("week", str, description="ISO 周，如 2017-W36；默认本周"),
            OpenApiParameter("unit", str, description="责任单位 id 或名称（只导出该单位）"),
        ],
        responses={(200, XLSX): bytes},
    )
    def get(self, request):
        week, unit = export_params(request.user, request.query_params)
        return weekly_response(request.user, week, unit)


class WeeklyImportView(APIView):
    """A liaison's filled-in weekly sheet: preview (dry_run=1) or apply."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[OpenApiParameter("dry_run", bool, description="只预览，不保存")],
        request={"multipart/form-data": inline_serializer("WeeklyUpload", {"file": serializers.FileField()})},
        responses=inline_serializer("WeeklyUploadResult", {
            "applied": serializers.BooleanField(), "week": serializers.CharField(), "rows": serializers.IntegerField(),
            "unchanged": serializers.IntegerField(), "sha256": serializers.CharField(),
            "changes": serializers.ListField(child=serializers.DictField()),
        }),
    )
    def post(self, request):
        dry_run = bool_param(request.query_params, "dry_run") or bool_param(request.data, "dry_run") or False
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("请选择要上传的周报表文件（字段 file）", field="file")
        try:
            outcome = process_upload(upload, user=request.user, dry_run=dry_run)
        except UploadRefused as exc:
            return Response(refusal_body(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(outcome.as_dict())


def refusal_body(exc: UploadRefused) -> dict:
    return {
        "detail": exc.message,
        "errors": {"file": [str(p) for p in exc.problems]},
        "problems": [p.as_dict() for p in exc.problems],
    }
