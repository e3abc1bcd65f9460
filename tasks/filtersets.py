"""The list filters: one django-filter ``FilterSet`` per list, used by the API, the pages and the schema.

A viewset names its FilterSet (``filterset_class``) and ``tasks.api.filters.FilterBackend`` applies
it; a page builds the same FilterSet over its scoped queryset and renders ``filterset.form``;
drf-spectacular reads the filters for the OpenAPI parameters. The queryset handed to a FilterSet
is already unit-scoped (``visible_to``): a filter only narrows what the caller may see.

Every parameter refuses a value it cannot use with a Chinese message naming it (``参数 task（任务序号）
应为整数，收到“abc”``): the API answers 400 with that message (``FilterSet.invalid_input``), a page
shows it beside the field, answers 400 and lists nothing. The building blocks below (text, integer,
choice, flag, unit) are the one place these parameters are read; ``read_param`` reads one outside a
list (the weekly workbook's ``unit``, the upload's ``dry_run``).
"""

import copy

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.http import QueryDict
from django.utils.choices import BaseChoiceIterator
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django_filters.filters import FilterMethod

from tasks.choices import DeadlineKind, Level, Status, TaskStatus
from tasks.models import Assignment, Category, Plan, Task, Unit
from tasks.models.levels import bucket_filters
from tasks.models.plan import task_number, unit_order
from tasks.services.checks import check_no_nul
from tasks.services.errors import InvalidInput
from tasks.weeks import today

BLANK = [("", "全部")]
TRUE_WORDS = ("true", "1", "on")  # "on": what a ticked checkbox sends
FALSE_WORDS = ("false", "0", "off")


# Fields: how one parameter is read -------------------------------------------------------------


class ParamField(forms.Field):
    """A query parameter: ``param`` is its name in the URL, named in every message with its label."""

    def __init__(self, *, param: str = "", required: bool = False, **kwargs):
        self.param = param
        super().__init__(required=required, **kwargs)

    @property
    def named(self) -> str:
        return f"参数 {self.param}（{self.label}）" if self.label else f"参数 {self.param}"

    def text(self, value) -> str:
        """The raw value stripped; NUL is refused (PostgreSQL cannot compare it) by the shared check."""
        try:
            return check_no_nul(str(value if value is not None else "").strip(), self.param, self.named)
        except InvalidInput as error:
            raise ValidationError(error.message, code="nul") from None


class TextField(ParamField):
    def __init__(self, *, max_length: int | None = None, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        text = self.text(value)
        if self.max_length is not None and len(text) > self.max_length:
            raise ValidationError(
                f"{self.named}最多 {self.max_length} 个字，收到 {len(text)} 个", code="max_length"
            )
        return text

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if self.max_length is not None:
            attrs["maxlength"] = str(self.max_length)
        return attrs


class IntField(ParamField):
    def to_python(self, value) -> int | None:
        raw = self.text(value)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            raise ValidationError(f"{self.named}应为整数，收到“{raw}”", code="invalid") from None


class TaskNumberField(IntField):
    """A task number, written as people write it: "29", "任务29", "第29项", full-width digits."""

    def to_python(self, value) -> int | None:
        raw = self.text(value)
        if not raw:
            return None
        number = task_number(raw)
        if number is None:
            raise ValidationError(f"{self.named}应为整数，收到“{raw}”（可写 29 或 任务29）", code="invalid")
        return number


def _attrs_html(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html`` in Python."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    """A ``<select>`` written in Python, the same markup as Django's ``select.html`` and
    ``select_option.html`` templates (``tests/test_filtersets.py`` holds it to them): the ledger's
    unit list has hundreds of options, and the template renders each through two includes."""

    def render(self, name, value, attrs=None, renderer=None):
        if (
            self.template_name != forms.Select.template_name
            or self.option_template_name != forms.Select.option_template_name
        ):
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(localize(group_name))}">')
            for option in group_choices:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs_html(option["attrs"])}>'
                    f"{conditional_escape(localize(option['label']))}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class ChoiceParamField(ParamField, forms.ChoiceField):
    widget = QuickSelect

    def __init__(self, *, choices=(), empty_label: str | None = None, **kwargs):
        if empty_label is not None:
            choices = [("", empty_label), *choices]
        super().__init__(choices=choices, **kwargs)

    def to_python(self, value) -> str:
        return self.text(value)

    def validate(self, value):
        if value and not self.valid_value(value):
            allowed = "、".join(str(key) for key, _ in self.choices if key != "")
            raise ValidationError(
                f"{self.named}：选择一个有效的选项，只能取 {allowed}，收到“{value}”", code="invalid_choice"
            )


class FlagField(ParamField):
    """``true``/``1``/``on`` or ``false``/``0``/``off``; absent or empty is no filter."""

    def to_python(self, value) -> bool | None:
        raw = self.text(value).lower()
        if not raw:
            return None
        if raw in TRUE_WORDS:
            return True
        if raw in FALSE_WORDS:
            return False
        raise ValidationError(f"参数 {self.param} 只能是 true 或 false，收到“{raw}”", code="invalid")


class RawCheckbox(forms.CheckboxInput):
    """A checkbox that hands the field the value as sent, so ``overdue=maybe`` is refused, not read as ticked."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: str(value).lower() in TRUE_WORDS)

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class UnitField(ParamField):
    """A unit named by its id (ASCII digits) or its exact name; a unit that does not exist is refused."""

    def to_python(self, value) -> Unit | None:
        raw = self.text(value)
        if not raw:
            return None
        # ASCII digits only: "²".isdigit() is true but int("²") fails.
        lookup = Q(pk=int(raw)) if raw.isascii() and raw.isdigit() else Q(name=raw)
        unit = Unit.objects.filter(lookup).first()
        if unit is None:
            raise ValidationError(f"单位“{raw}”不存在", code="unknown_unit")
        return unit


def read_param(field: ParamField, params):
    """One parameter read outside a list by the same rules; an unusable value is an ``InvalidInput`` (400)."""
    try:
        return field.clean(params.get(field.param))
    except ValidationError as error:
        raise InvalidInput(error.messages[0], field=field.param) from None


# Filters: the fields above in django-filter, typed for the schema through their base classes ---------


class TextFilter(django_filters.CharFilter):
    field_class = TextField


class IntFilter(django_filters.NumberFilter):
    field_class = IntField


class TaskNumberFilter(django_filters.NumberFilter):
    field_class = TaskNumberField


class ChoiceParamFilter(django_filters.ChoiceFilter):
    field_class = ChoiceParamField


class FlagFilter(django_filters.BooleanFilter):
    field_class = FlagField


class UnitFilter(django_filters.CharFilter):
    """``unit``: id or exact name. The page renders it as a list of the units that have assignments."""

    field_class = UnitField


class LazyChoices(BaseChoiceIterator):
    """Choices read from the database when a page first renders them, once per form (the API never reads them)."""

    def __init__(self, load):
        self.load = load
        self.items = None

    def __iter__(self):
        if self.items is None:
            self.items = list(self.load())
        yield from self.items

    def __copy__(self):
        return LazyChoices(self.load)

    def __deepcopy__(self, memo):
        return LazyChoices(self.load)


def unit_choices():
    units = Unit.objects.filter(pk__in=Assignment.objects.values("unit_id")).pickable()
    return BLANK + list(units.values_list("pk", "name"))  # hundreds at county scale: no model objects


def plan_choices():
    return BLANK + [
        (plan.pk, plan.title + ("（已归档）" if plan.closed_at else "")) for plan in Plan.objects.all()
    ]


def category_choices():
    return BLANK + [(c.number, f"{c.number}. {c.title}") for c in Category.objects.order_by("number")]


class FilterSet(django_filters.FilterSet):
    """Tells each field the name of its parameter, and turns the first error into the API's 400.

    The form class (its fields) is built once per FilterSet class and set of filters, not per
    request: a form copies its class's fields when it is made (so nothing of one request's form
    reaches another's, the choices read from the database included: ``LazyChoices`` copies load afresh).
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        cls = type(self)
        if "_form_classes" not in cls.__dict__:  # once per class: each filter's field knows its name
            for name, filter_ in cls.base_filters.items():
                filter_.extra["param"] = name
                filter_.__dict__.pop("_field", None)  # built again with its name
            cls._form_classes = {}
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        # django-filter's own __init__, but each filter copied shallowly, not deeply (a deep copy
        # copies every widget and choice list, and cost more than the rest of the list's work):
        # a filter keeps nothing of a request but its model and its FilterSet (``parent``), which
        # a method filter's ``FilterMethod`` reads through the copy.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = self.filters[name] = copy.copy(base)
            filter_.model = queryset.model
            filter_.parent = self
            if isinstance(filter_.__dict__.get("filter"), FilterMethod):
                filter_.filter = FilterMethod(filter_)

    def get_form_class(self):
        key = tuple(self.filters)  # a page may drop filters it does not offer (the ledger's unit, plan)
        form_class = self._form_classes.get(key)
        if form_class is None:
            form_class = self._form_classes[key] = super().get_form_class()
        return form_class

    def invalid_input(self) -> InvalidInput:
        name, messages = next(iter(self.errors.items()))
        return InvalidInput(messages[0], field=name)


# The assignment list (the API's /api/assignments/ and the ledger page /ledger/) ----------------------

LEVEL_RANK = Case(
    When(level=Level.RED.value, then=Value(0)),
    When(level=Level.YELLOW.value, then=Value(1)),
    When(level=Level.GREEN.value, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)

UNIT = "<unit>"  # where a sort puts the units in their standard order (``tasks.models.plan.unit_order``)
SORTS = {
    "task": ("任务序号", ["task__number", UNIT, "id"]),
    "urgency": (
        "紧急程度",
        [LEVEL_RANK, F("effective_due").asc(nulls_last=True), "task__number", UNIT],
    ),
    "due": ("期限由近到远", [F("effective_due").asc(nulls_last=True), "task__number", UNIT]),
    "-due": ("期限由远到近", [F("effective_due").desc(nulls_last=True), "task__number", UNIT]),
    "unit": ("责任单位", [UNIT, "task__number"]),
    "percent": ("完成比例由低到高", ["percent", "task__number", UNIT]),
    "-percent": ("完成比例由高到低", ["-percent", "task__number", UNIT]),
    "updated": ("最近更新", ["-updated_at", "task__number"]),
}


def sort_fields(key: str) -> list:
    """The ``order_by`` of a sort, the units in their standard order (read when sorting, not at import)."""
    fields = []
    for field in SORTS[key][1]:
        fields += unit_order("unit__") if field == UNIT else [field]
    return fields


def by_task(assignments):
    """The lists' default order: task number, then unit name."""
    return assignments.order_by(*sort_fields("task"))


def by_urgency(assignments):
    """Red first, then yellow, then green, signed off last; nearest deadline first within a level. Needs ``with_level``."""
    return assignments.order_by(*sort_fields("urgency"))


LEVEL_SORTS = ("urgency", "due", "-due")  # the sorts reading ``with_level``'s ``level`` or ``effective_due``


def with_level_once(assignments):
    """``assignments`` with ``with_level(today())`` unless they carry it already: a list annotates the
    level only when a filter or a sort reads it (resolving the rule costs more than the ids it pages)."""
    return assignments if "level" in assignments.query.annotations else assignments.with_level(today())


def overdue_filter(queryset, name, value):
    """``true``: past the effective due date and not signed off (``overdue``); ``false``: the others."""
    late = Assignment.objects.overdue(today()).values("pk")
    return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)


BUCKET_CHOICES = [
    ("signed_off", "已销号"),
    ("on_track", "按计划推进"),
    ("overdue", "逾期未销号"),
    ("reopened", "问题反弹"),
]


def bucket_filter(queryset, name, value):
    """One bucket of the one bucket rule (``tasks.models.levels.bucket_filters``), judged today: the dashboard's tiles."""
    return queryset.filter(bucket_filters(today())[value])


def city_filter(queryset, name, value):
    """A city's rows: the city's own and those of the units under it (its counties and departments)."""
    return queryset.filter(Q(unit=value) | Q(unit__parent=value))


class AssignmentFilterSet(FilterSet):
    """The ledger's filters. The queryset is unit-scoped; the level filter and the sorts by urgency or
    due date annotate ``with_level`` when it does not carry it yet (``with_level_once``)."""

    q = TextFilter(
        label="搜索",
        max_length=100,
        method="search",
        help_text="检索任务的问题、整改目标、措施、责任单位、责任人及单位名称",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "问题、目标、措施、单位、责任人"}),
    )
    plan = IntFilter(
        field_name="task__plan",
        label="整改方案",
        help_text="整改方案 id（有多个方案时按方案筛选）",
        widget=QuickSelect(choices=LazyChoices(plan_choices)),
    )
    task = TaskNumberFilter(
        field_name="task__number", label="任务序号", help_text="任务序号 1–60（也可写“任务29”）"
    )
    category = IntFilter(
        field_name="task__category__number",
        label="问题类别",
        help_text="问题类别序号 1–4",
        widget=QuickSelect(choices=LazyChoices(category_choices)),
    )
    unit = UnitFilter(
        label="责任单位",
        help_text="责任单位 id 或名称",
        widget=QuickSelect(choices=LazyChoices(unit_choices)),
    )
    status = ChoiceParamFilter(label="状态", choices=Status.choices, empty_label="全部")
    level = ChoiceParamFilter(
        label="预警等级",
        choices=Level.choices,
        empty_label="全部",
        method="by_level",
        help_text="预警等级（由 with_level 在 SQL 中算出）",
    )
    deadline_kind = ChoiceParamFilter(
        field_name="task__deadline_kind", label="时限类型", choices=DeadlineKind.choices, empty_label="全部"
    )
    bucket = ChoiceParamFilter(
        label="进度分类",
        choices=BUCKET_CHOICES,
        method=bucket_filter,
        empty_label="全部",
        help_text="已销号、按计划推进、逾期未销号、问题反弹（总览的分类，按今天判断）",
    )
    city = UnitFilter(
        label="市",
        method=city_filter,
        help_text="市（id 或名称）：该市及其所辖县（市、区）和市直部门的台账",
    )
    overdue = FlagFilter(
        label="只看逾期",
        method=overdue_filter,
        help_text="true 只列逾期未销号的台账，false 排除它们",
        widget=RawCheckbox,
    )
    sort = ChoiceParamFilter(
        label="排序",
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        method="order",
        empty_label=None,
        help_text="排序方式（默认按任务序号）",
    )

    class Meta:
        model = Assignment
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(task__in=Task.objects.search(value).values("pk")) | Q(unit__name__icontains=value)
        )

    def by_level(self, queryset, name, value):
        return with_level_once(queryset).filter(level=value)

    def order(self, queryset, name, value):
        if value in LEVEL_SORTS:
            queryset = with_level_once(queryset)
        return queryset.order_by(*sort_fields(value))


# The task list (/api/tasks/) --------------------------------------------------------------------------


def tasks_overdue(queryset, name, value):
    """``true``: tasks with an assignment past its effective due date and not signed off; ``false``: the others."""
    late = Task.objects.overdue(today()).values("pk")
    return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)


class TaskFilterSet(FilterSet):
    """The plan's tasks. The queryset carries each task's ``status`` (``with_status``)."""

    plan = IntFilter(field_name="plan", label="整改方案", help_text="整改方案 id")
    category = IntFilter(field_name="category__number", label="问题类别", help_text="问题类别序号 1–4")
    unit = UnitFilter(field_name="assignments__unit", label="责任单位", help_text="责任单位 id 或名称")
    deadline_kind = ChoiceParamFilter(label="时限类型", choices=DeadlineKind.choices)
    overdue = FlagFilter(
        label="逾期", method=tasks_overdue, help_text="true 只列出有逾期台账的任务，false 排除它们"
    )
    status = ChoiceParamFilter(
        label="任务状态", choices=TaskStatus.choices, help_text="任务状态（由各责任单位台账汇总）"
    )
    q = TextFilter(label="全文检索", method="search", help_text="检索问题、整改目标、措施、责任单位和责任人")

    class Meta:
        model = Task
        fields = []

    def search(self, queryset, name, value):
        return queryset.search(value)
