from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404

from tasks.api import ledger_rows, task_rows
from tasks.api.ledger_serializers import AssignmentListSerializer
from tasks.api.serializers import OfficialSerializer, TaskListSerializer, TaskSerializer, UnitSerializer
from tasks.filtersets import TaskFilterSet
from tasks.models import Assignment, Official, Task, Unit
from tasks.models.plan import unit_order
from tasks.weeks import today


def responsible_count():
    """The number of the task's rows in force (its responsible units), as a subquery: ``COUNT(*)``,
    which the database answers from the index of a task's rows in force alone (``COUNT(id)`` read
    each row: 337 a task at county scale)."""
    rows = (
        Assignment.objects.filter(task=OuterRef("pk"))
        .order_by()
        .values("task")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """The plan's tasks. Everyone signed in reads the plan; assignments are unit-scoped.

    The list gives per task the counts and the roll-up; the rows are one request away
    (``/api/tasks/<id>/assignments/``, paginated), so a page of tasks costs the same whatever the
    number of units. The detail nests the task's rows (one task's units).
    """

    filterset_class = TaskFilterSet

    def get_serializer_class(self):
        return TaskListSerializer if self.action == "list" else TaskSerializer

    def get_queryset(self):
        if self.action == "list":  # read as values (``task_rows``), its related lists too
            return (
                Task.objects.with_status()
                .annotate(responsible_count=responsible_count())
                .order_by("plan_id", "number")
            )
        tasks = (
            Task.objects.with_status()
            .select_related("category")
            .prefetch_related(
                "measures",
                "cooperating_units",
                Prefetch("officials", queryset=Official.objects.select_related("unit")),
            )
            .order_by("plan_id", "number")
        )
        visible = (
            Assignment.objects.visible_to(self.request.user).select_related("unit").order_by("unit__name")
        )
        return tasks.prefetch_related(
            # The responsible units are the rows in force (a unit a plan edit took off is not one).
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("unit").order_by("unit__kind", "unit__name"),
                to_attr="rows_in_force",
            ),
            Prefetch("assignments", queryset=visible, to_attr="visible_assignments"),
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values(*task_rows.FIELDS))
        counts: dict[int, dict[str, int]] = {}
        visible = (
            Assignment.objects.visible_to(request.user)
            .filter(task__in=[task["id"] for task in page])
            .order_by()
            .values_list("task_id", "status")
            .annotate(n=Count("pk"))
        )
        for task_id, status, n in visible:
            counts.setdefault(task_id, {})[status] = n
        return self.get_paginated_response(task_rows.list_rows(page, counts, request))

    @extend_schema(responses=AssignmentListSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def assignments(self, request, pk=None):
        """The task's rows the caller may see, as in ``/api/assignments/``, units in the standard order."""
        get_object_or_404(Task.objects.only("pk"), pk=pk)  # "abc" or an unknown id: 404
        ids = (
            Assignment.objects.visible_to(request.user)
            .filter(task_id=pk)
            .order_by(*unit_order("unit__"), "pk")
            .values_list("pk", flat=True)
        )
        page = self.paginate_queryset(ids)
        return self.get_paginated_response(ledger_rows.list_rows(request.user, list(page), today()))


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    queryset = Unit.objects.all()

    def get_queryset(self):
        return Unit.objects.in_standard_order()  # the standard order reads the organisation: not at import


class OfficialViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OfficialSerializer
    queryset = Official.objects.select_related("unit").order_by("unit__name", "name")
