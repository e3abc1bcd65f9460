"""ISO reporting weeks (``2017-W36``) and local dates in Asia/Shanghai.

``clean_week`` is the one parser of a week written by a person or a program: every entry point
(the API, the pages, the Excel upload, the exports, the commands) stores and looks up the string it
returns, so ``２０１７-W48`` typed with full-width digits is the week ``2017-W48`` everywhere.
"""

import datetime
import re
import unicodedata

from django.conf import settings
from django.utils import timezone

from tasks import clock

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$", re.ASCII)


# The years a reporting week may fall in: the plan starts in 2017; far-off years are typos.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class BadWeek(ValueError):
    pass


def clean_week(value) -> str:
    """The week as the ledger writes it (``2017-W48``); BadWeek for anything that is not one.

    Full-width characters (``２０１７－Ｗ４８``) and a lower-case ``w`` are read as their plain
    forms (Unicode NFKC); any other digit or character is refused."""
    text = value if isinstance(value, str) else ""
    canonical = unicodedata.normalize("NFKC", text).strip().upper()
    start = parse_week(canonical, shown=text)
    return week_of(start)


def parse_week(value: str, *, shown: str | None = None) -> datetime.date:
    """The Monday of an ISO week written exactly ``YYYY-Www`` (ASCII); BadWeek for anything else.

    Input from people goes through ``clean_week`` first."""
    value = value if isinstance(value, str) else ""
    shown = value if shown is None else shown
    match = WEEK_RE.match(value.strip())
    if not match:
        raise BadWeek(f"报送周“{shown}”格式不正确，应为如 2017-W36 的 ISO 周")
    year, week = int(match[1]), int(match[2])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadWeek(f"报送周“{shown}”超出可用范围（{FIRST_YEAR}—{LAST_YEAR} 年）")
    try:
        return datetime.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise BadWeek(f"报送周“{shown}”不存在：{year} 年没有第 {week} 周") from None


def week_of(day: datetime.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_title(week: str) -> str:
    """A reporting week as the pages and workbooks name it: ``第48周（11月27日—12月3日）``.

    ISO codes (``2017-W48``) stay in URLs, the API and the files' cells that are read back; anything
    that is not a week is shown as it is."""
    try:
        start = parse_week(week)
    except BadWeek:
        return week if isinstance(week, str) else ""
    end = start + datetime.timedelta(days=6)
    return f"第{start.isocalendar()[1]}周（{start.month}月{start.day}日—{end.month}月{end.day}日）"


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def week_range(week: str) -> tuple[datetime.date, datetime.date]:
    start = parse_week(week)
    return start, start + datetime.timedelta(days=6)


def today() -> datetime.date:
    """Today in the project's time zone (Asia/Shanghai): the day of the ledger's frozen clock
    (``tasks.clock.frozen_at``) if one is set, else the pinned ``RECTIFY_TODAY`` of a demo,
    else the real date (in a demo, ``clock.now()`` stands on the same day)."""
    moment = clock.frozen()
    if moment is not None:
        return timezone.localdate(moment)
    pinned = getattr(settings, "RECTIFY_TODAY", None)
    return pinned or timezone.localdate()
