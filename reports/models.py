"""The reports app's records: the frozen weeks the workbooks read, and the workbook's admin entry.

``WeeklySnapshot`` freezes each assignment's state as a week ended (written by the weekly
dispatch, ``dispatch.services.freeze_week``; read back by ``reports.rows``). It lived in the
dispatch app first and keeps that app's table (``db_table``), so moving it moved no data.
``WeeklyWorkbook`` is a proxy that gives the weekly workbook its place in the admin.
"""

from django.db import models

from tasks import clock
from tasks.choices import Level, Status
from tasks.models import Assignment


class WeeklyWorkbook(Assignment):
    """The admin's entry for the weekly Excel report: download, and check an uploaded sheet."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "周报表（Excel 下载与核对）"


class WeeklySnapshot(models.Model):
    week = models.CharField("周", max_length=8, help_text="ISO 周，如 2017-W36")
    assignment = models.ForeignKey(
        "tasks.Assignment", on_delete=models.CASCADE, related_name="snapshots", verbose_name="台账"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices)
    level = models.CharField("预警", max_length=10, choices=Level.choices)
    level_reason = models.CharField("预警原因", max_length=200, blank=True, default="")
    percent = models.PositiveSmallIntegerField("完成比例")
    due_date = models.DateField("原定时限", null=True, blank=True)
    effective_due = models.DateField("整改时限", null=True, blank=True)
    last_report_week = models.CharField("最近报送周", max_length=8, null=True, blank=True)
    report_text = models.TextField("本周进展", blank=True)
    created_at = models.DateTimeField("冻结时间", default=clock.now, editable=False, blank=True)

    class Meta:
        db_table = "dispatch_weeklysnapshot"  # created by the dispatch app, where it lived first
        verbose_name = verbose_name_plural = "周快照"
        ordering = ["-week", "assignment_id"]
        constraints = [models.UniqueConstraint(fields=["week", "assignment"], name="one_snapshot_per_week")]

    def __str__(self):
        return f"{self.week} · {self.assignment_id}"
