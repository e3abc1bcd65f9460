"""The dashboard's figures: each is one aggregate query over an assignment queryset.

Every function takes a queryset the caller has already scoped with
``Assignment.objects.visible_to(user)``, so a figure never shows more than its
reader may see. The figures that count by warning level take ``milestones``
(``tasks.models.levels.milestones_by_task``, read once per page) so the level's
milestone is a constant per task, not a subquery per row. The four buckets partition the assignments by the one bucket rule
(``tasks.models.levels.bucket_filters``, whose Python twin ``bucket_on`` the monthly
bulletin, the public page and the workbooks use), first match:

- signed off (已销号): status signed_off;
- overdue (逾期): past the effective (possibly extended) due date, reopened or not;
- reopened (问题反弹): status reopened (a review found a relapse), within its deadline;
- on track (按计划推进): the rest.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from dispatch.models import Bulletin, BulletinStatus, Urge
from tasks.choices import Level, SignOffStatus, Status
from tasks.models import Organisation, SignOffRequest, Task, Unit, compiled
from tasks.models.levels import BUCKETS, bucket_filters, effective_due
from tasks.models.plan import unit_sort_key
from tasks.services.reporting import reporting_rate
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


def three_buckets(today: datetime.date) -> dict:
    """``bucket_counts`` less on track, which is the rest (the buckets partition the rows: ``with_rest``
    gives it): a condition fewer to test on every row of a figure over the ledger."""
    return {name: Count("id", filter=q) for name, q in bucket_filters(today).items() if name != "on_track"}


def with_rest(row: dict) -> dict:
    """A row counted by ``three_buckets`` with its on-track rows: the total less the other buckets."""
    row["on_track"] = row["total"] - row["signed_off"] - row["overdue"] - row["reopened"]
    return row


def by_category(assignments, today) -> list[dict]:
    """Per plan and category: the buckets, counted per task (no join of the rows to their tasks and
    categories) and summed here over the tasks (``Task``: one query), in the plans' and the
    categories' order."""
    per_task = assignments.values("task_id").annotate(total=Count("id"), **three_buckets(today)).order_by()
    tasks = {
        pk: (plan_id, number, title)
        for pk, plan_id, number, title in Task.objects.values_list(
            "pk", "plan_id", "category__number", "category__title"
        ).order_by()
    }
    keys = ("total", *BUCKETS[:3])
    categories: dict[tuple, dict] = {}
    for row in per_task:
        plan_id, number, title = tasks[row["task_id"]]
        category = categories.setdefault(
            (plan_id, number),
            {"task__plan_id": plan_id, "task__category__number": number, "task__category__title": title}
            | dict.fromkeys(keys, 0),
        )
        for key in keys:
            category[key] += row[key]
    return [
        _with_share(
            with_rest(
                {
                    **row,
                    "name": f"{row['task__category__number']}. {row['task__category__title']}",
                    # each plan numbers its own categories: the link names the plan too
                    "query": f"plan={row['task__plan_id']}&category={row['task__category__number']}",
                }
            )
        )
        for _key, row in sorted(categories.items())
    ]


def in_unit_order(rows) -> list[dict]:
    """Rows grouped per unit (``unit__name``, ``unit__kind``) in the units' standard order, sorted here
    (``unit_sort_key``, ``unit_order``'s twin): ordering in SQL would group by its expressions and sort
    every assignment row before counting."""
    return sorted(rows, key=lambda row: unit_sort_key(row["unit__name"], row["unit__kind"]))


def unit_names() -> dict[int, tuple]:
    """Every unit's (name, kind, city) by id, one query: the city a unit's rows count for on the
    province view is its parent, or the unit itself (the ledger's ``city`` filter)."""
    return {
        pk: (name, kind, parent or name)
        for pk, name, kind, parent in Unit.objects.values_list(
            "pk", "name", "kind", "parent__name"
        ).order_by()
    }


def per_unit_level(assignments, today, milestones=None) -> list[dict]:
    """One query over the rows, a group per unit and warning level (``with_level``; ``milestones``:
    ``milestones_by_task``): the rows (``total``), ``three_buckets``, the open rows without this
    week's report (``missing``) or without last week's (``missed``), and the rows' report counters
    (``reports``, ``late``: ``Assignment.report_count``). No join: ``per_unit`` and ``city_levels``
    name the units (``unit_names``) and sum the groups.

    The statement depends on nothing but the scope's own SQL, the day, the milestones and the rule's
    settings: it is compiled once for them per connection (``tasks.models.compiled``: the level's
    rule costs Django more to build and compile than the database takes to count the ledger)."""
    try:
        scope = assignments.query.sql_with_params()
    except EmptyResultSet:  # a scope that can see nothing
        return []
    key = (
        "per_unit_level",
        scope[0],
        tuple(scope[1]),
        today,
        None if milestones is None else tuple(sorted(milestones.items())),
        settings.LEVEL_START,
        settings.LEVEL_RED_WEEKS,
        settings.LEVEL_YELLOW_DAYS,
    )
    build = lambda _placeholders: _per_unit_level(assignments, today, milestones)  # noqa: E731
    return compiled.statement(key, build, [], using=assignments.db).run([])


def _per_unit_level(assignments, today, milestones):
    monday = week_start(today)
    last_monday = monday - datetime.timedelta(days=7)
    never = Q(last_report_week_start__isnull=True)
    return (
        assignments.with_level(today, milestones)
        .values("unit_id", "level")
        .annotate(
            total=Count("id"),
            **three_buckets(today),
            missing=Count("id", filter=~SIGNED_OFF & (never | Q(last_report_week_start__lt=monday))),
            missed=Count("id", filter=~SIGNED_OFF & (never | Q(last_report_week_start__lt=last_monday))),
            # the rows' counters of their reports (``Assignment.report_count``), not the report table
            reports=Coalesce(Sum("report_count"), 0),
            late=Coalesce(Sum("late_report_count"), 0),
        )
        .order_by()
    )


UNIT_FIGURES = ("total", "signed_off", "overdue", "reopened", "missing", "missed", "reports", "late")


def per_unit(groups: list[dict], units: dict[int, tuple]) -> list[dict]:
    """One row per unit with rows, in the units' standard order, from ``per_unit_level``'s groups:
    the four buckets and the total, ``missing``, ``missed``, ``reports`` and ``late``. The dashboard's
    headline (``totals_of``), 按责任单位 (``by_unit_of``), 本周未报送 (``missing_of``) and the unit
    table (``unit_statistics``) all read these rows."""
    rows: dict[int, dict] = {}
    for group in groups:
        row = rows.get(group["unit_id"])
        if row is None:
            name, kind, _city = units[group["unit_id"]]
            rows[group["unit_id"]] = {"unit_id": group["unit_id"], "unit__name": name, "unit__kind": kind} | {
                key: group[key] for key in UNIT_FIGURES
            }
        else:
            for key in UNIT_FIGURES:
                row[key] += group[key]
    return in_unit_order(with_rest(row) for row in rows.values())


def totals_of(units: list[dict]) -> dict:
    """``totals`` from ``per_unit``'s rows (every row has a unit: the buckets' sums are the totals)."""
    keys = ("total", *BUCKETS)
    return _with_share({key: sum(row[key] for row in units) for key in keys})


def by_unit_of(units: list[dict]) -> list[dict]:
    """``by_unit`` from ``per_unit``'s rows."""
    keys = ("unit_id", "unit__name", "unit__kind", "total", *BUCKETS)
    return [
        _with_share(
            {**{key: row[key] for key in keys}, "name": row["unit__name"], "query": f"unit={row['unit_id']}"}
        )
        for row in units
    ]


def by_unit(assignments, today) -> list[dict]:
    return by_unit_of(per_unit(per_unit_level(assignments, today), unit_names()))


def city_levels(groups: list[dict], units: dict[int, tuple]) -> list[tuple]:
    """(city, level, rows) from ``per_unit_level``'s groups, a unit's rows counted for its city
    (``unit_names``): ``level_counts`` and ``city_tiles`` read them."""
    counts: dict[tuple, int] = {}
    for group in groups:
        key = (units[group["unit_id"]][2], group["level"])
        counts[key] = counts.get(key, 0) + group["total"]
    return [(city, level, n) for (city, level), n in counts.items()]


def level_counts(levels: list[tuple]) -> dict:
    """How many assignments are red, yellow and green (``with_level``'s rule, counted in SQL), from
    ``city_levels``' rows."""
    counts = {level.value: 0 for level in Level}
    for _city, level, n in levels:
        counts[level] += n
    return counts


def listing_counts(listings, today) -> dict:
    """Active listed supervisions (挂牌督办) and those past their 督办期限, in one query over a scoped queryset."""
    return listings.active().aggregate(active=Count("id"), overdue=Count("id", filter=Q(deadline__lt=today)))


# what the page's and the workbook's overdue table show of a row (not the task's whole text)
OVERDUE_FIELDS = (
    "status",
    "percent",
    "due_date",
    "extended_due_date",
    "task__number",
    "task__problem",
    "unit__name",
)


def overdue_rows(assignments, today, limit: int = 20):
    """The overdue assignments, most overdue first (their effective due date: no warning level to
    resolve, every one is red)."""
    return list(
        assignments.filter(overdue_q(today))
        .annotate(effective_due=effective_due())
        .select_related("task", "unit")
        .only(*OVERDUE_FIELDS)
        .order_by("effective_due", "task__number", "unit__name")[:limit]
    )


def missing_of(units: list[dict]) -> list[dict]:
    """Units with open assignments that have no progress report for the current week, from
    ``per_unit``'s rows: the most missing first, then by name."""
    rows = [
        {"unit_id": row["unit_id"], "unit__name": row["unit__name"], "missing": row["missing"]}
        for row in units
        if row["missing"] > 0
    ]
    return sorted(rows, key=lambda row: (-row["missing"], row["unit__name"]))


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

    One query counting the assignments per local day of ``signed_off_at``: a sign-off later reopened by a relapse is not
    counted, so the last point of the running total is the headline's 已销号.
    """
    days = (
        assignments.filter(SIGNED_OFF, signed_off_at__isnull=False)
        .annotate(day=TruncDate("signed_off_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
        .values_list("day", "n")
    )  # per local day in the database: a row per day with a sign-off, not per sign-off
    per_week: dict[str, int] = {}
    first = None
    for day, n in days:
        first = first or day
        per_week[week_of(day)] = per_week.get(week_of(day), 0) + n
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


# --- the statistics the office reads per unit, per month and per city -----------------------------


def unit_statistics(assignments, units: list[dict]) -> list[dict]:
    """Per unit, in the units' standard order: rows, signed off, overdue (the bucket rule), on-time
    reporting (``reporting_rate`` over the rows' report counters, the figures ``reporting_by_unit``
    counts from the reports: reports, late, rate), rows whose last week's report is missing
    (上周未报送), urges received (催办) and the mean days from a sign-off request to the office's
    approval. ``units``: ``per_unit``'s rows, read already; two more aggregate queries, whatever the
    size of the ledger."""
    rows = units
    urged = dict(
        Urge.objects.filter(assignment__in=assignments.values("pk"))
        .values("assignment__unit_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("assignment__unit_id", "n")
    )
    took = dict(
        SignOffRequest.objects.filter(
            assignment__in=assignments.values("pk"),
            status=SignOffStatus.APPROVED,
            office_checked_at__isnull=False,
        )
        .values("assignment__unit_id")
        .annotate(mean=Avg(F("office_checked_at") - F("requested_at")))
        .order_by()
        .values_list("assignment__unit_id", "mean")
    )
    out = []
    for row in rows:
        mean = took.get(row["unit_id"])
        out.append(
            {
                "unit_id": row["unit_id"],
                "name": row["unit__name"],
                "total": row["total"],
                "signed_off": row["signed_off"],
                "overdue": row["overdue"],
                "missed": row["missed"],
                "reports": row["reports"],
                "late": row["late"],
                "rate": reporting_rate(row["reports"], row["late"]),
                "urges": urged.get(row["unit_id"], 0),
                "signoff_days": round(mean.total_seconds() / 86400, 1) if mean is not None else None,
            }
        )
    return out


MONTHS = 6  # the ranking trend's months


def ranking_trend(months: int = MONTHS) -> dict:
    """The units' rank (``dispatch.figures.rank_units``) in the latest published monthly bulletins,
    oldest month first, with each unit's move since the month before: read from the bulletins'
    frozen figures (one query), never from the audit trail. ``{"months": [...], "rows": [...]}``."""
    bulletins = list(
        Bulletin.objects.filter(status=BulletinStatus.PUBLISHED)
        .only("month", "data")
        .order_by("-month")[:months]
    )[::-1]
    ranks: dict[str, dict] = {}
    for bulletin in bulletins:
        for unit in (bulletin.data or {}).get("by_unit", []):
            ranks.setdefault(unit["unit"], {})[bulletin.month] = unit.get("rank")
    names = [b.month for b in bulletins]
    rows = []
    for unit, by_month in ranks.items():
        cells = [by_month.get(m) for m in names]
        last, before = (cells[-1], cells[-2]) if len(cells) > 1 else (cells[-1] if cells else None, None)
        move = before - last if last is not None and before is not None else None
        rows.append({"unit": unit, "ranks": cells, "move": move, "latest": last})
    rows.sort(key=lambda r: (r["latest"] is None, r["latest"] or 0, r["unit"]))
    return {"months": names, "rows": rows}


# Shanxi's 11 cities on a 3 × 6 grid, north at the top (a grid cartogram: each city one tile).
CITY_GRID = {
    "朔州市": (1, 2),
    "大同市": (1, 3),
    "忻州市": (2, 2),
    "吕梁市": (3, 1),
    "太原市": (3, 2),
    "阳泉市": (3, 3),
    "晋中市": (4, 2),
    "临汾市": (5, 1),
    "长治市": (5, 3),
    "运城市": (6, 1),
    "晋城市": (6, 3),
}


def city_tiles(levels: list[tuple], units: dict[int, tuple]) -> list[dict]:
    """Per city of the province (``Organisation.cities``): its rows and theirs of the units under it,
    counted by warning level (``city_levels``' rows, read already), its state (red if any row is red, else
    yellow if any is yellow, else green; 已销号 when every row is signed off; none without rows), its
    place on the grid and the link to its rows (``/ledger/?city=<id>``; ``units``: ``unit_names``)."""
    cities = Organisation.current().cities
    counts: dict[str, dict] = {}
    for city, level, n in levels:
        if city in cities:
            counts.setdefault(city, {})[level] = n
    ids = {name: pk for pk, (name, _kind, _city) in units.items() if name in cities}
    tiles = []
    for index, name in enumerate(cities):
        levels = counts.get(name, {})
        total = sum(levels.values())
        if not total:
            state = "none"
        elif levels.get(Level.RED.value):
            state = Level.RED.value
        elif levels.get(Level.YELLOW.value):
            state = Level.YELLOW.value
        elif levels.get(Level.GREEN.value):
            state = Level.GREEN.value
        else:
            state = Level.SIGNED_OFF.value
        row, col = CITY_GRID.get(name, (7 + index // 3, 1 + index % 3))  # another province: in rows below
        tiles.append(
            {
                "name": name,
                "short": name.removesuffix("市"),
                "unit_id": ids.get(name),
                "total": total,
                "red": levels.get(Level.RED.value, 0),
                "yellow": levels.get(Level.YELLOW.value, 0),
                "signed_off": levels.get(Level.SIGNED_OFF.value, 0),
                "state": state,
                "cell": f"r{min(row, 9)}c{col}",
            }
        )
    return tiles
