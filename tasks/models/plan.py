"""The plan as data: plan, categories, tasks, measures, units and officials."""

import re
import unicodedata

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When

from tasks import clock
from tasks.choices import DeadlineKind, Status, TaskStatus, UnitKind
from tasks.models.ledger import Assignment
from tasks.models.organisation import Organisation


class Plan(models.Model):
    title = models.CharField("标题", max_length=200)
    issuing_body = models.CharField("印发机关", max_length=200, blank=True)
    issued_date = models.DateField("印发日期", null=True, blank=True)
    source_file = models.CharField("来源文件", max_length=300, blank=True)
    source_sha256 = models.CharField("来源文件摘要", max_length=64, blank=True)
    imported_at = models.DateTimeField("导入时间", default=clock.now, editable=False, blank=True)
    closed_at = models.DateTimeField(
        "归档时间", null=True, blank=True, help_text="归档后台账只读，不再进入周调度"
    )
    closed_reason = models.CharField("归档说明", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "整改方案"
        ordering = ["imported_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["title"], name="plan_title_unique")]

    def __str__(self):
        return self.title


class Category(models.Model):
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="categories", verbose_name="整改方案"
    )
    number = models.PositiveSmallIntegerField("序号")
    title = models.CharField("问题类别", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "问题类别"
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="category_number_unique")]

    def __str__(self):
        return f"{self.number}. {self.title}"


# The order units are listed in everywhere (lists, pickers, workbooks): the province's cities in
# their standard order (``Organisation.cities``: 太原、大同、朔州、忻州、吕梁、晋中、阳泉、长治、晋城、临汾、运城),
# then the departments, then the enterprises, then the rest, each by name.
KIND_ORDER = (UnitKind.CITY, UnitKind.DEPARTMENT, UnitKind.ENTERPRISE, UnitKind.OTHER)
# Units the plan names collectively ("省直部门", "各相关市"): rows may be assigned to them, but no one
# picks them as a unit (no account, summons or filter names them).
PLACEHOLDER_UNITS = ("省直部门", "各相关市")


class PositionIn(models.Func):
    """The position of a field's value in a fixed list (from 0), or the list's length when it is not
    in it: ``CASE field WHEN %s THEN 0 … ELSE n END``, one expression for the ORM to resolve (a
    ``Case`` of ``When``s costs a sorted list more to build per request than the database's sort)."""

    output_field = models.IntegerField()
    arity = 1

    def __init__(self, field: str, values):
        super().__init__(F(field))
        self.values = [str(value) for value in values]

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if not self.values:
            return "0", ()
        whens = " ".join("WHEN %s THEN %s" for _ in self.values)
        flat = [item for i, value in enumerate(self.values) for item in (value, i)]
        return f"(CASE {sql} {whens} ELSE %s END)", (*params, *flat, len(self.values))


def unit_order(prefix: str = "") -> list:
    """``order_by`` expressions putting units (``prefix``: the path to the unit, e.g. ``"unit__"``) in
    the standard order; no query (the organisation's cities are cached for the process)."""
    cities = Organisation.current().cities
    kind = PositionIn(f"{prefix}kind", [k.value for k in KIND_ORDER])
    city = PositionIn(f"{prefix}name", cities)
    return [kind, city, F(f"{prefix}name")]


def unit_sort_key(name: str, kind: str) -> tuple:
    """The same order for units held in Python (a workbook's summary, a message's list)."""
    cities = Organisation.current().cities
    kinds = [k.value for k in KIND_ORDER]
    return (
        kinds.index(kind) if kind in kinds else len(kinds),
        cities.index(name) if name in cities else len(cities),
        name,
    )


class UnitQuerySet(models.QuerySet):
    def in_standard_order(self):
        return self.order_by(*unit_order())

    def pickable(self):
        """The units a person picks from: no placeholder, in the standard order."""
        return self.exclude(name__in=PLACEHOLDER_UNITS).in_standard_order()


class Unit(models.Model):
    name = models.CharField("单位名称", max_length=100, unique=True)
    kind = models.CharField("单位类型", max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级单位",
        help_text="县（市、区）和市直部门填所属的市；地市、省直部门和企业直属本省，不填",
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class Official(models.Model):
    name = models.CharField("姓名", max_length=50)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officials",
        verbose_name="所在单位",
    )

    class Meta:
        verbose_name = verbose_name_plural = "责任人"
        ordering = ["unit__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "unit"], name="official_name_unit_unique"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(unit=None), name="official_name_no_unit_unique"
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.unit}）" if self.unit_id else self.name


TASK_NUMBER_RE = re.compile(r"^(?:任务|第)?\s*(\d{1,4})\s*(?:项|号)?$", re.ASCII)


def task_number(text: str) -> int | None:
    """The task number in "29", "任务29", "任务 29", "第29项" or "２９" (full-width); None otherwise."""
    match = TASK_NUMBER_RE.match(unicodedata.normalize("NFKC", text or "").strip())
    return int(match[1]) if match else None


class TaskQuerySet(models.QuerySet):
    def search(self, text: str):
        """Tasks whose problem, goal, measures, responsible units or officials hold ``text``; "任务29" is
        task 29; a person's name matches with or without the plan's padding space ("王成", "王 成")."""
        text = text.strip()
        if not text:
            return self
        if "\x00" in text:
            return self.none()  # no stored text holds NUL, and PostgreSQL refuses to compare with it
        number = task_number(text)
        if number is not None and not text.isdigit():
            return self.filter(number=number)
        compact = re.sub(r"\s+", "", text)
        padded = " ".join(compact) if len(compact) == 2 else compact  # "王成" as the plan writes it: "王 成"
        match = (
            Q(problem__icontains=text)
            | Q(goal__icontains=text)
            | Q(measures__text__icontains=text)
            | Q(responsible_text__icontains=text)
            | Q(officials_text__icontains=text)
            | Q(officials_text__icontains=padded)
            | Q(officials__name__icontains=compact)
        )
        if number is not None:
            match |= Q(number=number)
        return self.filter(match).distinct()

    def with_status(self):
        """Annotate ``status``, the one rule rolling a task's status up from all its assignments.

        signed_off (已销号) when it has assignments and every one is signed off; not_started (未启动)
        when none has started; in_progress (整改中) otherwise. Subqueries, not joins, so it
        composes with any filter or ``distinct()`` and costs no extra query.
        """
        rows = Assignment.objects.filter(task=OuterRef("pk"))
        return self.annotate(
            status=Case(
                When(
                    Exists(rows) & ~Exists(rows.exclude(status=Status.SIGNED_OFF)),
                    then=Value(TaskStatus.SIGNED_OFF.value),
                ),
                When(
                    ~Exists(rows.exclude(status=Status.NOT_STARTED)), then=Value(TaskStatus.NOT_STARTED.value)
                ),
                default=Value(TaskStatus.IN_PROGRESS.value),
                output_field=models.CharField(),
            )
        )

    def overdue(self, today):
        """Tasks with an assignment past its effective due date and not signed off."""
        late = Assignment.objects.overdue(today).values("task_id")
        return self.filter(pk__in=late)


class Task(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks", verbose_name="整改方案")
    number = models.PositiveSmallIntegerField("序号")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="tasks", verbose_name="问题类别"
    )
    problem = models.TextField("督察反馈问题")
    goal = models.TextField("整改目标")
    responsible_units = models.ManyToManyField(
        Unit, through="Assignment", related_name="responsible_tasks", verbose_name="责任单位"
    )
    responsible_text = models.CharField("责任单位（原文）", max_length=500)
    cooperating_units = models.ManyToManyField(
        Unit, blank=True, related_name="cooperating_tasks", verbose_name="配合单位"
    )
    cooperating_text = models.CharField("配合单位（原文）", max_length=500, blank=True)
    officials = models.ManyToManyField(Official, blank=True, related_name="tasks", verbose_name="责任人")
    officials_text = models.CharField("责任人（原文）", max_length=500, blank=True)
    deadline_text = models.CharField("整改时限", max_length=300)
    due_date = models.DateField("完成期限", null=True, blank=True)
    deadline_kind = models.CharField("时限类型", max_length=20, choices=DeadlineKind.choices)
    is_public = models.BooleanField("信息公开", default=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "整改任务"
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="task_number_unique")]
        # The ledger's default order starts with the task number: read in this index's order, the
        # database sorts only the first tasks' rows for a page (an incremental sort), not every row.
        indexes = [models.Index(fields=["number"], name="task_number_idx")]

    def __str__(self):
        return f"任务{self.number}：{self.problem[:30]}"


class Measure(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="measures", verbose_name="整改任务")
    number = models.PositiveSmallIntegerField("序号")
    text = models.TextField("整改措施")
    milestones = models.JSONField(
        "节点时间", default=list, blank=True, help_text="ISO 日期列表，取自措施原文"
    )

    class Meta:
        verbose_name = verbose_name_plural = "整改措施"
        ordering = ["task", "number"]
        constraints = [models.UniqueConstraint(fields=["task", "number"], name="measure_number_unique")]

    def __str__(self):
        return f"措施{self.number}"
