"""The task list (``/api/tasks/``) read lean: the page's tasks as values, their measures, cooperating
units and officials as values grouped by task, then the JSON of ``serializers.TaskListSerializer``
(which the schema documents and ``tests/test_api_tasks.py`` holds this module to) built in Python.

Through model instances and their prefetches, Django built a queryset per task and per related list
to hold each prefetched list, then the serializer walked a field object per value: more than the
database spent answering. The queries are the same in number (the page, then one per related list).
"""

from django.urls import reverse

from tasks.choices import TaskStatus
from tasks.models import Measure, Task

FIELDS = (
    "id",
    "plan",
    "number",
    "category__number",
    "category__title",
    "problem",
    "goal",
    "officials_text",
    "deadline_text",
    "due_date",
    "deadline_kind",
    "status",
    "responsible_count",
)


def _grouped(rows) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for task_id, item in rows:
        grouped.setdefault(task_id, []).append(item)
    return grouped


def related(ids: list[int]) -> tuple[dict, dict, dict]:
    """The page's measures, cooperating units and officials per task id, in their models' orders
    (measures by number, units by kind and name, officials by their unit's name and their name)."""
    measures = Measure.objects.filter(task_id__in=ids).order_by("task_id", "number")
    units = (
        Task.cooperating_units.through.objects.filter(task_id__in=ids)
        .order_by("unit__kind", "unit__name")
        .values_list("task_id", "unit_id", "unit__name", "unit__kind")
    )
    officials = (
        Task.officials.through.objects.filter(task_id__in=ids)
        .order_by("official__unit__name", "official__name")
        .values_list("task_id", "official__name", "official__unit__name")
    )
    return (
        _grouped(
            (t, {"number": n, "text": text, "milestones": m})
            for t, n, text, m in measures.values_list("task_id", "number", "text", "milestones")
        ),
        _grouped((t, {"id": pk, "name": name, "kind": kind}) for t, pk, name, kind in units),
        _grouped((t, {"name": name, "unit": unit}) for t, name, unit in officials),
    )


def list_rows(tasks: list[dict], counts: dict[int, dict[str, int]], request) -> list[dict]:
    """``tasks`` (``FIELDS`` of a page, in its order) as ``TaskListSerializer`` renders them;
    ``counts``: task id → status → the caller's visible rows."""
    ids = [task["id"] for task in tasks]
    measures, units, officials = related(ids)
    out = []
    for task in tasks:
        pk = task["id"]
        by_status = counts.get(pk, {})
        due = task["due_date"]
        out.append(
            {
                "id": pk,
                "plan": task["plan"],
                "number": task["number"],
                "category": {"number": task["category__number"], "title": task["category__title"]},
                "problem": task["problem"],
                "goal": task["goal"],
                "measures": measures.get(pk, []),
                "cooperating_units": units.get(pk, []),
                "officials": officials.get(pk, []),
                "officials_text": task["officials_text"],
                "deadline_text": task["deadline_text"],
                "due_date": due.isoformat() if due else None,
                "deadline_kind": task["deadline_kind"],
                "status": task["status"],
                "status_label": TaskStatus(task["status"]).label,
                "responsible_count": task["responsible_count"],
                "assignment_counts": {"total": sum(by_status.values()), "by_status": by_status},
                "assignments_url": request.build_absolute_uri(reverse("task-assignments", args=[pk])),
            }
        )
    return out
