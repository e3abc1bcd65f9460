"""Who a user is in the ledger: a role and, for unit roles, the unit."""

from django.conf import settings
from django.db import models

from tasks.choices import Role
from tasks.policy import OVERSIGHT, UNIT, role_of, unit_id_of


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
                condition=models.Q(role__in=[r.value for r in sorted(UNIT)], unit__isnull=False)
                | (~models.Q(role__in=[r.value for r in sorted(UNIT)]) & models.Q(unit__isnull=True)),
                name="membership_unit_matches_role",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}" + (f" · {self.unit}" if self.unit_id else "")


def scope_by_unit(queryset, user, unit_field: str = "unit"):
    """The one unit-scoping rule: office, leaders and admins see all; unit roles their unit; others nothing."""
    role = role_of(user)
    if role in OVERSIGHT:
        return queryset
    if role in UNIT:
        return queryset.filter(**{f"{unit_field}_id": unit_id_of(user)})
    return queryset.none()
