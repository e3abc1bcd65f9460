"""REST endpoints: the caller's own inbox, and the monthly bulletins.

- ``GET /api/notifications/`` the caller's own messages, newest first, paginated;
  ``?unread=true`` only unread (``false``: only read). ``POST /api/notifications/<id>/read/``
  marks one read; anyone else's is a 404.
- ``GET /api/bulletins/`` and ``/api/bulletins/<month>/``: office, leaders and admins
  see drafts too, everyone else only published bulletins. ``…/<month>/xlsx/`` the
  workbook. ``POST /api/bulletins/<month>/publish/``: the office publishes a draft.
- ``GET /api/handovers/`` what was handed to the caller's unit to acknowledge (签收: new
  assignments, instructions, reopenings; the office and leaders see every unit's), ``?open=true``
  only those not acknowledged. ``POST /api/handovers/<id>/acknowledge/``: the unit's liaison or
  leader signs (another unit's: 404; twice: 400).
- ``GET /api/instructions/`` the 领导批示 the caller may read, newest first, with their replies (a
  unit's people: those concerning their unit, and their own unit's replies; others: all),
  ``?task=<id>``, ``?assignment=<id>``; ``/api/instructions/<id>/`` one (another unit's: 404).
  ``POST /api/instructions/`` ``{"text", "task" | "assignment"}``: a leader or the office writes
  a 领导批示; ``POST /api/instructions/<id>/reply/`` ``{"text"}``: a unit concerned replies.
"""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dispatch import handovers, instructions
from dispatch.bulletin import audit_code, publish_bulletin
from dispatch.filtersets import NotificationFilterSet
from dispatch.models import Bulletin, BulletinStatus, Handover, Instruction, InstructionReply, Notification
from reports.bulletin_xlsx import build_bulletin_workbook
from tasks import clock
from tasks.models import Assignment, Task
from tasks.policy import OVERSIGHT, role_of
from tasks.services.errors import InvalidInput, NotFound
from tasks.weeks import today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "period",
            "subject",
            "body",
            "link",
            "created_at",
            "read_at",
            "unread",
        ]
        read_only_fields = fields

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    queryset = Notification.objects.none()  # the schema's type for <id>; get_queryset scopes to the caller

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = self.get_object()
        if note.read_at is None:
            note.read_at = clock.now()
            Notification.objects.filter(pk=note.pk, read_at=None).update(read_at=note.read_at)
        return Response(self.get_serializer(note).data)


class BulletinListSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    totals = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = ["month", "status", "status_label", "created_at", "published_at", "totals"]
        read_only_fields = fields

    def get_totals(self, obj) -> dict:
        return (obj.data or {}).get("totals", {})


class BulletinSerializer(BulletinListSerializer):
    published_by = serializers.CharField(source="published_by.username", default=None, read_only=True)

    class Meta(BulletinListSerializer.Meta):
        fields = [*BulletinListSerializer.Meta.fields, "published_by", "data", "html"]
        read_only_fields = fields


class BulletinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "month"
    lookup_value_regex = r"\d{4}-\d{2}"

    def get_serializer_class(self):
        return BulletinListSerializer if self.action == "list" else BulletinSerializer

    def get_queryset(self):
        queryset = Bulletin.objects.select_related("published_by").order_by("-month")
        if role_of(self.request.user) not in OVERSIGHT:
            queryset = queryset.filter(status=BulletinStatus.PUBLISHED)
        return queryset

    @action(detail=True, methods=["post"])
    def publish(self, request, month=None):
        bulletin = publish_bulletin(self.get_object(), request.user)
        return Response(BulletinSerializer(bulletin).data)

    @action(detail=True, methods=["get"])
    def xlsx(self, request, month=None):
        bulletin = self.get_object()
        response = HttpResponse(build_bulletin_workbook(bulletin, audit_code(bulletin)), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="bulletin-{bulletin.month}.xlsx"'
        return response


class HandoverSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    unit = serializers.CharField(source="unit.name", read_only=True)
    task_number = serializers.IntegerField(source="assignment.task.number", read_only=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", default=None, allow_null=True, read_only=True
    )
    overdue = serializers.SerializerMethodField()
    hours_taken = serializers.SerializerMethodField()

    class Meta:
        model = Handover
        fields = [
            "id",
            "kind",
            "kind_label",
            "unit",
            "assignment",
            "task_number",
            "instruction",
            "handed_at",
            "acknowledged_at",
            "acknowledged_by",
            "overdue",
            "hours_taken",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return handovers.is_overdue(obj, self.context["today"])

    def get_hours_taken(self, obj) -> float | None:
        hours = handovers.hours_taken(obj)
        return round(hours, 1) if hours is not None else None


class HandoverViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HandoverSerializer
    queryset = Handover.objects.none()  # the schema's type for <id>; get_queryset scopes to the caller

    def get_queryset(self):
        queryset = Handover.objects.filter(assignment__in=Assignment.objects.visible_to(self.request.user))
        flag = self.request.query_params.get("open")
        if flag in ("true", "false"):
            queryset = queryset.filter(acknowledged_at__isnull=flag == "true")
        elif flag is not None:
            raise InvalidInput("open 只能为 true 或 false", field="open")
        return queryset.select_related("unit", "assignment__task", "acknowledged_by").order_by(
            "handed_at", "pk"
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": today()}

    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        item = handovers.acknowledge(_id(pk), actor=request.user)
        item = self.get_queryset().get(pk=item.pk)
        return Response(self.get_serializer(item).data)


def _id(value) -> int:
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise NotFound("对象不存在")
    return int(value)


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=1000, error_messages={"required": "请填写回复内容", "blank": "请填写回复内容"}
    )


class InstructionReplySerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.name", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = InstructionReply
        fields = ["id", "unit", "author", "text", "created_at"]
        read_only_fields = fields


class InstructionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    text = serializers.CharField(
        max_length=1000, error_messages={"required": "请填写批示内容", "blank": "请填写批示内容"}
    )
    task = serializers.IntegerField(source="task_id", required=False)
    assignment = serializers.IntegerField(source="assignment_id", required=False, allow_null=True)

    unit = serializers.CharField(source="assignment.unit.name", read_only=True, default=None, allow_null=True)
    replies = InstructionReplySerializer(many=True, read_only=True)

    class Meta:
        model = Instruction
        fields = ["id", "author", "text", "task", "assignment", "unit", "created_at", "replies"]
        read_only_fields = ["id", "author", "unit", "created_at", "replies"]


def _id_param(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise InvalidInput(f"{name} 应为编号（正整数）", field=name)
    return int(value)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("task", int, description="只看该整改任务的批示"),
            OpenApiParameter("assignment", int, description="只看该台账的批示"),
        ]
    )
)
class InstructionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InstructionSerializer
    queryset = Instruction.objects.none()  # the schema's type for <id>; get_queryset scopes to the caller

    def get_queryset(self):
        queryset = instructions.visible_to(self.request.user)
        task, row = _id_param(self.request, "task"), _id_param(self.request, "assignment")
        if task is not None:
            queryset = queryset.filter(task_id=task)
        if row is not None:
            queryset = queryset.filter(assignment_id=row)
        return queryset

    def create(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("assignment_id"):
            row = (
                Assignment.objects.visible_to(request.user)
                .select_related("task__plan", "unit")
                .filter(pk=values["assignment_id"])
                .first()
            )
            if row is None:
                raise NotFound("台账不存在或无权查看")
            item = instructions.issue(actor=request.user, text=values["text"], assignment=row)
        elif values.get("task_id"):
            task = Task.objects.filter(pk=values["task_id"]).first()
            if task is None:
                raise NotFound("整改任务不存在")
            item = instructions.issue(actor=request.user, text=values["text"], task=task)
        else:
            raise InvalidInput("请指定批示的任务（task）或台账（assignment）", field="task")
        return Response(self.get_serializer(item).data, status=201)

    @action(detail=True, methods=["post"], serializer_class=ReplySerializer)
    def reply(self, request, pk=None):
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = instructions.reply(_id(pk), actor=request.user, text=data.validated_data["text"])
        return Response({"id": item.pk, "instruction": item.instruction_id, "text": item.text}, status=201)
