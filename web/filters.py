"""The ledger's filters, search and sort: a GET form that narrows a scoped queryset."""

from django import forms
from django.db.models import Case, F, IntegerField, Q, Value, When

from tasks.choices import DeadlineKind, Level, Status
from tasks.models import Category, Task, Unit

BLANK = [("", "全部")]

LEVEL_RANK = Case(
    When(level=Level.RED.value, then=Value(0)),
    When(level=Level.YELLOW.value, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)

SORTS = {
    "task": ("任务序号", ["task__number", "unit__name"]),
    "urgency": (
        "紧急程度",
        [LEVEL_RANK, F("effective_due").asc(nulls_last=True), "task__number", "unit__name"],
    ),
    "due": ("期限由近到远", [F("effective_due").asc(nulls_last=True), "task__number", "unit__name"]),
    "-due": ("期限由远到近", [F("effective_due").desc(nulls_last=True), "task__number", "unit__name"]),
    "unit": ("责任单位", ["unit__name", "task__number"]),
    "percent": ("完成比例由低到高", ["percent", "task__number", "unit__name"]),
    "-percent": ("完成比例由高到低", ["-percent", "task__number", "unit__name"]),
    "updated": ("最近更新", ["-updated_at", "task__number"]),
}


def by_urgency(assignments):
    """Red first, then yellow, then green; nearest deadline first within a level. Needs ``with_level``."""
    return assignments.order_by(*SORTS["urgency"][1])


class LedgerFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "问题、目标、措施、单位、责任人"}),
    )
    category = forms.TypedChoiceField(label="问题类别", required=False, coerce=int, empty_value=None)
    unit = forms.ModelChoiceField(
        label="责任单位", required=False, queryset=Unit.objects.none(), empty_label="全部"
    )
    status = forms.ChoiceField(label="状态", required=False, choices=BLANK + Status.choices)
    level = forms.ChoiceField(label="预警等级", required=False, choices=BLANK + Level.choices)
    deadline_kind = forms.ChoiceField(label="时限类型", required=False, choices=BLANK + DeadlineKind.choices)
    overdue = forms.BooleanField(label="只看逾期", required=False)
    sort = forms.ChoiceField(
        label="排序", required=False, choices=[(k, label) for k, (label, _) in SORTS.items()]
    )

    def __init__(self, data, *, show_units: bool):
        super().__init__(data)
        self.fields["category"].choices = BLANK + [
            (c.number, f"{c.number}. {c.title}") for c in Category.objects.order_by("number")
        ]
        if show_units:
            self.fields["unit"].queryset = (
                Unit.objects.filter(assignments__isnull=False).distinct().order_by("kind", "name")
            )
        else:
            del self.fields["unit"]

    def apply(self, assignments, today):
        """The scoped, level-annotated queryset narrowed by the filters; nothing if a filter is invalid."""
        assignments = assignments.with_level(today)
        if self.is_bound and not self.is_valid():
            return assignments.none()
        data = self.cleaned_data if self.is_bound else {}
        if data.get("category"):
            assignments = assignments.filter(task__category__number=data["category"])
        if data.get("unit"):
            assignments = assignments.filter(unit=data["unit"])
        for field, lookup in (
            ("status", "status"),
            ("level", "level"),
            ("deadline_kind", "task__deadline_kind"),
        ):
            if data.get(field):
                assignments = assignments.filter(**{lookup: data[field]})
        if data.get("overdue"):
            assignments = assignments.overdue(today)
        text = (data.get("q") or "").strip()
        if text:
            assignments = assignments.filter(
                Q(task__in=Task.objects.search(text).values("pk")) | Q(unit__name__icontains=text)
            )
        return assignments.order_by(*SORTS[data.get("sort") or "task"][1])
