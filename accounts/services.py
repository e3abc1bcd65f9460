"""Sign-in safety services: the accounts and addresses the lockout holds, and the office's unlock."""

from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from tasks.services import audit
from tasks.services.checks import check_no_nul, require
from tasks.services.errors import InvalidInput, NotFound

KINDS = {"username": "账户", "ip_address": "地址"}


def _recent():
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)


def lockouts() -> list[dict]:
    """Every account and address locked now (failures within the cool-off at or above the limit); 2 queries."""
    locked = []
    for kind in KINDS:
        rows = (
            _recent()
            .exclude(**{f"{kind}__isnull": True})
            .values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
            .order_by("-last")
        )
        locked += [
            {
                "kind": kind,
                "kind_label": KINDS[kind],
                "value": row[kind],
                "failures": row["failures"],
                "last": row["last"],
                "until": row["last"] + settings.AXES_COOLOFF_TIME,
            }
            for row in rows
        ]
    return locked


@transaction.atomic
def unlock(*, actor, kind: str, value: str) -> int:
    """The office lifts the lockout of one account or address (its failed attempts are forgotten), audited."""
    require(actor, "unlock_login")
    if kind not in KINDS:
        raise InvalidInput("请选择解锁账户或地址", field="kind")
    check_no_nul(value, "value", KINDS[kind])
    attempts = list(AccessAttempt.objects.select_for_update().filter(**{kind: value}))
    if not attempts:
        raise NotFound(f"{KINDS[kind]}“{value}”没有失败的登录记录，无需解锁")
    failures = sum(a.failures_since_start for a in attempts)
    audit.record(
        actor=actor,
        action="unlock_login",
        instance=attempts[0],
        before={"kind": kind, "value": value, "failures": failures},
        after=None,
    )
    AccessAttempt.objects.filter(pk__in=[a.pk for a in attempts]).delete()
    return failures
