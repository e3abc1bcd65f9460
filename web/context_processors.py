"""What the navigation shows on every page: how many items wait for this user.

``waiting`` is lazy: a page that does not show the navigation (an error page, a download)
runs no query for it; one that does runs one, whatever the ledger's size (compiled once per
connection for the user: ``tasks.models.compiled``), with a scalar subquery per count: unread messages, sign-offs waiting for this user's check (unit leaders:
the first check of their unit's requests; the office: the second check), and extension
requests waiting for the office's decision, and for a unit's liaisons and leaders the
assignments with an urge (催办) not answered yet and the handovers to acknowledge (签收). Each count links to its list (base.html).
"""

from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Subquery, Value

from dispatch.models import Handover, Notification, Urge
from tasks.models import Assignment, Extension
from tasks.models.compiled import statement
from tasks.policy import ROLES, UNIT, UNIT_LEADER, check_stage, extension_stage, role_of, unit_id_of


def _count(queryset):
    """``(SELECT COUNT(id) FROM … WHERE …)``: a count as a column of another query."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


COUNTS = ("unread", "checks", "decisions", "urged", "to_acknowledge")


class Waiting:
    def __init__(self, user):
        self.user = user

    @cached_property
    def counts(self) -> dict:
        role = role_of(self.user)
        # The same statement for the same user, role and unit on every page: compiled once per connection.
        key = ("waiting", self.user.pk, role, unit_id_of(self.user))
        rows = statement(key, lambda _: self._query(role), []).run([])
        return rows[0] if rows else dict.fromkeys(COUNTS, 0)

    def _query(self, role):
        deciders = ROLES["decide_extension"][0]
        stage = check_stage(role)  # the check they make
        columns = {
            "unread": _count(Notification.objects.filter(user_id=self.user.pk, read_at__isnull=True)),
            "checks": _count(Assignment.objects.visible_to(self.user).filter(status=stage))
            if role in UNIT_LEADER or role in deciders
            else Value(0),
            # the extension requests at this user's stage: the unit leader's first, then the office's
            "decisions": _count(
                Extension.objects.filter(
                    status=extension_stage(role), assignment__in=Assignment.objects.visible_to(self.user)
                )
            )
            if role in deciders
            else Value(0),
            "urged": _count(
                Assignment.objects.visible_to(self.user).filter(
                    Exists(Urge.objects.filter(assignment=OuterRef("pk"), answered_at=None))
                )
            )
            if role in UNIT
            else Value(0),
            # 签收: what was handed to the unit (new rows, 批示, reopenings) and is not acknowledged yet
            "to_acknowledge": _count(
                Handover.objects.filter(unit_id=unit_id_of(self.user), acknowledged_at=None)
            )
            if role in UNIT
            else Value(0),
        }
        return get_user_model().objects.filter(pk=self.user.pk).values(**columns)[:1]

    @property
    def unread(self) -> int:
        return self.counts["unread"]

    @property
    def checks(self) -> int:
        return self.counts["checks"]

    @property
    def decisions(self) -> int:
        return self.counts["decisions"]

    @property
    def urged(self) -> int:
        """The unit's assignments with an urge not answered yet (a report or a 签收 answers it)."""
        return self.counts["urged"]

    @property
    def to_acknowledge(self) -> int:
        """The unit's handovers (new assignments, instructions, reopenings) not acknowledged yet."""
        return self.counts["to_acknowledge"]


def waiting(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"waiting": Waiting(user)}
