"""The pages' Excel downloads: the weekly ledger workbook and the monthly bulletin workbook.

The workbooks are built by the reports app; these views check the page's input first,
so a bad week is a Chinese form error on a page rather than the API's answer. A weekly workbook
of more than ``EXPORT_BACKGROUND_ROWS`` rows is offered as a background export (``web.views.exports``).
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from dispatch.bulletin import audit_code
from dispatch.figures import PUBLIC_FIELDS, public_bulletin
from dispatch.models import Bulletin, BulletinStatus
from reports import exports
from reports.api import XLSX, export_params, weekly_response
from reports.bulletin_xlsx import build_bulletin_workbook
from tasks.policy import OVERSIGHT
from tasks.services.errors import LedgerError
from web.access import role_required
from web.forms import WeeklyExcelForm


@role_required()
def weekly_excel(request):
    """The weekly workbook of what the user may see, for the week in ``?week=``: one unit with
    ``?unit=`` (the ledger's filter passes its unit on), one plan with ``?plan=``."""
    form = WeeklyExcelForm(request.GET)
    if form.is_valid():
        try:
            week, unit, plan = export_params(request.user, request.GET)
        except LedgerError as error:
            form.add_error(None, error.message)
            return render(request, "web/weekly_excel.html", {"excel_form": form}, status=error.status_code)
        rows = exports.weekly_row_count(request.user, unit, plan)
        if rows > exports.background_rows():  # too big for a request: offer the background build
            context = {"week": week, "unit": unit, "plan": plan, "rows": rows}
            return render(request, "web/weekly_excel_background.html", context)
        return weekly_response(request.user, week, unit=unit, plan=plan)
    return render(request, "web/weekly_excel.html", {"excel_form": form}, status=400)


def bulletin_workbook_response(bulletin) -> HttpResponse:
    response = HttpResponse(build_bulletin_workbook(bulletin, audit_code(bulletin)), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"整改进展月通报-{bulletin.month}.xlsx"
    )
    return response


def public_bulletin_xlsx(request, month):
    """A published bulletin's workbook for the public: no drafts, no tasks kept out of 信息公开."""
    bulletin = get_object_or_404(
        Bulletin.objects.only(*PUBLIC_FIELDS), month=month, status=BulletinStatus.PUBLISHED
    )
    return bulletin_workbook_response(public_bulletin(bulletin))


@role_required(OVERSIGHT)
def bulletin_xlsx(request, month):
    """The office's and leaders' copy: drafts too, every task."""
    bulletin = get_object_or_404(Bulletin.objects.only("id", "month", "data"), month=month)
    return bulletin_workbook_response(bulletin)
