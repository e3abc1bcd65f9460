"""Who a user is in the ledger: a role and, for unit roles, the unit."""

from django.conf import settings
from django.db import models

from tasks.choices import Role

UNIT_ROLES = (Role.LIAISON, Role.UNIT_LEADER)


class Membership(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name="用户"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "tasks.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name="单位",
    )

    class Meta:
        verbose_name = verbose_name_plural = "用户角色"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in UNIT_ROLES], unit__isnull=False)
                | (~models.Q(role__in=[r.value for r in UNIT_ROLES]) & models.Q(unit__isnull=True)),
                name="membership_unit_matches_role",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}" + (f" · {self.unit}" if self.unit_id else "")


def role_of(user) -> str | None:
    """The user's ledger role, or None for anonymous users and users without one."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.ADMIN
    membership = getattr(user, "membership", None) if _has_membership(user) else None
    return membership.role if membership else None


def unit_id_of(user) -> int | None:
    if not _has_membership(user):
        return None
    return user.membership.unit_id


def _has_membership(user) -> bool:
    try:
        user.membership  # noqa: B018 - the access raises when there is none
    except (Membership.DoesNotExist, AttributeError):
        return False
    return True


def scope_by_unit(queryset, user, unit_field: str = "unit"):
    """The one unit-scoping rule: office, leaders and admins see all; unit roles their unit; others nothing."""
    role = role_of(user)
    if role in (Role.OFFICE, Role.LEADER, Role.ADMIN):
        return queryset
    if role in UNIT_ROLES:
        return queryset.filter(**{f"{unit_field}_id": unit_id_of(user)})
    return queryset.none()
