"""Changes to people and their rights, audited wherever they are made.

Users, groups, group membership, permissions, the staff and superuser flags and passwords are
Django's own models, changed by ``accounts``, ``add_user``, the admin's user and group forms,
``changepassword`` and the shell alike; these receivers write each change to the audit chain,
naming the signed-in user of the request (``audit.current_actor``) or nobody (a command).
Password hashes are never written: only that the password changed.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from tasks.services import audit

USER_FIELDS = ["username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser"]


def _user_snapshot(user) -> dict:
    return {"id": user.pk, **{field: getattr(user, field) for field in USER_FIELDS}}


def _record(**kwargs):
    with transaction.atomic():
        audit.record(actor=audit.current_actor(), **kwargs)


def _user_before(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        instance._audit_skip = True  # signing in is not a change of the account
        return
    instance._audit_skip = False
    stored = sender._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = (_user_snapshot(stored), stored.password) if stored else (None, None)


def _user_after(sender, instance, created, **kwargs):
    if getattr(instance, "_audit_skip", True):
        return
    before, old_password = instance._audit_before
    after = _user_snapshot(instance)
    password_changed = not created and old_password != instance.password
    if before == after and not password_changed:
        return
    notes = []
    if password_changed:
        notes.append("修改了密码")
    if before and before["is_superuser"] != after["is_superuser"]:
        notes.append("授予超级用户" if after["is_superuser"] else "撤销超级用户")
    _record(
        action="add_user" if created else "change_user",
        instance=instance,
        before=before,
        after={**after, "password_changed": True} if password_changed else after,
        note="；".join(notes),
    )


def _user_deleted(sender, instance, **kwargs):
    _record(action="delete_user", instance=instance, before=_user_snapshot(instance), after=None)


def _relations():
    """through model -> (owner's attribute, the name listed, the entry's action, owner field, other field)."""
    User = get_user_model()
    return {
        User.groups.through: ("groups", "name", "change_user_groups", "user", "group"),
        User.user_permissions.through: (
            "user_permissions",
            "codename",
            "change_user_permissions",
            "user",
            "permission",
        ),
        Group.permissions.through: (
            "permissions",
            "codename",
            "change_group_permissions",
            "group",
            "permission",
        ),
    }


def _relation(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Groups of a user, permissions of a user or group: the list before on ``pre_*``, the entry on ``post_*``."""
    relations = _relations()
    if sender not in relations or action not in {
        "pre_add",
        "pre_remove",
        "pre_clear",
        "post_add",
        "post_remove",
        "post_clear",
    }:
        return
    attribute, field, name, owner_field, other_field = relations[sender]
    stash = instance.__dict__.setdefault("_audit_relations", {})
    if not reverse:
        owners = [instance]
    elif pk_set is not None:
        owners = list(model._default_manager.filter(pk__in=pk_set))
    else:  # group.user_set.clear(): the owners are whoever was related before
        if action == "pre_clear":
            stash["clear"] = list(
                sender.objects.filter(**{other_field: instance.pk}).values_list(
                    f"{owner_field}_id", flat=True
                )
            )
        owner_model = sender._meta.get_field(owner_field).related_model
        owners = list(owner_model._default_manager.filter(pk__in=stash.get("clear", [])))
    for owner in owners:
        current = sorted(getattr(owner, attribute).values_list(field, flat=True))
        if action.startswith("pre_"):
            stash[(attribute, owner.pk)] = current
            continue
        before = stash.pop((attribute, owner.pk), None)
        if before != current:
            _record(
                action=name,
                instance=owner,
                before={"id": owner.pk, attribute: before},
                after={"id": owner.pk, attribute: current},
            )


def _group_before(sender, instance, **kwargs):
    stored = sender._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = {"id": stored.pk, "name": stored.name} if stored else None


def _group_saved(sender, instance, created, **kwargs):
    after = {"id": instance.pk, "name": instance.name}
    before = getattr(instance, "_audit_before", None)
    if before != after:
        _record(
            action="add_group" if created else "change_group", instance=instance, before=before, after=after
        )


def _group_deleting(sender, instance, **kwargs):
    instance._audit_members = sorted(instance.user_set.values_list("username", flat=True))


def _group_deleted(sender, instance, **kwargs):
    _record(
        action="delete_group",
        instance=instance,
        before={"id": instance.pk, "name": instance.name, "members": getattr(instance, "_audit_members", [])},
        after=None,
    )


def connect():
    User = get_user_model()
    pre_save.connect(_user_before, sender=User, dispatch_uid="audit_user_before")
    post_save.connect(_user_after, sender=User, dispatch_uid="audit_user_after")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="audit_user_deleted")
    m2m_changed.connect(_relation, dispatch_uid="audit_relations")
    pre_save.connect(_group_before, sender=Group, dispatch_uid="audit_group_before")
    post_save.connect(_group_saved, sender=Group, dispatch_uid="audit_group_saved")
    pre_delete.connect(_group_deleting, sender=Group, dispatch_uid="audit_group_deleting")
    post_delete.connect(_group_deleted, sender=Group, dispatch_uid="audit_group_deleted")
