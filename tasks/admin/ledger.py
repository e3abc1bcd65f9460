from django.contrib import admin

from tasks.models import (
    Assignment,
    AuditEntry,
    Evidence,
    Extension,
    Membership,
    ProgressReport,
    Review,
    SignOffRequest,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only through the ledger services: viewable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["task", "unit", "status", "percent", "due_date", "extended_due_date", "last_report_week_start", "signed_off_at"]
    list_filter = ["status", "task__category", "task__deadline_kind", "unit__kind", ("unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["task__problem", "unit__name"]
    list_select_related = ["task", "unit"]
    readonly_fields = ["task", "unit", "status", "version", "percent", "last_report_week_start", "signed_off_at",
                       "phase", "extended_due_date", "next_review_date", "due_date"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "week", "percent", "author", "created_at"]
    list_filter = ["week", "assignment__task__category"]
    search_fields = ["text", "assignment__unit__name"]
    list_select_related = ["assignment__task", "assignment__unit", "author"]


@admin.register(SignOffRequest)
class SignOffRequestAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "status", "requested_by", "requested_at", "unit_checked_by", "office_checked_by"]
    list_filter = ["status"]
    list_select_related = ["assignment__task", "assignment__unit", "requested_by", "unit_checked_by", "office_checked_by"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "assignment", "size", "content_type", "uploaded_by", "uploaded_at"]
    list_select_related = ["assignment__task", "assignment__unit", "uploaded_by"]


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
    readonly_fields = ["at", "actor", "action", "model", "object_id", "assignment", "before", "after", "note", "prev_hash", "hash"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit"]
    list_filter = ["role", ("unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["unit"]
