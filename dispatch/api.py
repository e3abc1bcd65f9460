"""REST endpoints: the caller's own inbox, and the monthly bulletins.

- ``GET /api/notifications/`` the caller's own messages, newest first, paginated;
  ``?unread=true`` only unread (``false``: only read). ``POST /api/notifications/<id>/read/``
  marks one read; anyone else's is a 404.
- ``GET /api/bulletins/`` and ``/api/bulletins/<month>/``: office, leaders and admins
  see drafts too, everyone else only published bulletins. ``…/<month>/xlsx/`` the
  workbook. ``POST /api/bulletins/<month>/publish/``: the office publishes a draft.
"""

from django.http import HttpResponse
from django.utils import timezone
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dispatch.bulletin import audit_code, publish_bulletin
from dispatch.filtersets import NotificationFilterSet
from dispatch.models import Bulletin, BulletinStatus, Notification
from reports.bulletin_xlsx import build_bulletin_workbook
from tasks.policy import OVERSIGHT, role_of

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
            note.read_at = timezone.now()
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
