"""The ledger list read lean: a page of ids sorted by the database, then that page's rows as values.

``/api/assignments/`` and ``/api/tasks/<id>/assignments/`` answer with the JSON of
``ledger_serializers.AssignmentListSerializer`` (which the schema documents and
``tests/test_api_assignments.py`` holds this module to), built from one ``values()`` query:
the database joins the task, category, plan and unit and reads the latest milestone passed,
the open extension and the pending review of each row (correlated subqueries), so a page
costs three queries (the count, the ids, the rows) whatever its length. The level and its
reason are judged in Python from those values (``levels.judge``, the twin of ``with_level``'s
SQL that ``tests/test_levels.py`` holds to it): the SQL rule is only resolved when a filter or
a sort reads it (``filtersets.with_level_once``), as resolving it costs more per request than
the rows it would judge. What ``allowed_actions`` answers comes from ``tasks.policy.allowed_actions`` on an
unsaved assignment holding the fields the policy reads, asked once per distinct state of
the page's rows, not once per row.
"""

import datetime

from django.db.models import OuterRef, Subquery
from rest_framework.fields import DateTimeField

from tasks.api.ledger_serializers import ENDPOINT_OF_ACTION, summary
from tasks.choices import Level, ReviewOutcome, Status
from tasks.models import Assignment, Extension, Plan, Review, Task
from tasks.models.compiled import values_by_ids
from tasks.models.levels import judgement_of
from tasks.policy import OPEN_EXTENSION, allowed_actions, role_of, unit_id_of
from tasks.weeks import today, week_of

FIELDS = (
    "id",
    "status",
    "version",
    "due_date",
    "extended_due_date",
    "effective_due",
    "phase",
    "percent",
    "last_report_week_start",
    "signed_off_at",
    "next_review_date",
    "milestone",
    "unit_id",
    "unit__name",
    "unit__kind",
    "task_id",
    "task__number",
    "task__category__number",
    "task__problem",
    "task__deadline_kind",
    "task__plan_id",
    "task__plan__closed_at",
    "open_extension",
    "pending_review_for",
)

_datetime = DateTimeField()  # DRF's rendering of a datetime (local time zone, ISO 8601), as the serializer's


def _iso(value):
    return value.isoformat() if value is not None else None


class _Judged:
    """What ``levels.judgement_of`` reads of a row."""

    __slots__ = ("level_day", "status", "effective_due", "last_report_week_start", "percent", "milestone")

    def __init__(self, day, row):
        self.level_day = day
        self.status = row["status"]
        self.effective_due = row["effective_due"]
        self.last_report_week_start = row["last_report_week_start"]
        self.percent = row["percent"]
        self.milestone = row["milestone"]


_ANSWERS: dict[tuple, list[str]] = {}  # ``ActionsOfState``'s answers, shared by the requests of a process
_MAX_ANSWERS = 4096


class ActionsOfState:
    """``allowed_actions`` per distinct state of a row, for one caller.

    The policy reads of the caller their role and unit (``role_of``, ``unit_id_of``), of the day
    ``today()`` (a pending review's date), and of an assignment its status, its unit (only
    compared with the caller's), its effective due date (only whether there is one), its plan's
    ``closed_at``, its open extension request and its pending review: the key holds exactly these,
    and the policy answers on an unsaved ``Assignment`` carrying them (its related lists set as if
    prefetched). The answers are kept for the process (``_ANSWERS``): a later request in the same
    role and state on the same day gets the same answer without asking again.
    """

    def __init__(self, user):
        self.user = user
        self.role = role_of(user)
        self.own_unit = unit_id_of(user)
        self.day = today()

    def __call__(self, row) -> list[str]:
        own = self.own_unit is not None and row["unit_id"] == self.own_unit
        key = (
            self.role,
            own,
            self.day,
            row["status"],
            row["effective_due"] is None,
            row["task__plan__closed_at"] is not None,
            row["open_extension"],
            row["pending_review_for"],
        )
        answer = _ANSWERS.get(key)
        if answer is None:
            if len(_ANSWERS) >= _MAX_ANSWERS:
                _ANSWERS.clear()
            answer = _ANSWERS[key] = self._ask(row, own)
        return answer

    def _ask(self, row, own: bool) -> list[str]:
        plan = Plan(pk=row["task__plan_id"], closed_at=row["task__plan__closed_at"])
        task = Task(pk=row["task_id"], plan=plan)
        assignment = Assignment(
            pk=row["id"],
            task=task,
            unit_id=self.own_unit if own else None,
            status=row["status"],
            due_date=row["effective_due"],
        )
        extensions = [Extension(status=row["open_extension"])] if row["open_extension"] else []
        reviews = (
            [Review(outcome=ReviewOutcome.PENDING, scheduled_for=row["pending_review_for"])]
            if row["pending_review_for"]
            else []
        )
        assignment._prefetched_objects_cache = {"extensions": extensions, "reviews": reviews}
        return [ENDPOINT_OF_ACTION.get(a, a) for a in allowed_actions(self.user, assignment)]


def rows_query(assignments, day: datetime.date):
    """The values of ``assignments`` (already scoped and narrowed to a page) that a list row shows."""
    open_extension = (
        Extension.objects.filter(assignment=OuterRef("pk"), status__in=OPEN_EXTENSION)
        .order_by("-requested_at", "-pk")
        .values("status")[:1]
    )
    pending_review = (
        Review.objects.filter(assignment=OuterRef("pk"), outcome=ReviewOutcome.PENDING)
        .order_by("-scheduled_for", "-pk")
        .values("scheduled_for")[:1]
    )
    return (
        assignments.with_level_inputs(day)
        .annotate(
            open_extension=Subquery(open_extension),
            pending_review_for=Subquery(pending_review),
        )
        .order_by()
        .values(*FIELDS)
    )


def page_rows(user, ids: list[int], day: datetime.date) -> list[dict]:
    """``rows_query`` of the rows of ``ids`` the caller may see, compiled once per connection for the
    caller's scope (what ``scope_by_unit`` reads: the role and the unit), the day and the page's length."""

    def build(placeholders):
        return rows_query(Assignment.objects.visible_to(user).filter(pk__in=placeholders), day)

    return values_by_ids(("ledger_rows", role_of(user), unit_id_of(user), day), build, ids)


def list_rows(user, ids: list[int], day: datetime.date) -> list[dict]:
    """The rows of ``ids`` (a page the caller may see, in its order) as the list serializer renders them."""
    found = {row["id"]: row for row in page_rows(user, ids, day)}
    actions = ActionsOfState(user)
    summaries: dict[int, str] = {}
    out = []
    for pk in ids:
        row = found.get(pk)
        if row is None:  # changed scope between the two reads: left out, as a later read would
            continue
        task_id = row["task_id"]
        if task_id not in summaries:
            summaries[task_id] = summary(row["task__problem"])
        judged = judgement_of(_Judged(day, row))
        signed_off_at = row["signed_off_at"]
        last = row["last_report_week_start"]
        out.append(
            {
                "id": pk,
                "task": {
                    "id": task_id,
                    "number": row["task__number"],
                    "category": row["task__category__number"],
                    "summary": summaries[task_id],
                    "deadline_kind": row["task__deadline_kind"],
                },
                "unit": {"id": row["unit_id"], "name": row["unit__name"], "kind": row["unit__kind"]},
                "status": row["status"],
                "status_label": Status(row["status"]).label,
                "level": judged.level,
                "level_label": Level(judged.level).label,
                "level_reason": judged.reason,
                "version": row["version"],
                "due_date": _iso(row["due_date"]),
                "extended_due_date": _iso(row["extended_due_date"]),
                "effective_due": _iso(row["effective_due"]),
                "phase": row["phase"],
                "percent": row["percent"],
                "last_report_week": week_of(last) if last else None,
                "signed_off_at": _datetime.to_representation(signed_off_at) if signed_off_at else None,
                "next_review_date": _iso(row["next_review_date"]),
                "allowed_actions": actions(row),
            }
        )
    return out
