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
