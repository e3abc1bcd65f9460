"""The periods the jobs run for: months and dates read, range-checked and checked against today.

One checker for every period: a year outside ``tasks.weeks.FIRST_YEAR``–``LAST_YEAR``
is refused like a reporting week outside it (``tasks.weeks.parse_week``), so no date
arithmetic overflows (``9999-12`` has no next month, ``0000-01`` no date at all).

A job may only run for a period that has come: a month once it has ended, a week
once it has started, a date once it has come (``tasks.weeks.today()``, which honours
``RECTIFY_TODAY``). Run earlier, a job would freeze today's state as that period's for
good (the bulletin, the weekly snapshots) or warn about a day that has not come.
"""

import datetime
import re

from tasks.services.errors import InvalidInput
from tasks.weeks import FIRST_YEAR, LAST_YEAR, today

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class BadMonth(InvalidInput):
    pass


class BadDate(InvalidInput):
    pass


class NotYet(InvalidInput):
    """A period that has not ended (a month) or not started (a week, a date) yet."""


def check_year(year: int, what: str, value, error: type[InvalidInput], field: str) -> None:
    """The one range of every period, ``FIRST_YEAR``–``LAST_YEAR`` (as for weeks); ``error`` otherwise."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise error(f"{what}“{value}”超出可用范围（{FIRST_YEAR}—{LAST_YEAR} 年）", field=field)


def next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def previous_month(day: datetime.date) -> str:
    """The month before ``day``'s, written ``YYYY-MM``."""
    last = day.replace(day=1) - datetime.timedelta(days=1)
    return f"{last:%Y-%m}"


def parse_month(value: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a month written ``YYYY-MM``; BadMonth for anything else."""
    match = MONTH_RE.match((value or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise BadMonth(f"月份“{value}”格式不正确，应为如 2017-10 的年月", field="month")
    check_year(int(match[1]), "月份", value, BadMonth, "month")
    start = datetime.date(int(match[1]), int(match[2]), 1)
    return start, next_month(start) - datetime.timedelta(days=1)


def parse_day(value: str) -> datetime.date:
    """A date written ``YYYY-MM-DD``; BadDate for anything else."""
    try:
        day = datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        raise BadDate(f"日期“{value}”格式不正确，应为如 2017-09-04 的日期", field="date") from None
    check_year(day.year, "日期", value, BadDate, "date")
    return day


def check_day(day: datetime.date) -> datetime.date:
    """A date the jobs may use: in range (BadDate) and not after today (NotYet)."""
    check_year(day.year, "日期", day.isoformat(), BadDate, "date")
    now = today()
    if day > now:
        raise NotYet(f"日期 {day:%Y-%m-%d} 还未到（今天是 {now:%Y-%m-%d}），不能提前运行", field="date")
    return day


def check_month_over(month: str) -> tuple[datetime.date, datetime.date]:
    """A month that has ended: its first and last day; BadMonth or NotYet otherwise."""
    start, end = parse_month(month)
    now = today()
    if end >= now:
        raise NotYet(
            f"{month} 月还未结束（今天是 {now:%Y-%m-%d}），月通报在次月生成，以免提前定格", field="month"
        )
    return start, end


def check_week_started(monday: datetime.date, week: str) -> None:
    """NotYet for a week whose Monday has not come."""
    now = today()
    if monday > now:
        raise NotYet(f"报送周 {week} 还未开始（今天是 {now:%Y-%m-%d}），不能提前运行", field="week")
