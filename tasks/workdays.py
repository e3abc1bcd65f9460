"""Working days in China: Monday to Friday, less the public holidays, plus the make-up days (调休).

Every count of working days in the site goes through ``is_working_day`` / ``working_days_after``
/ ``add_working_days`` (the 签收 cutoff, ``dispatch/handovers.py``). The State Council publishes
each year's holidays and the weekend days worked instead (国务院办公厅关于 20xx 年部分节假日安排的通知)
every November or December; the table below holds 2017–2026 as published. A year not in the
table (2027 once published, a local holiday) is added without a release through the settings
``PUBLIC_HOLIDAYS`` and ``MAKEUP_WORKDAYS`` (ISO dates, comma-separated in the environment).
"""

import datetime
import functools

from django.conf import settings

# (first day off, last day off, weekend days worked instead) per holiday, as the notices give them.
_ARRANGEMENTS: dict[int, list[tuple[str, str, tuple[str, ...]]]] = {
    2017: [
        ("2016-12-31", "2017-01-02", ()),  # 元旦：1月2日补休
        ("2017-01-27", "2017-02-02", ("2017-01-22", "2017-02-04")),  # 春节
        ("2017-04-02", "2017-04-04", ("2017-04-01",)),  # 清明节
        ("2017-04-29", "2017-05-01", ()),  # 劳动节
        ("2017-05-28", "2017-05-30", ("2017-05-27",)),  # 端午节
        ("2017-10-01", "2017-10-08", ("2017-09-30",)),  # 中秋节、国庆节
    ],
    2018: [
        ("2017-12-30", "2018-01-01", ()),
        ("2018-02-15", "2018-02-21", ("2018-02-11", "2018-02-24")),
        ("2018-04-05", "2018-04-07", ("2018-04-08",)),
        ("2018-04-29", "2018-05-01", ("2018-04-28",)),
        ("2018-06-16", "2018-06-18", ()),
        ("2018-09-22", "2018-09-24", ()),
        ("2018-10-01", "2018-10-07", ("2018-09-29", "2018-09-30")),
        ("2018-12-30", "2019-01-01", ("2018-12-29",)),
    ],
    2019: [
        ("2019-02-04", "2019-02-10", ("2019-02-02", "2019-02-03")),
        ("2019-04-05", "2019-04-07", ()),
        ("2019-05-01", "2019-05-04", ("2019-04-28", "2019-05-05")),
        ("2019-06-07", "2019-06-09", ()),
        ("2019-09-13", "2019-09-15", ()),
        ("2019-10-01", "2019-10-07", ("2019-09-29", "2019-10-12")),
    ],
    2020: [
        ("2020-01-01", "2020-01-01", ()),
        ("2020-01-24", "2020-02-02", ("2020-01-19",)),  # 春节, extended to 2月2日 (国办发明电〔2020〕1号)
        ("2020-04-04", "2020-04-06", ()),
        ("2020-05-01", "2020-05-05", ("2020-04-26", "2020-05-09")),
        ("2020-06-25", "2020-06-27", ("2020-06-28",)),
        ("2020-10-01", "2020-10-08", ("2020-09-27", "2020-10-10")),
    ],
    2021: [
        ("2021-01-01", "2021-01-03", ()),
        ("2021-02-11", "2021-02-17", ("2021-02-07", "2021-02-20")),
        ("2021-04-03", "2021-04-05", ()),
        ("2021-05-01", "2021-05-05", ("2021-04-25", "2021-05-08")),
        ("2021-06-12", "2021-06-14", ()),
        ("2021-09-19", "2021-09-21", ("2021-09-18",)),
        ("2021-10-01", "2021-10-07", ("2021-09-26", "2021-10-09")),
    ],
    2022: [
        ("2022-01-01", "2022-01-03", ()),
        ("2022-01-31", "2022-02-06", ("2022-01-29", "2022-01-30")),
        ("2022-04-03", "2022-04-05", ("2022-04-02",)),
        ("2022-04-30", "2022-05-04", ("2022-04-24", "2022-05-07")),
        ("2022-06-03", "2022-06-05", ()),
        ("2022-09-10", "2022-09-12", ()),
        ("2022-10-01", "2022-10-07", ("2022-10-08", "2022-10-09")),
    ],
    2023: [
        ("2022-12-31", "2023-01-02", ()),
        ("2023-01-21", "2023-01-27", ("2023-01-28", "2023-01-29")),
        ("2023-04-05", "2023-04-05", ()),
        ("2023-04-29", "2023-05-03", ("2023-04-23", "2023-05-06")),
        ("2023-06-22", "2023-06-24", ("2023-06-25",)),
        ("2023-09-29", "2023-10-06", ("2023-10-07", "2023-10-08")),
    ],
    2024: [
        ("2023-12-30", "2024-01-01", ()),
        ("2024-02-10", "2024-02-17", ("2024-02-04", "2024-02-18")),
        ("2024-04-04", "2024-04-06", ("2024-04-07",)),
        ("2024-05-01", "2024-05-05", ("2024-04-28", "2024-05-11")),
        ("2024-06-08", "2024-06-10", ()),
        ("2024-09-15", "2024-09-17", ("2024-09-14",)),
        ("2024-10-01", "2024-10-07", ("2024-09-29", "2024-10-12")),
    ],
    2025: [
        ("2025-01-01", "2025-01-01", ()),
        ("2025-01-28", "2025-02-04", ("2025-01-26", "2025-02-08")),
        ("2025-04-04", "2025-04-06", ()),
        ("2025-05-01", "2025-05-05", ("2025-04-27",)),
        ("2025-05-31", "2025-06-02", ()),
        ("2025-10-01", "2025-10-08", ("2025-09-28", "2025-10-11")),
    ],
    2026: [
        ("2026-01-01", "2026-01-03", ("2026-01-04",)),
        ("2026-02-15", "2026-02-23", ("2026-02-14", "2026-02-28")),
        ("2026-04-04", "2026-04-06", ()),
        ("2026-05-01", "2026-05-05", ("2026-05-09",)),
        ("2026-06-19", "2026-06-21", ()),
        ("2026-09-25", "2026-09-27", ()),
        ("2026-10-01", "2026-10-07", ("2026-09-20", "2026-10-10")),
    ],
}

YEARS = (min(_ARRANGEMENTS), max(_ARRANGEMENTS))


def _day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def _expand() -> tuple[frozenset, frozenset]:
    off, worked = set(), set()
    for arrangements in _ARRANGEMENTS.values():
        for first, last, makeup in arrangements:
            day = _day(first)
            while day <= _day(last):
                off.add(day)
                day += datetime.timedelta(days=1)
            worked.update(_day(d) for d in makeup)
    return frozenset(off), frozenset(worked)


HOLIDAYS, MAKEUP_DAYS = _expand()


@functools.cache
def _with(holidays: tuple, makeup: tuple) -> tuple[frozenset, frozenset]:
    return HOLIDAYS | frozenset(holidays), MAKEUP_DAYS | frozenset(makeup)


def _tables() -> tuple[frozenset, frozenset]:
    """(days off, weekend days worked): the table and the settings' additions."""
    return _with(tuple(settings.PUBLIC_HOLIDAYS), tuple(settings.MAKEUP_WORKDAYS))


def is_working_day(day: datetime.date) -> bool:
    """Monday to Friday unless a public holiday; a Saturday or Sunday worked instead (调休) is one."""
    off, worked = _tables()
    if day in worked:
        return True
    return day.weekday() < 5 and day not in off


def working_days_after(start: datetime.date, end: datetime.date) -> int:
    """The working days in ``(start, end]`` (0 when ``end`` is not after ``start``)."""
    off, worked = _tables()
    days, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        days += day in worked or (day.weekday() < 5 and day not in off)
    return days


def add_working_days(start: datetime.date, count: int) -> datetime.date:
    """The ``count``-th working day after ``start`` (``start`` itself for 0)."""
    day = start
    while count > 0:
        day += datetime.timedelta(days=1)
        count -= is_working_day(day)
    return day
