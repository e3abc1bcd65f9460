"""The dispatch records in the admin: read-only, scoped by unit; the office publishes bulletins from here.

Office staff and administrators read every message, snapshot and bulletin; a unit
leader reads their own unit's messages and snapshots and the published bulletins.
The one change made here is publishing a draft bulletin, through ``publish_bulletin``.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from dispatch.bulletin import publish_bulletin
from dispatch.models import (
    Bulletin,
    BulletinStatus,
    ChannelSetting,
    DeadlineWarning,
    DeliveryLog,
    Handover,
    Instruction,
    Notification,
    Urge,
)
from outbox.admin import OutboxMessageAdmin
from outbox.models import OutboxMessage
from reports.models import WeeklySnapshot
from tasks.admin.access import ReadOnlyAdmin
from tasks.policy import OFFICE, OVERSIGHT, role_of
from tasks.services.errors import LedgerError


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    unit_path = "unit"
    list_display = ["subject", "kind", "period", "user", "unit", "created_at", "read_at"]
    list_filter = ["kind", "job", "period"]
    search_fields = ["subject", "user__username", "unit__name"]
    list_select_related = ["user", "unit"]
    date_hierarchy = "created_at"


@admin.register(DeliveryLog)
class DeliveryLogAdmin(ReadOnlyAdmin):
    """投递记录: each message on each external channel, its attempts, last error and outcome (the office)."""

    readers = OFFICE
    unit_path = None
    list_display = [
        "subject",
        "channel",
        "address",
        "unit",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "created_at",
    ]
    list_filter = ["status", "channel", "job"]
    search_fields = ["subject", "address", "unit__name"]
    list_select_related = ["unit"]
    date_hierarchy = "created_at"


@admin.register(Urge)
class UrgeAdmin(ReadOnlyAdmin):
    """催办: read here, made on the ledger and assignment pages (audited); a unit leader reads their unit's."""

    list_display = ["assignment", "message", "urged_by", "urged_at", "answer", "answered_at"]
    list_filter = ["answer"]
    search_fields = ["message", "assignment__unit__name"]
    list_select_related = ["assignment__task", "assignment__unit", "urged_by"]
    date_hierarchy = "urged_at"


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    """签收: read here; handed by the events, acknowledged on the desk (audited); a unit leader reads their unit's."""

    unit_path = "unit"
    list_display = ["unit", "kind", "assignment", "handed_at", "acknowledged_at", "acknowledged_by"]
    list_filter = ["kind"]
    search_fields = ["unit__name"]
    list_select_related = ["unit", "assignment__task", "assignment__unit", "acknowledged_by"]


@admin.register(Instruction)
class InstructionAdmin(ReadOnlyAdmin):
    """领导批示: read here, written on the task and assignment pages (audited); the office and leaders read."""

    readers = OVERSIGHT
    unit_path = None
    list_display = ["task", "assignment", "author", "created_at"]
    search_fields = ["text"]
    list_select_related = ["task", "assignment__unit", "author"]


@admin.register(ChannelSetting)
class ChannelSettingAdmin(ReadOnlyAdmin):
    """Each unit's channels; the office changes them on the page /channels/ (audited), never the secret shown."""

    readers = OFFICE
    unit_path = None
    list_display = ["unit", "email", "webhook", "robot_kind", "sms", "updated_at"]
    exclude = ["robot_secret"]
    list_select_related = ["unit"]


@admin.register(WeeklySnapshot)
class WeeklySnapshotAdmin(ReadOnlyAdmin):
    list_display = ["week", "assignment", "status", "level", "percent", "effective_due", "last_report_week"]
    list_filter = ["week", "status", "level"]
    search_fields = ["assignment__unit__name"]
    list_select_related = ["assignment__task", "assignment__unit"]


@admin.register(DeadlineWarning)
class DeadlineWarningAdmin(ReadOnlyAdmin):
    list_display = ["warned_on", "assignment", "key"]
    list_filter = ["warned_on"]
    list_select_related = ["assignment__task", "assignment__unit"]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    unit_path = None  # the province's bulletin; unit leaders read the published ones
    list_display = ["month", "status", "created_at", "published_at", "published_by", "workbook"]
    list_filter = ["status"]
    list_select_related = ["published_by"]
    fields = ["month", "status", "created_at", "published_at", "published_by", "workbook", "body"]
    readonly_fields = fields
    actions = ["publish"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if role_of(request.user) in OVERSIGHT:
            return queryset
        return queryset.filter(status=BulletinStatus.PUBLISHED)

    @admin.display(description="Excel")
    def workbook(self, obj):
        return format_html(
            '<a href="{}">下载月通报 Excel</a>', reverse("bulletin-xlsx", kwargs={"month": obj.month})
        )

    @admin.display(description="正文")
    def body(self, obj):
        return mark_safe(obj.html)  # rendered from dispatch/bulletin.html with autoescaping

    def has_publish_permission(self, request):
        return role_of(request.user) in OFFICE

    @admin.action(description="发布所选月通报", permissions=["publish"])
    def publish(self, request, queryset):
        for bulletin in queryset:
            try:
                publish_bulletin(bulletin, request.user)
            except LedgerError as exc:
                self.message_user(request, f"{bulletin.month}：{exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{bulletin.month} 月通报已发布", messages.SUCCESS)


@admin.register(OutboxMessage)
class OutboxAdmin(OutboxMessageAdmin):
    """Messages waiting for the broker or a worker: the office and administrators see them and resend."""

    def has_module_permission(self, request):
        return role_of(request.user) in OFFICE

    def has_view_permission(self, request, obj=None):
        return role_of(request.user) in OFFICE
