"""Who may do what in the admin, decided by the ledger role (``role_of``), not by Django permissions.

Office staff, administrators and unit leaders are staff (``accounts.create_user``); liaisons and
leaders are not, so they never reach the admin. Ledger records are read-only here for everyone
and scoped by unit: a unit leader sees their own unit's records only. The one thing a staff user
changes in the admin is a sign-off check, through the sign-off queue and the ledger services.
"""

from django.contrib import admin

from tasks.choices import Role
from tasks.models.people import role_of, scope_by_unit

READER_ROLES = frozenset({Role.OFFICE, Role.ADMIN, Role.LEADER, Role.UNIT_LEADER})
CHECKER_ROLES = frozenset({Role.OFFICE, Role.ADMIN, Role.UNIT_LEADER})


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only through the ledger services: viewable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerRecordAdmin(ReadOnlyAdmin):
    """Read-only ledger records for every staff role, scoped to the user's unit through ``unit_path``."""

    unit_path = "assignment__unit"

    def _reader(self, request) -> bool:
        return role_of(request.user) in READER_ROLES

    def has_module_permission(self, request):
        return self._reader(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._reader(request) or super().has_view_permission(request, obj)

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, self.unit_path)
