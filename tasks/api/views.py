from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets

from tasks.api import filters
from tasks.api.serializers import OfficialSerializer, TaskSerializer, UnitSerializer
from tasks.choices import TaskStatus
from tasks.models import Assignment, Official, Task, Unit
from tasks.weeks import today


@extend_schema(
    parameters=[
        OpenApiParameter("category", int, description="问题类别序号 1–4"),
        OpenApiParameter("unit", str, description="责任单位 id 或名称"),
        OpenApiParameter("deadline_kind", str, enum=["immediate_ongoing", "dated", "phased"]),
        OpenApiParameter("overdue", bool, description="只列出有逾期台账的任务"),
        OpenApiParameter(
            "status", str, enum=TaskStatus.values, description="任务状态（由各责任单位台账汇总）"
        ),
        OpenApiParameter("q", str, description="全文检索"),
        OpenApiParameter("page_size", int, description="每页条数，最多 200"),
    ]
)
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """The plan's 60 tasks. Everyone signed in reads the plan; assignments are unit-scoped."""

    serializer_class = TaskSerializer

    def get_queryset(self):
        visible = (
            Assignment.objects.visible_to(self.request.user).select_related("unit").order_by("unit__name")
        )
        queryset = (
            Task.objects.with_status()
            .select_related("category")
            .prefetch_related(
                "measures",
                "responsible_units",
                "cooperating_units",
                Prefetch("officials", queryset=Official.objects.select_related("unit")),
                Prefetch("assignments", queryset=visible, to_attr="visible_assignments"),
            )
            .order_by("plan_id", "number")
        )
        if self.action != "list":
            return queryset
        params = self.request.query_params
        category = filters.int_param(params, "category", "问题类别")
        if category is not None:
            queryset = queryset.filter(category__number=category)
        unit = filters.unit_param(params)
        if unit is not None:
            queryset = queryset.filter(assignments__unit=unit)
        kind = filters.deadline_kind_param(params)
        if kind:
            queryset = queryset.filter(deadline_kind=kind)
        if filters.bool_param(params, "overdue"):
            queryset = queryset.overdue(today())
        task_status = filters.task_status_param(params)
        if task_status:
            queryset = queryset.filter(status=task_status)
        q = filters.text_param(params, "q", "全文检索")
        if q:
            queryset = queryset.search(q)
        return queryset


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    queryset = Unit.objects.order_by("kind", "name")


class OfficialViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OfficialSerializer
    queryset = Official.objects.select_related("unit").order_by("unit__name", "name")
