"""Every token of a user is revoked when what it stood for changes, wherever the change is made.

Passwords, the active, staff and superuser flags (the user form of the admin, the password pages,
``add_user``, ``changepassword``, a shell), the ledger role and unit (``tasks.Membership``), the
groups, and signing out (the page, the admin). Each revocation is audited (``accounts.tokens``),
naming the request's signed-in user or nobody (a command).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from accounts import tokens
from accounts.models import RevokeReason
from tasks.models import Membership
from tasks.services import audit

WATCHED = ("password", "is_active", "is_staff", "is_superuser")


def _revoke(user, reason):
    with transaction.atomic():
        tokens.revoke_all(user, actor=audit.current_actor(), reason=reason)


def _user_before(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(WATCHED)):
        instance._token_before = None  # a new user, or a save of other fields (last_login)
        return
    instance._token_before = sender._default_manager.filter(pk=instance.pk).values(*WATCHED).first()


def _user_after(sender, instance, created, **kwargs):
    before = getattr(instance, "_token_before", None)
    if created or before is None:
        return
    if before["password"] != instance.password:
        _revoke(instance, RevokeReason.PASSWORD)
    elif before["is_active"] and not instance.is_active:
        _revoke(instance, RevokeReason.DEACTIVATED)
    elif (before["is_staff"], before["is_superuser"]) != (instance.is_staff, instance.is_superuser):
        _revoke(instance, RevokeReason.ROLE)


def _membership_before(sender, instance, **kwargs):
    stored = (
        sender._default_manager.filter(pk=instance.pk).values("role", "unit_id").first()
        if instance.pk
        else None
    )
    instance._token_before = stored


def _membership_after(sender, instance, created, **kwargs):
    if getattr(instance, "_token_before", None) != {"role": instance.role, "unit_id": instance.unit_id}:
        _revoke(instance.user_id, RevokeReason.ROLE)


def _membership_deleted(sender, instance, **kwargs):
    _revoke(instance.user_id, RevokeReason.ROLE)


def _groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear") or (action != "pre_clear" and not pk_set):
        return
    User = get_user_model()
    if not reverse:
        users = [instance]
    elif action == "pre_clear":
        users = list(instance.user_set.all())
    else:
        users = list(User._default_manager.filter(pk__in=pk_set))
    for user in users:
        _revoke(user, RevokeReason.ROLE)


def _logged_out(sender, request, user, **kwargs):
    if user is not None and user.pk is not None:
        with transaction.atomic():
            tokens.revoke_all(user, actor=user, reason=RevokeReason.LOGOUT)


def connect():
    User = get_user_model()
    pre_save.connect(_user_before, sender=User, dispatch_uid="tokens_user_before")
    post_save.connect(_user_after, sender=User, dispatch_uid="tokens_user_after")
    pre_save.connect(_membership_before, sender=Membership, dispatch_uid="tokens_membership_before")
    post_save.connect(_membership_after, sender=Membership, dispatch_uid="tokens_membership_after")
    post_delete.connect(_membership_deleted, sender=Membership, dispatch_uid="tokens_membership_deleted")
    m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid="tokens_groups")
    user_logged_out.connect(_logged_out, dispatch_uid="tokens_logged_out")
