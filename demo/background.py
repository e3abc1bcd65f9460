"""The demo's background: the other nine cities' liaisons reporting on their rows over November 2017.

The stories (``demo.ledger.STORIES``) follow ten rows of three units closely; without a background
every other row of the province would be silent since the plan's feedback, and the warning levels
would show one colour. Here each of the other cities' rows follows one of a few plain patterns,
chosen by its place in the list (task, then unit), so the ledger of 2017-12-01 holds what a real one
does: rows reporting weekly on or ahead of the expected progress, rows behind it close to their
deadline, a row that missed last week, rows that stopped reporting in October and rows never
reported. Reports go through ``ledger.submit_report`` like every other demo step.
"""

import datetime

from tasks.choices import Status
from tasks.models import Assignment
from tasks.models.levels import expected_share

# unit, username, display name (the liaison of each city the stories leave out)
BACKGROUND_LIAISONS = {
    "太原市": ("taiyuan", "太原市联络员"),
    "大同市": ("datong", "大同市联络员"),
    "朔州市": ("shuozhou", "朔州市联络员"),
    "忻州市": ("xinzhou", "忻州市联络员"),
    "吕梁市": ("lvliang", "吕梁市联络员"),
    "阳泉市": ("yangquan", "阳泉市联络员"),
    "长治市": ("changzhi", "长治市联络员"),
    "晋城市": ("jincheng", "晋城市联络员"),
    "运城市": ("yuncheng", "运城市联络员"),
}
DEMO_DAY = datetime.date(2017, 12, 1)  # the day the demo ledger is seen on (``make run``)

# The pattern of the n-th row (n mod 10): the weeks reported and where the percentage ends,
# relative to the progress expected on DEMO_DAY (``levels.expected_share``).
PATTERNS = {
    0: ("ahead", (47, 48), +10),
    1: ("ahead", (48,), +5),
    2: ("ahead", (46, 48), +15),
    3: ("ahead", (47,), +8),
    4: ("behind", (48,), -25),
    5: ("behind", (47,), -40),
    6: ("missed last week", (46,), +5),
    7: ("stopped", (43,), -50),
    8: ("silent", (), 0),
    9: ("silent", (), 0),
}
WORK = {
    "ahead": "按整改方案逐项推进，节点任务按期完成",
    "behind": "整改措施推进滞后，正在协调资金和施工力量",
    "missed last week": "按整改方案推进",
    "stopped": "完成前期排查，整改方案报批中",
}


def background_reports() -> list[tuple[int, str, list[tuple[int, int, str]]]]:
    """(task number, unit, [(2017 ISO week number, percent, text)]) for each background row that
    reports: rows of the nine cities, in task then unit order; ``demo.ledger`` makes them stories."""
    rows = (
        Assignment.objects.filter(unit__name__in=BACKGROUND_LIAISONS, status=Status.NOT_STARTED)
        .select_related("task", "unit")
        .order_by("task__number", "unit__name")
    )
    stories = []
    for n, row in enumerate(rows):
        kind, weeks, offset = PATTERNS[n % len(PATTERNS)]
        weeks = list(weeks)
        if not weeks:
            continue
        due = row.extended_due_date or row.due_date
        end = 100 if due is None else max(min(expected_share(DEMO_DAY, due) + offset, 100), 5)
        percents = [max(end - 5 * (len(weeks) - 1 - i), 1) for i in range(len(weeks))]
        steps = [
            (week, percent, f"{WORK[kind]}，截至本周累计完成 {percent}%。")
            for week, percent in zip(weeks, percents, strict=True)
        ]
        stories.append((row.task.number, row.unit.name, steps))
    return stories
