"""The ledger: one assignment per responsible unit and task, and what happens to it."""

import datetime
import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from tasks import clock
from tasks.choices import ExtensionStatus, ReviewOutcome, SignOffStatus, Status
from tasks.models import levels
from tasks.models.people import scope_by_unit
from tasks.policy import OPEN_SIGNOFF

# An assignment's history, as its related names: what a timeline reads (``with_history``,
# ``recent.read_recent``) and counts (``with_event_count``).
HISTORY_KINDS = ("reports", "signoffs", "reviews", "extensions")
# How a timeline reads each kind: the people it names (joined) and its order, newest first.
HISTORY_READS = {
    "reports": (("author", "voided_by"), ("-created_at", "-id")),
    "signoffs": (
        ("requested_by", "unit_checked_by", "office_checked_by", "withdrawn_by"),
        ("-requested_at", "-id"),
    ),
    "reviews": (("scheduled_by", "decided_by"), ("-scheduled_for", "-id")),
    "extensions": (
        ("requested_by", "unit_decided_by", "decided_by", "withdrawn_by"),
        ("-requested_at", "-id"),
    ),
}


def history_of(assignment_model, name: str) -> models.QuerySet:
    """The queryset of one kind of a row's history (``HISTORY_KINDS``) as a timeline reads it."""
    people, order = HISTORY_READS[name]
    model = assignment_model._meta.get_field(name).related_model
    return model.objects.select_related(*people).order_by(*order)


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one place where unit scoping happens: every view, endpoint and export calls it."""
        return scope_by_unit(self, user, "unit")

    def unscoped(self):
        """Every unit's rows, for the jobs that act for the whole province and for no user (the
        weekly snapshot, the dispatch); a request always starts from ``visible_to``."""
        return self.all()

    def in_open_plans(self):
        """Rows of plans not closed (归档): what the weekly dispatch, the chaser and the warnings act on."""
        return self.filter(task__plan__closed_at=None)

    def with_history(self):
        """Reports, sign-off requests, reviews and extensions (newest first) with their people and
        evidence, prefetched: a timeline for any number of rows in a fixed number of queries.

        A page of rows that shows each one's newest events only (the task page) reads them with
        ``tasks.models.recent.read_recent`` instead: the same rows of each kind, fewer of them."""
        evidence = models.Prefetch(
            "evidence", queryset=Evidence.objects.select_related("uploaded_by").order_by("uploaded_at", "id")
        )
        reports, signoffs, reviews, extensions = (history_of(self.model, name) for name in HISTORY_KINDS)
        return self.prefetch_related(
            models.Prefetch("reports", reports.prefetch_related(evidence)),
            models.Prefetch("signoffs", signoffs.prefetch_related(evidence)),
            models.Prefetch("reviews", reviews),
            # A relapse's evidence, read back per review by ``review_evidence``: one query for every
            # row, so the count does not depend on whether a row has reviews.
            models.Prefetch(
                "evidence",
                queryset=Evidence.objects.filter(review__isnull=False)
                .select_related("uploaded_by")
                .order_by("uploaded_at", "id"),
                to_attr="relapse_evidence",
            ),
            models.Prefetch("extensions", extensions),
        )

    def with_event_count(self):
        """Annotate ``event_count``: the row's reports, sign-off requests, reviews and extensions
        (``HISTORY_KINDS``), the entries of its whole timeline (what ``recent.read_recent`` leaves unread)."""
        total = None
        for name in HISTORY_KINDS:
            model = self.model._meta.get_field(name).related_model
            counted = models.Subquery(
                model.objects.filter(assignment=models.OuterRef("pk"))
                .order_by()
                .values("assignment")
                .annotate(n=models.Count("pk"))
                .values("n"),
                output_field=models.IntegerField(),
            )
            term = Coalesce(counted, 0)
            total = term if total is None else total + term
        return self.annotate(event_count=total)

    def with_level(self, today: datetime.date, milestones: dict[int, str] | None = None):
        """Annotate ``effective_due``, the latest passed ``milestone``, the warning ``level``
        (red/yellow/green, or signed_off) and ``level_day``; ``level_reason`` then names the reason.

        The rule is ``tasks.models.levels`` (its SQL half; ``judge`` is the Python half). A figure
        over the whole ledger passes ``milestones`` (``levels.milestones_by_task(today)``, one query):
        the milestone is then a constant per task rather than a subquery per row.
        """
        queryset = self
        for step in levels.level_annotations(today, milestones):
            queryset = queryset.annotate(**step)
        return queryset

    def with_level_inputs(self, today: datetime.date):
        """Annotate what ``levels.judge`` reads (``effective_due``, ``milestone``, ``level_day``) but not
        the SQL rule: for a page of rows judged in Python anyway for their reason (``judgement``),
        resolving the rule would cost more than judging them."""
        return self.annotate(
            effective_due=levels.effective_due(),
            milestone=levels.latest_milestone(today),
            level_day=models.Value(today, output_field=models.DateField()),
        )

    def overdue(self, today: datetime.date):
        return self.exclude(status=Status.SIGNED_OFF).filter(
            Q(extended_due_date__lt=today) | Q(extended_due_date__isnull=True, due_date__lt=today)
        )


def review_evidence(review) -> list:
    """The evidence of a review (a relapse's photos and files) from ``with_history``'s prefetch."""
    return [e for e in getattr(review.assignment, "relapse_evidence", ()) if e.review_id == review.pk]


def level_on(
    day: datetime.date,
    *,
    status: str,
    effective_due,
    last_report_week_start,
    percent: int = 0,
    milestone: datetime.date | None = None,
) -> str:
    """The warning level on ``day`` of a state that is not in the database (as it was at a past moment).

    ``levels.judge``'s level: the same rule as ``AssignmentQuerySet.with_level`` (which lists use, in
    SQL); tests (tests/test_levels.py, tests/test_excel_past_weeks.py) hold the two together.
    """
    return levels.judge(
        day,
        status=status,
        effective_due=effective_due,
        last_report_week_start=last_report_week_start,
        percent=percent,
        milestone=milestone,
    ).level


class ActiveAssignmentManager(models.Manager.from_queryset(AssignmentQuerySet)):
    """Every query of the ledger starts here, so a retired row is out of every list, figure and job."""

    def get_queryset(self):
        return super().get_queryset().filter(retired_at=None)


class Assignment(models.Model):
    task = models.ForeignKey(
        "tasks.Task", on_delete=models.CASCADE, related_name="assignments", verbose_name="整改任务"
    )
    unit = models.ForeignKey(
        "tasks.Unit", on_delete=models.PROTECT, related_name="assignments", verbose_name="责任单位"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    version = models.PositiveIntegerField("版本", default=1)
    due_date = models.DateField(
        "原定完成期限", null=True, blank=True, help_text="来自方案，延期后不变，用于按期率统计"
    )
    extended_due_date = models.DateField("延期后期限", null=True, blank=True)
    phase = models.PositiveSmallIntegerField(
        "阶段", default=1, help_text="长期坚持类任务每次销号结束一个阶段"
    )
    percent = models.PositiveSmallIntegerField("完成比例", default=0)
    last_report_week_start = models.DateField("最近报送周（周一）", null=True, blank=True)
    # The row's reports not voided, and of them those marked 迟报: kept by the services that submit
    # and void reports (``tasks.services.ledger``), so the dashboard's on-time reporting per unit is a
    # sum over rows rather than a count over the whole report table.
    report_count = models.PositiveIntegerField("报送次数", default=0, db_default=0, editable=False)
    late_report_count = models.PositiveIntegerField("迟报次数", default=0, db_default=0, editable=False)
    signed_off_at = models.DateTimeField("销号时间", null=True, blank=True)
    next_review_date = models.DateField("下次回头看", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", default=clock.now, editable=False, blank=True)
    retired_at = models.DateTimeField(
        "撤销时间", null=True, blank=True, help_text="方案修改后该单位不再承担此任务；台账及其记录保留"
    )
    retired_reason = models.CharField("撤销原因", max_length=500, blank=True)

    # The ledger: rows in force. A row retired by a plan edit (``tasks/services/plan_edit.py``) keeps
    # its history and is read through ``with_retired`` (the task's edit page, the audit checks).
    objects = ActiveAssignmentManager()
    with_retired = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "台账（责任单位任务）"
        default_manager_name = "objects"
        base_manager_name = "with_retired"
        ordering = ["task__number", "unit__name"]
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="assignment_task_unit_unique")]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["unit", "status"]),
            # A task's rows in force, counted (``/api/tasks/``'s ``responsible_count``, ``with_status``)
            # from the index alone.
            models.Index(fields=["task"], condition=Q(retired_at=None), name="assignment_task_in_force_idx"),
            # What the ledger's other sorts lead with (``tasks.filtersets.SORTS``): the effective due
            # date (``with_level``'s ``effective_due``), the percentage and the last update.
            models.Index(Coalesce("extended_due_date", "due_date"), name="assignment_effective_due_idx"),
            models.Index(fields=["percent"], name="assignment_percent_idx"),
            models.Index(fields=["-updated_at"], name="assignment_updated_idx"),
        ]

    def __str__(self):
        return f"任务{self.task.number} · {self.unit.name}"

    def save(self, *args, **kwargs):
        self.updated_at = clock.now()  # the ledger's clock (``tasks.clock``), frozen in the demo
        super().save(*args, **kwargs)

    @property
    def effective_due_date(self):
        return self.extended_due_date or self.due_date

    @property
    def judgement(self) -> "levels.Judgement":
        """The level and its reason, for a row read through ``with_level``."""
        return levels.judgement_of(self)

    @property
    def level_reason(self) -> str:
        """Why the row has its light ("已 3 周未报送", "里程碑 2017-10-31 已过…"); needs ``with_level``."""
        return self.judgement.reason


def evidence_path(instance, filename):
    """Stored under a generated name (the user's, however long, is kept in ``original_name``)."""
    extension = os.path.splitext(filename)[1].lower()[:10]
    return f"evidence/{instance.assignment_id}/{clock.now():%Y%m}/{uuid.uuid4().hex}{extension}"


class Voidable(models.Model):
    """A record voided (作废) instead of deleted: kept, shown struck through, left out of the figures.

    Progress reports here; listings, summons and cases in accountability."""

    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="作废人",
    )
    void_reason = models.TextField("作废理由", blank=True)

    class Meta:
        abstract = True


class ProgressReport(Voidable):
    """One unit's weekly progress on one assignment. Append-only: a mistaken report is voided
    (``voided_at``), never deleted, and no figure counts it."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="reports", verbose_name="台账"
    )
    week = models.CharField("报送周", max_length=8, help_text="ISO 周，如 2017-W36")
    text = models.TextField("本周进展")
    percent = models.PositiveSmallIntegerField("完成比例")
    measure_notes = models.JSONField("措施进展", default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="报送人"
    )
    created_at = models.DateTimeField("报送时间", default=clock.now, editable=False, blank=True)
    late = models.BooleanField(
        "迟报", default=False, help_text="报送的是上周之前的周：照收，但不计入按期报送"
    )
    drop_reason = models.TextField("进度回调说明", blank=True, help_text="完成比例低于上次报送时必填")

    class Meta:
        verbose_name = verbose_name_plural = "进展报送"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["assignment", "week"]), models.Index(fields=["week"])]
        constraints = [
            models.CheckConstraint(condition=Q(percent__gte=0, percent__lte=100), name="report_percent_range")
        ]

    def __str__(self):
        return f"{self.assignment} · {self.week}"


class SignOffRequestQuerySet(models.QuerySet):
    def open(self):
        """Requests still awaiting a check (``tasks.policy.OPEN_SIGNOFF``); an assignment has at most one."""
        return self.filter(status__in=OPEN_SIGNOFF)

    def open_for(self, assignment):
        """The assignment's open request, newest first (``tasks.policy.open_signoff`` reads the same from a prefetch)."""
        return self.open().filter(assignment=assignment).order_by("-requested_at", "-pk").first()


class SignOffRequest(models.Model):
    """A request to sign off (销号) and its two checks; once approved it is the 销号单."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="signoffs", verbose_name="台账"
    )
    phase = models.PositiveSmallIntegerField("阶段", default=1)
    summary = models.TextField("整改情况说明")
    status = models.CharField(
        "状态", max_length=20, choices=SignOffStatus.choices, default=SignOffStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    requested_at = models.DateTimeField("申请时间", default=clock.now, editable=False, blank=True)
    unit_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="单位审核人",
    )
    unit_checked_at = models.DateTimeField("单位审核时间", null=True, blank=True)
    unit_opinion = models.TextField("单位审核意见", blank=True)
    office_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="督察办审核人",
    )
    office_checked_at = models.DateTimeField("督察办审核时间", null=True, blank=True)
    office_opinion = models.TextField("督察办审核意见", blank=True)
    rejection_reason = models.TextField("退回理由", blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="撤回人",
    )
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdraw_reason = models.TextField("撤回说明", blank=True)

    objects = SignOffRequestQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "销号申请"
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.assignment} · 销号申请 · {self.get_status_display()}"


class Evidence(models.Model):
    """A file attached to a progress report, a sign-off request or a look-back review (问题反弹的佐证)."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="evidence", verbose_name="台账"
    )
    report = models.ForeignKey(
        ProgressReport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name="进展报送",
    )
    signoff = models.ForeignKey(
        SignOffRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name="销号申请",
    )
    review = models.ForeignKey(
        "tasks.Review",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name="回头看",
    )
    file = models.FileField("文件", upload_to=evidence_path)
    original_name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField("类型", max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", default=clock.now, editable=False, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name


class Review(models.Model):
    """A look-back review (回头看) of a signed-off assignment."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="reviews", verbose_name="台账"
    )
    scheduled_for = models.DateField("计划检查日期")
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="安排人"
    )
    scheduled_at = models.DateTimeField("安排时间", default=clock.now, editable=False, blank=True)
    outcome = models.CharField(
        "结论", max_length=20, choices=ReviewOutcome.choices, default=ReviewOutcome.PENDING
    )
    findings = models.TextField("检查情况", blank=True)
    requirements = models.TextField("整改要求", blank=True, help_text="问题反弹时督察办提出")
    new_due_date = models.DateField("重新整改期限", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="检查人",
    )
    decided_at = models.DateTimeField("结论时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "回头看"
        ordering = ["-scheduled_for"]

    def __str__(self):
        return f"{self.assignment} · 回头看 {self.scheduled_for}"


class Extension(models.Model):
    """A request to extend an assignment's deadline (延期申请)."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="extensions", verbose_name="台账"
    )
    new_due_date = models.DateField("申请延期至")
    reason = models.TextField("延期理由")
    status = models.CharField(
        "状态", max_length=20, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    requested_at = models.DateTimeField("申请时间", default=clock.now, editable=False, blank=True)
    unit_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="单位审核人",
    )
    unit_decided_at = models.DateTimeField("单位审核时间", null=True, blank=True)
    unit_note = models.TextField("单位审核意见", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="撤回人",
    )
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdraw_reason = models.TextField("撤回说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "延期申请"
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.assignment} · 延期至 {self.new_due_date}"
