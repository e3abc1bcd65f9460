from django.db.models import Prefetch
from rest_framework import viewsets

from tasks.api.serializers import OfficialSerializer, TaskSerializer, UnitSerializer
from tasks.filtersets import TaskFilterSet
from tasks.models import Assignment, Official, Task, Unit


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """The plan's 60 tasks. Everyone signed in reads the plan; assignments are unit-scoped."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet

    def get_queryset(self):
        visible = (
            Assignment.objects.visible_to(self.request.user).select_related("unit").order_by("unit__name")
        )
        return (
            Task.objects.with_status()
            .select_related("category")
            .prefetch_related(
                "measures",
                # The responsible units are the rows in force (a unit a plan edit took off is not one).
                Prefetch(
                    "assignments",
                    queryset=Assignment.objects.select_related("unit").order_by("unit__kind", "unit__name"),
                    to_attr="rows_in_force",
                ),
                "cooperating_units",
                Prefetch("officials", queryset=Official.objects.select_related("unit")),
                Prefetch("assignments", queryset=visible, to_attr="visible_assignments"),
            )
            .order_by("plan_id", "number")
        )


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    queryset = Unit.objects.all()

    def get_queryset(self):
        return Unit.objects.in_standard_order()  # the standard order reads the organisation: not at import


class OfficialViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OfficialSerializer
    queryset = Official.objects.select_related("unit").order_by("unit__name", "name")
