from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks.choices import TaskStatus
from tasks.models import Assignment, Category, Measure, Official, Task, Unit


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "kind"]


class OfficialSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.name", default=None, read_only=True)

    class Meta:
        model = Official
        fields = ["id", "name", "unit"]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["number", "title"]


class MeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Measure
        fields = ["number", "text", "milestones"]


class TaskAssignmentSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "unit", "status"]


class TaskOfficialSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.name", default=None, read_only=True)

    class Meta:
        model = Official
        fields = ["name", "unit"]


class TaskSerializer(serializers.ModelSerializer):
    """One task with its rows: the responsible units and the caller's visible assignments (``/api/tasks/<id>/``)."""

    category = CategorySerializer(read_only=True)
    measures = MeasureSerializer(many=True, read_only=True)
    responsible_units = serializers.SerializerMethodField()
    cooperating_units = UnitSerializer(many=True, read_only=True)
    officials = TaskOfficialSerializer(many=True, read_only=True)
    assignments = serializers.SerializerMethodField()
    status = serializers.ChoiceField(
        choices=TaskStatus.choices, read_only=True, help_text="由全部责任单位台账汇总：全部已销号才算已销号"
    )
    status_label = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "plan",
            "number",
            "category",
            "problem",
            "goal",
            "measures",
            "responsible_units",
            "cooperating_units",
            "officials",
            "officials_text",
            "deadline_text",
            "due_date",
            "deadline_kind",
            "status",
            "status_label",
            "assignments",
        ]

    @extend_schema_field(UnitSerializer(many=True))
    def get_responsible_units(self, task):
        """The units whose rows of the task are in force (``rows_in_force``, prefetched by the view)."""
        return UnitSerializer([row.unit for row in task.rows_in_force], many=True).data

    def get_status_label(self, task) -> str:
        # ``status`` is annotated by ``Task.objects.with_status()``.
        return TaskStatus(task.status).label

    def get_assignments(self, task) -> list[dict]:
        # ``visible_assignments`` is prefetched with the caller's unit scoping.
        return TaskAssignmentSerializer(task.visible_assignments, many=True).data


class AssignmentCountsSerializer(serializers.Serializer):
    """How many of the task's rows the caller sees, and how many of them are in each status."""

    total = serializers.IntegerField()
    by_status = serializers.DictField(
        child=serializers.IntegerField(), help_text="状态 → 台账数（只列出有的）"
    )


class TaskListSerializer(TaskSerializer):
    """A task in the list (``/api/tasks/``): counts and the roll-up instead of a row per unit.

    The rows are one request away: ``assignments_url`` (``/api/tasks/<id>/assignments/``, paginated);
    the responsible units are the ``unit`` of those rows. The view annotates ``responsible_count``
    and hands the visible rows' counts per status in the context (``counts``: task id → status → n).
    """

    responsible_count = serializers.IntegerField(read_only=True, help_text="责任单位数（现行台账）")
    assignment_counts = serializers.SerializerMethodField()
    assignments_url = serializers.SerializerMethodField()

    class Meta(TaskSerializer.Meta):
        fields = [f for f in TaskSerializer.Meta.fields if f not in ("responsible_units", "assignments")] + [
            "responsible_count",
            "assignment_counts",
            "assignments_url",
        ]

    @extend_schema_field(AssignmentCountsSerializer)
    def get_assignment_counts(self, task) -> dict:
        by_status = self.context["counts"].get(task.pk, {})
        return {"total": sum(by_status.values()), "by_status": by_status}

    def get_assignments_url(self, task) -> str:
        path = reverse("task-assignments", args=[task.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
