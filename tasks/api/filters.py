"""Query-parameter filters shared by the task and assignment endpoints.

Each reader refuses a value it cannot use with a Chinese message (400), rather
than silently ignoring it.
"""

from django.db.models import Q

from tasks.choices import DeadlineKind, Level, Status, TaskStatus
from tasks.models import Unit
from tasks.services.checks import check_no_nul
from tasks.services.errors import InvalidInput
from tasks.weeks import today


def text_param(params, name: str, label: str) -> str:
    """A free-text parameter, stripped; "" when absent. NUL is refused (PostgreSQL cannot compare it)."""
    return check_no_nul((params.get(name) or "").strip(), name, f"参数 {name}（{label}）")


def int_param(params, name: str, label: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"参数 {name}（{label}）应为整数，收到“{raw}”", field=name) from None


def choice_param(params, name: str, choices, label: str) -> str | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if raw not in choices.values:
        allowed = "、".join(choices.values)
        raise InvalidInput(f"参数 {name}（{label}）只能取 {allowed}，收到“{raw}”", field=name)
    return raw


def bool_param(params, name: str) -> bool | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise InvalidInput(f"参数 {name} 只能取 true 或 false，收到“{raw}”", field=name)


def unit_param(params, name: str = "unit") -> Unit | None:
    """A unit named by id or by its exact name."""
    raw = text_param(params, name, "责任单位")
    if not raw:
        return None
    # ASCII digits only: "²".isdigit() is true but int("²") fails.
    lookup = Q(pk=int(raw)) if raw.isascii() and raw.isdigit() else Q(name=raw)
    unit = Unit.objects.filter(lookup).first()
    if unit is None:
        raise InvalidInput(f"单位“{raw}”不存在", field=name)
    return unit


def status_param(params):
    return choice_param(params, "status", Status, "状态")


def level_param(params):
    return choice_param(params, "level", Level, "预警等级")


def task_status_param(params):
    return choice_param(params, "status", TaskStatus, "任务状态")


def deadline_kind_param(params):
    return choice_param(params, "deadline_kind", DeadlineKind, "时限类型")


def filter_assignments(queryset, params):
    """The assignment list's filters; ``queryset`` is already unit-scoped and carries ``level`` (``with_level``)."""
    unit = unit_param(params)
    if unit is not None:
        queryset = queryset.filter(unit=unit)
    task = int_param(params, "task", "任务序号")
    if task is not None:
        queryset = queryset.filter(task__number=task)
    category = int_param(params, "category", "问题类别")
    if category is not None:
        queryset = queryset.filter(task__category__number=category)
    status = status_param(params)
    if status:
        queryset = queryset.filter(status=status)
    level = level_param(params)
    if level:
        queryset = queryset.filter(level=level)
    overdue = bool_param(params, "overdue")
    if overdue is not None:
        late = queryset.model.objects.overdue(today()).values("pk")
        queryset = queryset.filter(pk__in=late) if overdue else queryset.exclude(pk__in=late)
    return queryset
