"""The dashboard's figures: each is one aggregate query over an assignment queryset.

Every function takes a queryset the caller has already scoped with
``Assignment.objects.visible_to(user)``, so a figure never shows more than its
reader may see. The four buckets partition the assignments by the one bucket rule
(``tasks.models.levels.bucket_filters``, whose Python twin ``bucket_on`` the monthly
bulletin, the public page and the workbooks use), first match:

- signed off (已销号): status signed_off;
- overdue (逾期): past the effective (possibly extended) due date, reopened or not;
- reopened (问题反弹): status reopened (a review found a relapse), within its deadline;
- on track (按计划推进): the rest.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from tasks.choices import Level, Status
from tasks.models.levels import bucket_filters
from tasks.models.plan import unit_order
from tasks.services.reporting import reporting_by_unit
from tasks.weeks import week_of, week_start

SIGNED_OFF = Q(status=Status.SIGNED_OFF)


def overdue_q(today: datetime.date) -> Q:
    """The overdue bucket: open and past the effective due date (``Assignment.objects.overdue``)."""
    return bucket_filters(today)["overdue"]


def bucket_counts(today: datetime.date) -> dict:
    """Keyword arguments for ``annotate``/``aggregate``: the four buckets and the total."""
    return {
        "total": Count("id"),
        **{name: Count("id", filter=q) for name, q in bucket_filters(today).items()},
    }


def _with_share(row: dict) -> dict:
    total = row["total"] or 0
    row["signed_off_pct"] = share(row["signed_off"], total)
    return row


def share(part: int, total: int):
    """A percentage for the page: whole numbers, but one decimal under 1 % so a few are not shown as 0 %."""
    if not total or not part:
        return 0
    pct = 100 * part / total
    return round(pct, 1) if pct < 1 else round(pct)


def totals(assignments, today) -> dict:
    return _with_share(assignments.aggregate(**bucket_counts(today)))


def by_category(assignments, today) -> list[dict]:
    rows = (
        assignments.values("task__plan_id", "task__category__number", "task__category__title")
        .annotate(**bucket_counts(today))
        .order_by("task__plan_id", "task__category__number")
    )
    return [
        _with_share(
            {
                **row,
                "name": f"{row['task__category__number']}. {row['task__category__title']}",
                # each plan numbers its own categories: the link names the plan too
                "query": f"plan={row['task__plan_id']}&category={row['task__category__number']}",
            }
        )
        for row in rows
    ]


def by_unit(assignments, today) -> list[dict]:
    rows = (
        assignments.values("unit_id", "unit__name", "unit__kind")
        .annotate(**bucket_counts(today))
        .order_by(*unit_order("unit__"))
    )
    return [
        _with_share({**row, "name": row["unit__name"], "query": f"unit={row['unit_id']}"}) for row in rows
    ]


def reporting_rows(assignments) -> list[dict]:
    """On-time reporting (按期报送率, ``tasks.services.reporting``) per unit with reports, in one query:
    ``name``, ``reports``, ``late`` (迟报) and ``rate``; the lowest rate first."""
    rows = [{"unit_id": pk, **figures} for pk, figures in reporting_by_unit(assignments).items()]
    return sorted(rows, key=lambda row: (row["rate"], row["name"]))


def level_counts(assignments, today) -> dict:
    """How many assignments are red, yellow and green (``with_level``'s rule, counted in SQL)."""
    counts = {level.value: 0 for level in Level}
    rows = assignments.with_level(today).values("level").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["level"]] = row["n"]
    return counts


def listing_counts(listings, today) -> dict:
    """Active listed supervisions (挂牌督办) and those past their 督办期限, in one query over a scoped queryset."""
    return listings.active().aggregate(active=Count("id"), overdue=Count("id", filter=Q(deadline__lt=today)))


def overdue_rows(assignments, today, limit: int = 20):
    """The overdue assignments, most overdue first."""
    return list(
        assignments.with_level(today)
        .filter(overdue_q(today))
        .select_related("task", "unit")
        .order_by("effective_due", "task__number", "unit__name")[:limit]
    )


def units_missing_report(assignments, today) -> list[dict]:
    """Units with open assignments that have no progress report for the current week."""
    monday = week_start(today)
    missing = ~SIGNED_OFF & (Q(last_report_week_start__isnull=True) | Q(last_report_week_start__lt=monday))
    rows = (
        assignments.values("unit_id", "unit__name")
        .annotate(missing=Count("id", filter=missing))
        .filter(missing__gt=0)
        .order_by("-missing", "unit__name")
    )
    return [dict(row) for row in rows]


@dataclass
class Chart:
    """Weekly sign-offs and their running total, laid out for an inline SVG."""

    weeks: list[str]
    counts: list[int]
    cumulative: list[int]
    width: int = 720
    height: int = 220
    pad: int = 36

    @property
    def peak(self) -> int:
        return max(self.cumulative or [0]) or 1

    def _x(self, i: int) -> float:
        span = max(len(self.weeks) - 1, 1)
        return round(self.pad + (self.width - 2 * self.pad) * i / span, 1)

    def _y(self, value: int) -> float:
        return round(self.height - self.pad - (self.height - 2 * self.pad) * value / self.peak, 1)

    @property
    def line(self) -> str:
        return " ".join(f"{self._x(i)},{self._y(v)}" for i, v in enumerate(self.cumulative))

    @property
    def bars(self) -> list[dict]:
        step = (self.width - 2 * self.pad) / max(len(self.weeks), 1)
        width = max(min(step * 0.6, 18), 2)
        base = self.height - self.pad
        return [
            {
                "x": round(self._x(i) - width / 2, 1),
                "y": self._y(n),
                "w": round(width, 1),
                "h": round(base - self._y(n), 1),
                "week": week,
                "n": n,
            }
            for i, (week, n) in enumerate(zip(self.weeks, self.counts, strict=True))
            if n
        ]

    @property
    def ticks(self) -> list[dict]:
        """About six labelled weeks along the x axis, and the first and last."""
        every = max(len(self.weeks) // 6, 1)
        return [
            {"x": self._x(i), "label": w}
            for i, w in enumerate(self.weeks)
            if i % every == 0 or i == len(self.weeks) - 1
        ]

    @property
    def axis_y(self) -> int:
        return self.height - self.pad

    @property
    def right(self) -> int:
        return self.width - self.pad

    @property
    def rows(self):
        """The data as table rows (weeks with a sign-off), for readers who cannot see the chart."""
        return [(w, n, c) for w, n, c in zip(self.weeks, self.counts, self.cumulative, strict=True) if n]


def signoff_chart(assignments, today) -> Chart:
    """What is signed off now, by the week of its (current) sign-off, from the first one until this week.

    One query over the assignments' ``signed_off_at``: a sign-off later reopened by a relapse is not
    counted, so the last point of the running total is the headline's 已销号.
    """
    times = assignments.filter(SIGNED_OFF).order_by("signed_off_at").values_list("signed_off_at", flat=True)
    per_week: dict[str, int] = {}
    first = None
    for at in times:
        if at is None:
            continue
        day = timezone.localdate(at)
        first = first or day
        per_week[week_of(day)] = per_week.get(week_of(day), 0) + 1
    if first is None:
        return Chart(weeks=[], counts=[], cumulative=[])
    weeks, day = [], week_start(first)
    while day <= max(today, first):
        weeks.append(week_of(day))
        day += datetime.timedelta(days=7)
    counts = [per_week.get(w, 0) for w in weeks]
    cumulative, running = [], 0
    for n in counts:
        running += n
        cumulative.append(running)
    return Chart(weeks=weeks, counts=counts, cumulative=cumulative)
