"""The plan's pressure tools: listed supervision (挂牌督办), summons (约谈),
accountability referrals (责任追究) and leader-led items (领导领办)."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q

from tasks import clock
from tasks.models.ledger import Voidable
from tasks.models.people import scope_by_unit


class CaseStatus(models.TextChoices):
    REFERRED = "referred", "已移交"
    INVESTIGATING = "investigating", "调查中"
    CONCLUDED = "concluded", "已办结"


class ScopedQuerySet(models.QuerySet):
    """Records that belong to a unit, scoped by the ledger's one rule."""

    unit_path = "unit"

    def visible_to(self, user):
        return scope_by_unit(self, user, self.unit_path)


class SupervisionQuerySet(ScopedQuerySet):
    unit_path = "assignment__unit"

    def active(self):
        return self.filter(lifted_at=None)

    def active_for(self, assignment):
        """The assignment's active listing, or None (at most one: ``one_active_listing``)."""
        return self.active().filter(assignment=assignment).first()


class ListedSupervision(Voidable):
    assignment = models.ForeignKey(
        "tasks.Assignment", on_delete=models.PROTECT, related_name="supervisions", verbose_name="台账"
    )
    reason = models.TextField("挂牌理由")
    deadline = models.DateField("督办期限")
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="挂牌人"
    )
    listed_at = models.DateTimeField("挂牌时间", default=clock.now, editable=False, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="摘牌人",
    )
    lifted_at = models.DateTimeField("摘牌时间", null=True, blank=True)
    lift_note = models.TextField("摘牌说明", blank=True)

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "挂牌督办"
        ordering = ["-listed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(lifted_at=None), name="one_active_listing"
            )
        ]

    def __str__(self):
        return f"挂牌督办：{self.assignment}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


def is_listed():
    """For ``Assignment`` querysets: ``annotate(listed=is_listed())`` marks rows under active listed
    supervision in the same query (an EXISTS subquery, no query per row)."""
    return Exists(ListedSupervision.objects.active().filter(assignment=OuterRef("pk")))


def with_active_listing(assignments):
    """For ``Assignment`` querysets: prefetch each row's active listing with who listed it (one query
    for any number of rows); read it back with ``active_listing(assignment)``."""
    return assignments.prefetch_related(
        Prefetch(
            "supervisions",
            queryset=ListedSupervision.objects.active().select_related("listed_by"),
            to_attr="active_listings",
        )
    )


def active_listing(assignment):
    """The assignment's active listing from ``with_active_listing``'s prefetch, or None."""
    return next(iter(getattr(assignment, "active_listings", ())), None)


class Summons(Voidable):
    unit = models.ForeignKey(
        "tasks.Unit", on_delete=models.PROTECT, related_name="summons", verbose_name="被约谈单位"
    )
    assignments = models.ManyToManyField(
        "tasks.Assignment", blank=True, related_name="summons", verbose_name="涉及台账"
    )
    held_on = models.DateField("约谈日期")
    attendees = models.CharField("被约谈人", max_length=300, help_text="姓名与职务，如实记录")
    reason = models.TextField("约谈事由")
    requirements = models.TextField("整改要求", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="记录人"
    )
    created_at = models.DateTimeField("记录时间", default=clock.now, editable=False, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "约谈"
        ordering = ["-held_on"]

    def __str__(self):
        return f"约谈 {self.unit} · {self.held_on}"


class AccountabilityCase(Voidable):
    unit = models.ForeignKey(
        "tasks.Unit", on_delete=models.PROTECT, related_name="cases", verbose_name="涉及单位"
    )
    assignment = models.ForeignKey(
        "tasks.Assignment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name="涉及台账",
    )
    persons = models.CharField("涉及人员", max_length=300)
    summary = models.TextField("问题线索")
    referred_to = models.CharField("移交机关", max_length=100, default="省纪委监委")
    referred_on = models.DateField("移交日期")
    status = models.CharField(
        "办理状态", max_length=20, choices=CaseStatus.choices, default=CaseStatus.REFERRED
    )
    conclusion = models.TextField("处理结果", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="记录人"
    )
    updated_at = models.DateTimeField("更新时间", default=clock.now, editable=False, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "责任追究"
        ordering = ["-referred_on"]

    def __str__(self):
        return f"责任追究 {self.unit} · {self.persons}"

    def save(self, *args, **kwargs):
        self.updated_at = clock.now()  # the ledger's clock (``tasks.clock``), frozen in the demo
        super().save(*args, **kwargs)


class LeaderLedItem(models.Model):
    """A task a named leader leads in person (领导领办, the plan's "332" mechanism)."""

    task = models.ForeignKey(
        "tasks.Task", on_delete=models.CASCADE, related_name="leader_items", verbose_name="整改任务"
    )
    leader_name = models.CharField("领办领导", max_length=50)
    leader_title = models.CharField("职务", max_length=100, blank=True)
    note = models.TextField("领办要求", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="记录人"
    )
    created_at = models.DateTimeField("记录时间", default=clock.now, editable=False, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "领导领办"
        ordering = ["task__number"]
        constraints = [models.UniqueConstraint(fields=["task", "leader_name"], name="leader_item_unique")]

    def __str__(self):
        return f"{self.leader_name} 领办任务{self.task.number}"
