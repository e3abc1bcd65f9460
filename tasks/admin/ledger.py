"""Read-only admins of the ledger records (the sign-off request and its queue are in ``signoff.py``)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from tasks.admin.access import LedgerAdmin, ReadOnlyAdmin
from tasks.models import (
    Assignment,
    AuditEntry,
    Evidence,
    Extension,
    Membership,
    ProgressReport,
    Review,
)
from tasks.services import accounts


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    """Status, dates and percent change only through the services (reports, checks, extensions)."""

    unit_path = "unit"
    list_display = [
        "task",
        "unit",
        "status",
        "percent",
        "due_date",
        "extended_due_date",
        "last_report_week_start",
        "signed_off_at",
    ]
    list_filter = [
        "status",
        "task__category",
        "task__deadline_kind",
        "unit__kind",
        ("unit", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["task__problem", "unit__name"]
    list_select_related = ["task", "unit"]
    readonly_fields = [
        "task",
        "unit",
        "status",
        "version",
        "percent",
        "last_report_week_start",
        "signed_off_at",
        "phase",
        "extended_due_date",
        "next_review_date",
        "due_date",
    ]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "week", "percent", "author", "created_at"]
    list_filter = ["week", "assignment__task__category"]
    search_fields = ["text", "assignment__unit__name"]
    list_select_related = ["assignment__task", "assignment__unit", "author"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "assignment", "size", "content_type", "uploaded_by", "uploaded_at"]
    list_select_related = ["assignment__task", "assignment__unit", "uploaded_by"]
    fields = [
        "download",
        "assignment",
        "report",
        "signoff",
        "size",
        "content_type",
        "uploaded_by",
        "uploaded_at",
    ]
    readonly_fields = fields

    @admin.display(description="文件")
    def download(self, obj):
        """Media is not served; the file goes through the page that checks who may see it."""
        return format_html('<a href="{}">{}</a>', reverse("evidence", args=[obj.pk]), obj.original_name)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "scheduled_for", "outcome", "decided_by", "decided_at"]
    list_filter = ["outcome"]
    list_select_related = ["assignment__task", "assignment__unit", "decided_by"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "new_due_date", "status", "requested_by", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["assignment__task", "assignment__unit", "requested_by", "decided_by"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor", "action", "model", "object_id", "assignment"]
    list_filter = ["action", "model"]
    search_fields = ["object_id", "note"]
    list_select_related = ["actor", "assignment__task", "assignment__unit"]
    readonly_fields = [
        "at",
        "actor",
        "action",
        "model",
        "object_id",
        "assignment",
        "before",
        "after",
        "note",
        "prev_hash",
        "hash",
    ]


@admin.register(Membership)
class MembershipAdmin(LedgerAdmin):
    unit_path = "unit"

    list_display = ["user", "role", "unit"]
    list_filter = ["role", ("unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["unit"]

    def save_model(self, request, obj, form, change):
        """A role changed here moves the staff flags and the group with it, and is audited."""
        accounts.set_role(obj.user, role=obj.role, unit=obj.unit, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False
