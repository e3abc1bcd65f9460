"""REST endpoints: everyone signed in reads what their unit scope allows; the office writes."""

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accountability import services
from accountability.filtersets import ListedSupervisionFilterSet
from accountability.models import AccountabilityCase, LeaderLedItem, ListedSupervision, Summons
from tasks.models import Assignment, Task, Unit


class ListedSupervisionSerializer(serializers.ModelSerializer):
    assignment = serializers.PrimaryKeyRelatedField(queryset=Assignment.objects.all())
    task_number = serializers.IntegerField(source="assignment.task.number", read_only=True)
    unit = serializers.CharField(source="assignment.unit.name", read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = ListedSupervision
        fields = [
            "id",
            "assignment",
            "task_number",
            "unit",
            "reason",
            "deadline",
            "listed_at",
            "lifted_at",
            "lift_note",
            "active",
        ]
        read_only_fields = ["listed_at", "lifted_at", "lift_note"]

    def get_active(self, obj) -> bool:
        return obj.lifted_at is None


class SummonsSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="name", queryset=Unit.objects.all())
    assignments = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Assignment.objects.all(), required=False
    )

    class Meta:
        model = Summons
        fields = ["id", "unit", "held_on", "attendees", "reason", "requirements", "assignments", "created_at"]
        read_only_fields = ["created_at"]


class CaseSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="name", queryset=Unit.objects.all())
    assignment = serializers.PrimaryKeyRelatedField(
        queryset=Assignment.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = AccountabilityCase
        fields = [
            "id",
            "unit",
            "assignment",
            "persons",
            "summary",
            "referred_to",
            "referred_on",
            "status",
            "conclusion",
            "updated_at",
        ]
        read_only_fields = ["status", "conclusion", "updated_at"]


class CaseUpdateSerializer(serializers.Serializer):
    status = serializers.CharField()
    conclusion = serializers.CharField(required=False, allow_blank=True, default="")


class LiftSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class LeaderItemSerializer(serializers.ModelSerializer):
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all())
    task_number = serializers.IntegerField(source="task.number", read_only=True)

    class Meta:
        model = LeaderLedItem
        fields = ["id", "task", "task_number", "leader_name", "leader_title", "note", "created_at"]
        read_only_fields = ["created_at"]


class CreateListViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Reads are unit-scoped; a create validates with the serializer, then calls ``perform``."""

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.perform(serializer.validated_data)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)


class ListedSupervisionViewSet(CreateListViewSet):
    serializer_class = ListedSupervisionSerializer
    filterset_class = ListedSupervisionFilterSet

    def get_queryset(self):
        return ListedSupervision.objects.visible_to(self.request.user).select_related(
            "assignment__task", "assignment__unit"
        )

    def perform(self, data):
        return services.list_assignment(
            data["assignment"], actor=self.request.user, reason=data["reason"], deadline=data["deadline"]
        )

    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        listing = self.get_object()
        body = LiftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        listing = services.lift_listing(listing.pk, actor=request.user, note=body.validated_data["note"])
        return Response(self.get_serializer(listing).data)


class SummonsViewSet(CreateListViewSet):
    serializer_class = SummonsSerializer

    def get_queryset(self):
        return (
            Summons.objects.visible_to(self.request.user)
            .select_related("unit")
            .prefetch_related("assignments")
        )

    def perform(self, data):
        return services.record_summons(
            actor=self.request.user,
            unit=data["unit"],
            held_on=data["held_on"],
            attendees=data["attendees"],
            reason=data["reason"],
            requirements=data.get("requirements", ""),
            assignments=data.get("assignments", []),
        )


class CaseViewSet(CreateListViewSet):
    serializer_class = CaseSerializer

    def get_queryset(self):
        return AccountabilityCase.objects.visible_to(self.request.user).select_related("unit")

    def perform(self, data):
        return services.refer_case(
            actor=self.request.user,
            unit=data["unit"],
            persons=data["persons"],
            summary=data["summary"],
            referred_on=data["referred_on"],
            referred_to=data.get("referred_to") or "省纪委监委",
            assignment=data.get("assignment"),
        )

    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        case = self.get_object()
        body = CaseUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = services.update_case(case.pk, actor=request.user, **body.validated_data)
        return Response(self.get_serializer(case).data)


class LeaderItemViewSet(CreateListViewSet):
    serializer_class = LeaderItemSerializer
    queryset = LeaderLedItem.objects.select_related("task")

    def perform(self, data):
        return services.add_leader_item(
            actor=self.request.user,
            task=data["task"],
            leader_name=data["leader_name"],
            leader_title=data.get("leader_title", ""),
            note=data.get("note", ""),
        )
