"""The pages' tables as Excel: ``?export=xlsx`` on a list page downloads what the page shows.

A page view builds its rows once (its filterset, its sort) and, asked for the export, hands the
same rows with the columns it shows to ``xlsx_response`` instead of rendering them; the writing
is ``reports.tables``. The export button (``{% export_link %}``) keeps the page's query string,
so the file follows the filters and the sort on the screen; every row, not only the page shown.
"""

import tempfile

from django import forms
from django.http import FileResponse

from reports.api import SPOOL_BYTES, XLSX
from reports.tables import Table, write_tables
from tasks import clock
from tasks.choices import LEVEL_TITLES, Level, Status
from tasks.weeks import today, week_of, week_title

EXPORT_PARAM = "export"
EXPORT_VALUE = "xlsx"


def wants_xlsx(request) -> bool:
    return request.GET.get(EXPORT_PARAM) == EXPORT_VALUE


def xlsx_response(name: str, tables: list[Table]) -> FileResponse:
    """The tables as one workbook named ``<name>-<today>.xlsx``, spooled and streamed."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by FileResponse
    write_tables(spool, tables, exported_at=clock.now().astimezone(clock.SHANGHAI))
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=f"{name}-{today():%Y-%m-%d}.xlsx", content_type=XLSX
    )


def filter_caption(form) -> str:
    """The filters a bound, valid form holds, as people read them: ``类别：大气污染；仅超期：是``."""
    if form is None or not form.is_bound or not form.is_valid():
        return ""
    parts = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", [], False) or (hasattr(value, "exists") and not value.exists()):
            continue
        if isinstance(field, forms.BooleanField) or value is True:
            shown = "是"
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            shown = {str(k): v for k, v in field.choices}.get(str(value), value)
        elif hasattr(value, "__iter__") and not isinstance(value, str):
            shown = "、".join(str(v) for v in value)
        else:
            shown = value
        parts.append(f"{field.label}：{shown}")
    return "；".join(parts)


# Cell values the tables share.
def status_label(value) -> str:
    return Status(value).label if value else ""


def level_label(value) -> str:
    return LEVEL_TITLES[Level(value)] if value else ""


def week_label(value) -> str:
    if not value:
        return ""
    return week_title(value if isinstance(value, str) else week_of(value))


def local(moment) -> str:
    """An aware moment as people read it in Asia/Shanghai, ``2017-12-01 09:30``; empty for none."""
    return f"{moment.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M}" if moment else ""


def yes(value) -> str:
    return "是" if value else ""


def person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""
