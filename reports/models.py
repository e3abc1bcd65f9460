"""The reports app keeps no tables; this proxy gives the weekly workbook its place in the admin."""

from tasks.models import Assignment


class WeeklyWorkbook(Assignment):
    """The admin's entry for the weekly Excel report: download, and check an uploaded sheet."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "周报表（Excel 下载与核对）"
