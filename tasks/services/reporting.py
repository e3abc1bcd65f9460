"""On-time reporting (按期报送率): the one definition the dashboard and the monthly bulletin show.

A report is on time unless it is marked 迟报 (``ProgressReport.late``: it was submitted for a week
before last week, see ``tasks.services.ledger.is_late``). A unit's on-time reporting rate over a set
of reports is the share of them that are on time; a unit with no report in the set has no rate
(``None``, shown "—"). Voided reports (``voided_at``) never count.
"""

from django.db.models import Count, Q

from tasks.models import ProgressReport


def reporting_rate(reports: int, late: int):
    """The share of on-time reports (0–1, four decimals), or None without a report."""
    return round((reports - late) / reports, 4) if reports else None


def reporting_by_unit(assignments, *, weeks=None, before=None) -> dict[int, dict]:
    """Per unit id: ``name``, ``reports``, ``late`` and ``rate`` over the reports of ``assignments`` (a queryset
    the caller has scoped), optionally only those for ``weeks`` (ISO week codes) and submitted
    before the moment ``before``. One query."""
    reports = ProgressReport.objects.filter(assignment__in=assignments.values("pk"), voided_at=None)
    if weeks is not None:
        reports = reports.filter(week__in=list(weeks))
    if before is not None:
        reports = reports.filter(created_at__lt=before)
    rows = (
        reports.values("assignment__unit_id", "assignment__unit__name")
        .annotate(reports=Count("id"), late=Count("id", filter=Q(late=True)))
        .order_by()
    )
    return {
        row["assignment__unit_id"]: {
            "name": row["assignment__unit__name"],
            "reports": row["reports"],
            "late": row["late"],
            "rate": reporting_rate(row["reports"], row["late"]),
        }
        for row in rows
    }
