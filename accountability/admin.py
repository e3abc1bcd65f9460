"""The accountability records in the admin: read-only (written through the services, audited), scoped by unit."""

from django.contrib import admin

from accountability.models import AccountabilityCase, LeaderLedItem, ListedSupervision, Summons
from tasks.admin.access import ReadOnlyAdmin


@admin.register(ListedSupervision)
class ListedSupervisionAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "deadline", "listed_by", "listed_at", "lifted_at"]
    list_filter = ["lifted_at"]
    list_select_related = ["assignment__task", "assignment__unit", "listed_by"]


@admin.register(Summons)
class SummonsAdmin(ReadOnlyAdmin):
    unit_path = "unit"
    list_display = ["unit", "held_on", "attendees", "created_by"]
    list_filter = [("unit", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["unit", "created_by"]


@admin.register(AccountabilityCase)
class AccountabilityCaseAdmin(ReadOnlyAdmin):
    unit_path = "unit"
    list_display = ["unit", "persons", "referred_to", "referred_on", "status"]
    list_filter = ["status"]
    list_select_related = ["unit"]


@admin.register(LeaderLedItem)
class LeaderLedItemAdmin(ReadOnlyAdmin):
    unit_path = None  # a task's leader, not a unit's record
    list_display = ["task", "leader_name", "leader_title"]
    list_select_related = ["task"]
