"""导入整改方案: the office uploads a plan's task list (.xlsx, .docx or text), sees every task as it
will be stored (a dry run), and confirms with the preview's one-time token.

The page validates and calls ``tasks/services/plan_upload.py`` (which checks the office's right
again, reads the file with the same readers as ``import_plan`` and audits the import). A bad file
is answered on the page with a 400 and the place of the problem; nothing is written.
"""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reports.api import XLSX
from tasks.plan_sources.columns import TEMPLATE_HEADERS
from tasks.plan_sources.template import build_template
from tasks.policy import OFFICE
from tasks.services import plan_upload
from tasks.services.errors import LedgerError
from web.access import role_required
from web.forms import ServiceErrorForm

TEMPLATE_NAME = "整改任务清单模板.xlsx"


class PlanUploadForm(ServiceErrorForm):
    file = forms.FileField(
        label="方案清单文件",
        help_text="Excel（.xlsx，工作表“整改任务清单”）、Word（.docx，清单为表格）或文本（.txt）",
        error_messages={
            "required": "请选择要导入的方案文件",
            "empty": "文件是空的",
            "invalid": "请选择一个文件",
        },
    )
    year = forms.IntegerField(
        label="年份（可不填）",
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="清单里只写“8 月底前”而没写年份时所指的年份；不填则取清单中最常见的年份",
        error_messages={
            "invalid": "年份应为四位数字，如 2018",
            "min_value": "年份应在 2000–2100 之间",
            "max_value": "年份应在 2000–2100 之间",
        },
    )


class PlanConfirmForm(ServiceErrorForm):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    filename = forms.CharField(widget=forms.HiddenInput, max_length=300)
    year = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=2000, max_value=2100)


def _page(request, form, *, status=200, preview=None, confirm_form=None, error=""):
    context = {
        "form": form,
        "preview": preview,
        "confirm_form": confirm_form,
        "headers": TEMPLATE_HEADERS,
        "error": error,
    }
    return render(request, "web/plan_import.html", context, status=status)


@role_required(OFFICE)
@require_http_methods(["GET", "POST"])
def plan_import(request):
    """GET: the upload form. POST: the dry-run preview of the uploaded file."""
    if request.method == "GET":
        return _page(request, PlanUploadForm())
    form = PlanUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    upload, year = form.cleaned_data["file"], form.cleaned_data["year"]
    try:
        data = plan_upload.read_upload(upload)
        preview = plan_upload.preview(data, upload.name, user=request.user, year=year)
    except LedgerError as exc:
        form.show_error(exc)
        return _page(request, form, status=exc.status_code)
    confirm_form = PlanConfirmForm(initial={"token": preview.token, "filename": upload.name, "year": year})
    return _page(request, PlanUploadForm(), preview=preview, confirm_form=confirm_form)


@role_required(OFFICE)
@require_POST
def plan_import_confirm(request):
    """Import the previewed file named by its token (once)."""
    form = PlanConfirmForm(request.POST)
    if not form.is_valid():
        return _page(request, PlanUploadForm(), status=400, error="预览已失效，请重新上传方案文件")
    data = form.cleaned_data
    try:
        result = plan_upload.confirm(data["token"], data["filename"], user=request.user, year=data["year"])
    except LedgerError as exc:
        return _page(request, PlanUploadForm(), status=exc.status_code, error=exc.message)
    messages.success(request, result.summary())
    return redirect("plan-import")


@role_required(OFFICE)
@require_GET
def plan_template(request):
    response = HttpResponse(build_template(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, TEMPLATE_NAME)
    return response
