"""Who may do what in the admin, decided by the ledger role (``role_of``), not by Django permissions.

Office staff, administrators and unit leaders are staff (``accounts.create_user``); liaisons and
leaders are not, so they never reach the admin. Ledger records are read-only here for everyone
and scoped by unit: a unit leader sees their own unit's records only. The one thing a staff user
changes in the admin is a sign-off check, through the sign-off queue and the ledger services.
"""

from django.contrib import admin
from django.db import transaction

from tasks.models.people import scope_by_unit
from tasks.policy import ADMIN_READERS, role_of
from tasks.services import audit


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
        return role_of(request.user) in ADMIN_READERS

    def has_module_permission(self, request):
        return self._reader(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._reader(request) or super().has_view_permission(request, obj)

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, self.unit_path)


class AuditedAdmin(admin.ModelAdmin):
    """An editable record whose every admin save and delete is written to the audit chain, before and after.

    The "before" is read from the database when the form is saved; the "after" once the related
    (many-to-many) fields are saved too, so a change of cooperating units shows in the entry.
    """

    def save_model(self, request, obj, form, change):
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        request._audit_before = audit.snapshot(stored) if stored is not None else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_audit_before", None)
        after = audit.snapshot(obj)
        if before != after:
            audit.record(
                actor=request.user,
                action="admin_change" if change else "admin_add",
                instance=obj,
                before=before,
                after=after,
            )

    def save_formset(self, request, form, formset, change):
        """Inline rows (a task's measures) are audited one entry per row added, changed or deleted."""
        stored_pks = [f.instance.pk for f in formset.forms if f.instance.pk]
        befores = {o.pk: audit.snapshot(o) for o in formset.model._default_manager.filter(pk__in=stored_pks)}
        for deleted in formset.deleted_forms:  # recorded while the row still has its id
            if deleted.instance.pk in befores:
                audit.record(
                    actor=request.user,
                    action="admin_delete",
                    instance=deleted.instance,
                    before=befores[deleted.instance.pk],
                    after=None,
                )
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit.record(
                actor=request.user, action="admin_add", instance=obj, before=None, after=audit.snapshot(obj)
            )
        for obj, _fields in formset.changed_objects:
            after = audit.snapshot(obj)
            if befores.get(obj.pk) != after:  # a form may report a change that leaves the row as it was
                audit.record(
                    actor=request.user,
                    action="admin_change",
                    instance=obj,
                    before=befores.get(obj.pk),
                    after=after,
                )

    def delete_model(self, request, obj):
        before = audit.snapshot(obj)
        with transaction.atomic():
            audit.record(actor=request.user, action="admin_delete", instance=obj, before=before, after=None)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit.record(
                    actor=request.user,
                    action="admin_delete",
                    instance=obj,
                    before=audit.snapshot(obj),
                    after=None,
                )
            super().delete_queryset(request, queryset)
