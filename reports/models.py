"""The reports app's records: the frozen weeks the workbooks read, and the workbook's admin entry.

``WeeklySnapshot`` freezes each assignment's state as a week ended (written by the weekly
dispatch, ``dispatch.services.freeze_week``; read back by ``reports.rows``). It lived in the
dispatch app first and keeps that app's table (``db_table``), so moving it moved no data.
``WeeklyWorkbook`` is a proxy that gives the weekly workbook its place in the admin.
"""

from django.conf import settings
from django.db import models

from tasks import clock
from tasks.choices import Level, Status, TaskStatus
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


class DisclosureStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class Frozen(Exception):
    """A published disclosure is a record: it is corrected by a new version, never changed."""


class DisclosureQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=DisclosureStatus.PUBLISHED)

    def current(self):
        """The disclosure the public reads now: the latest week's latest published version, or None."""
        return self.published().order_by("-week", "-version").first()


class Disclosure(models.Model):
    """每周公开: the office's weekly disclosure, a draft computed from the ledger, reviewed and published.

    Published, it is frozen (``Frozen`` on any save or delete); a correction is a new version of the
    same week (``reports.disclosure.correct``). The public page, the public API and the public task pages
    read only published disclosures (``reports.disclosure``).
    """

    week = models.CharField("周", max_length=8, help_text="ISO 周，如 2017-W36")
    version = models.PositiveSmallIntegerField("版本", default=1)
    status = models.CharField(
        "状态", max_length=10, choices=DisclosureStatus.choices, default=DisclosureStatus.DRAFT
    )
    as_of = models.DateField("数据截至")
    note = models.CharField("更正说明", max_length=200, blank=True, default="")
    created_at = models.DateTimeField("生成时间", default=clock.now, editable=False)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发布人",
    )

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "每周公开"
        ordering = ["-week", "-version"]
        constraints = [models.UniqueConstraint(fields=["week", "version"], name="one_disclosure_version")]

    def __str__(self):
        return f"{self.week} 第{self.version}版"

    def save(self, *args, **kwargs):
        if self._stored_published():
            raise Frozen("已发布的每周公开不能修改；如需更正，请发布新版本")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_published():
            raise Frozen("已发布的每周公开不能删除")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == DisclosureStatus.PUBLISHED

    def _stored_published(self) -> bool:
        return bool(self.pk) and Disclosure.objects.published().filter(pk=self.pk).exists()


class DisclosureItem(models.Model):
    """One task in a weekly disclosure: the figures frozen from the ledger and the office's wording.

    ``units`` lists each responsible unit's public status (未启动/整改中/已销号) and city, never a
    liaison's percentage; ``percent`` is a percentage only when the office chose to publish one.
    """

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="items")
    task = models.ForeignKey(
        "tasks.Task", on_delete=models.SET_NULL, null=True, related_name="disclosures", verbose_name="任务"
    )
    plan = models.ForeignKey(
        "tasks.Plan", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="整改方案"
    )
    plan_title = models.CharField("整改方案名称", max_length=200)
    category_number = models.PositiveSmallIntegerField("问题类别序号")
    category_title = models.CharField("问题类别", max_length=200)
    task_number = models.PositiveSmallIntegerField("任务序号")
    problem = models.TextField("督察反馈问题")
    deadline_text = models.CharField("整改时限", max_length=200, blank=True, default="")
    status = models.CharField("整改状态", max_length=20)
    units_total = models.PositiveIntegerField("责任单位数")
    units_done = models.PositiveIntegerField("已销号单位数")
    units_overdue = models.PositiveIntegerField("逾期单位数")
    cities = models.CharField("涉及的市", max_length=400, blank=True, default="", help_text="空格分隔")
    units = models.JSONField("各责任单位状态", default=list)
    wording = models.TextField("公开说明", blank=True, default="")
    percent = models.PositiveSmallIntegerField("公开的完成比例", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "每周公开条目"
        ordering = ["disclosure_id", "category_number", "task_number", "id"]

    def __str__(self):
        return f"{self.disclosure_id} · 任务{self.task_number}"

    def save(self, *args, **kwargs):
        if Disclosure.objects.published().filter(pk=self.disclosure_id).exists():
            raise Frozen("已发布的每周公开不能修改；如需更正，请发布新版本")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Disclosure.objects.published().filter(pk=self.disclosure_id).exists():
            raise Frozen("已发布的每周公开不能删除")
        return super().delete(*args, **kwargs)

    @property
    def status_label(self) -> str:
        return TaskStatus(self.status).label if self.status in TaskStatus.values else self.status

    @property
    def share_done(self):
        """The share of units signed off, in whole percent (one decimal under 1 %)."""
        if not self.units_total or not self.units_done:
            return 0
        pct = 100 * self.units_done / self.units_total
        return round(pct, 1) if pct < 1 else round(pct)


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ExportKind(models.TextChoices):
    WEEKLY = "weekly", "整改台账周报表"
    BULLETIN = "bulletin", "月通报草稿"


class ExportJob(models.Model):
    """A workbook built by a worker (``reports.exports``): who asked, for what, how far it is, the file.

    ``params`` were checked by the page against the requester's scope; the worker builds the file
    as the requester. ``key`` is the kind and parameters in one string: a requester keeps the last
    finished file per key (older ones are deleted when a newer one is done).
    """

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs", verbose_name="导出人"
    )
    kind = models.CharField("类型", max_length=20, choices=ExportKind.choices, default=ExportKind.WEEKLY)
    params = models.JSONField("参数", default=dict)
    key = models.CharField("参数摘要", max_length=200)
    label = models.CharField("说明", max_length=200, blank=True, default="")
    status = models.CharField(
        "状态", max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveIntegerField("已写行数", default=0)
    total = models.PositiveIntegerField("总行数", default=0)
    file = models.FileField("文件", upload_to="exports/", blank=True, default="")
    filename = models.CharField("文件名", max_length=200, blank=True, default="")
    error = models.CharField("错误", max_length=500, blank=True, default="")
    created_at = models.DateTimeField("提交时间", default=clock.now, editable=False)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "后台导出"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requester", "-created_at"], name="export_requester_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} · {self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)
