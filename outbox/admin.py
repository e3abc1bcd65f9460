"""Outbox messages in the admin: read-only, with the office's resend for one not done.

The app knows no roles: ``OutboxMessageAdmin`` is registered by an app that does
(``dispatch/admin.py``), which says who may read it.
"""

from django.contrib import admin, messages

from outbox import services
from outbox.models import OutboxMessage


class StateFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", "待交付队列"), ("failed", "有错误未完成"), ("open", "未完成"), ("done", "已完成")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "pending":
            return queryset.filter(sent_at=None, done_at=None)
        if value == "failed":
            return queryset.filter(done_at=None).exclude(last_error="")
        if value == "open":
            return queryset.filter(done_at=None)
        if value == "done":
            return queryset.exclude(done_at=None)
        return queryset


class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "task",
        "args",
        "state",
        "attempts",
        "created_at",
        "sent_at",
        "done_at",
        "last_error",
    ]
    list_filter = [StateFilter, "task"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["resend"]

    @admin.display(description="状态")
    def state(self, obj):
        return obj.state

    @admin.action(description="重新交付所选未完成任务")
    def resend(self, request, queryset):
        count = services.resend(queryset.filter(done_at=None).values_list("pk", flat=True))
        self.message_user(request, f"已重新交付 {count} 项任务", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
