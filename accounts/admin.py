"""API tokens in the admin: the office reads who holds which (by prefix), never a key or its hash."""

from django.contrib import admin

from accounts.models import ApiToken
from tasks.admin.access import ReadOnlyAdmin
from tasks.policy import OFFICE


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    readers = OFFICE
    unit_path = None
    list_display = [
        "prefix",
        "user",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_reason",
    ]
    list_filter = ["revoked_reason"]
    search_fields = ["user__username", "prefix"]
    list_select_related = ["user"]
    fields = ["prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_reason"]
    readonly_fields = fields
