"""Who may do what in the admin: one base class, ``LedgerAdmin``, with one access rule for every app.

Reading is decided by the ledger role (``tasks.policy.role_of``), not by Django permissions: a role
in ``readers`` (``tasks.policy.ADMIN_READERS`` unless an admin narrows it) opens the admin's pages,
and its rows are scoped by unit through ``unit_path`` (a unit leader sees their own unit's records
only). Office staff, administrators and unit leaders are staff (``accounts.create_user``); liaisons
and leaders are not, so they never reach the admin. Records written by the services are read-only
here for everyone (``ReadOnlyAdmin``); the plan's records may be edited by administrators, audited
(``AuditedAdmin``). The one thing other staff change in the admin is a sign-off check, through the
sign-off queue and the ledger services, and the office publishes bulletins.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import transaction

from tasks.models.people import scope_by_unit
from tasks.policy import ADMIN_READERS, role_of
from tasks.services import audit


class BoundedChangeList(ChangeList):
    """A date-hierarchy year, month or day out of range (``?created_at__year=9999&created_at__month=12``)
    is a bad lookup, which the admin answers by reloading the list with ``?e=1``, not a 500."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class LedgerAdmin(admin.ModelAdmin):
    """The base of every admin in the project: a role in ``readers`` reads, rows scoped by ``unit_path``.

    ``unit_path`` names the unit a row belongs to (``"unit"``, ``"assignment__unit"``); None for
    records of the plan that belong to no unit. Changing is left to ``ReadOnlyAdmin`` (never) and
    ``AuditedAdmin`` (Django's permissions: administrators).
    """

    readers = ADMIN_READERS
    unit_path: str | None = "assignment__unit"

    def _reader(self, request) -> bool:
        return role_of(request.user) in self.readers

    def has_module_permission(self, request):
        return self._reader(request)

    def has_view_permission(self, request, obj=None):
        return self._reader(request)

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.unit_path is None:
            return queryset
        return scope_by_unit(queryset, request.user, self.unit_path)


class ReadOnlyAdmin(LedgerAdmin):
    """Records written only through the services: viewable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(LedgerAdmin):
    """An editable record whose every admin save and delete is written to the audit chain, before and after.

    The "before" is read from the database when the form is saved; the "after" once the related
    (many-to-many) fields are saved too, so a change of cooperating units shows in the entry.
    Readers read it; adding, changing and deleting follow Django's permissions (administrators).
    """

    unit_path = None

    def has_view_permission(self, request, obj=None):
        return self._reader(request) or self.has_change_permission(request, obj)

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
