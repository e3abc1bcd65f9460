"""Each assignment's state frozen at a month's end (``tasks.services.history.freeze``).

The audit trail can rebuild any past state, but from the moment to today it grows with the
time since: a frozen month's end bounds the rebuild of any earlier moment to the entries between
that moment and the next frozen month's end.
"""

from django.db import models

from tasks import clock


class MonthEnd(models.Model):
    """A month's end whose states are frozen: written in the same transaction as its rows, so a
    moment listed here has a row for every assignment that existed when it was frozen."""

    moment = models.DateTimeField("时点", unique=True, help_text="月末：次月1日0时（北京时间）")
    rows = models.PositiveIntegerField("台账行数", default=0)
    frozen_at = models.DateTimeField("冻结时间", default=clock.now, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "月末状态"
        ordering = ["-moment"]

    def __str__(self):
        return f"{self.moment:%Y-%m-%d %H:%M} · {self.rows} 行"


class MonthEndState(models.Model):
    """One assignment's fields that ``tasks.services.history`` rebuilds, as they stood at ``moment``."""

    moment = models.DateTimeField("时点")
    assignment = models.ForeignKey(
        "tasks.Assignment", on_delete=models.CASCADE, related_name="month_ends", verbose_name="台账"
    )
    status = models.CharField("状态", max_length=20)
    due_date = models.DateField("原定完成期限", null=True)
    extended_due_date = models.DateField("延期后期限", null=True)
    signed_off_at = models.DateTimeField("销号时间", null=True)
    percent = models.PositiveSmallIntegerField("完成比例", default=0)
    last_report_week_start = models.DateField("最近报送周（周一）", null=True)

    class Meta:
        verbose_name = verbose_name_plural = "月末台账状态"
        constraints = [
            models.UniqueConstraint(fields=["moment", "assignment"], name="month_end_state_unique")
        ]

    def __str__(self):
        return f"{self.assignment_id} @ {self.moment:%Y-%m-%d}"
