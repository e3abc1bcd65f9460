"""What the dispatch commands share: reading a period and printing a Chinese summary.

Periods are read and checked by ``dispatch.periods`` (the years 2000-2100, as for
weeks); a period that has not come is refused by the job itself (``NotYet``), which
``run_job`` turns into a Chinese ``CommandError`` like any bad input.
"""

import datetime

from django.core.management.base import CommandError

from dispatch.periods import parse_day, parse_month
from tasks.services.errors import InvalidInput
from tasks.weeks import BadWeek, clean_week


def check_week(value: str) -> str:
    try:
        return clean_week(value)
    except BadWeek as exc:
        raise CommandError(str(exc)) from None


def check_date(value: str) -> datetime.date:
    try:
        return parse_day(value)
    except InvalidInput as exc:
        raise CommandError(exc.message) from None


def check_month(value: str) -> str:
    try:
        parse_month(value)
    except InvalidInput as exc:
        raise CommandError(exc.message) from None
    return value.strip()


def run_job(job, *args, **kwargs):
    """Run a job; its refusal (a period that has not come) is a CommandError in Chinese."""
    try:
        return job(*args, **kwargs)
    except InvalidInput as exc:
        raise CommandError(exc.message) from None


def summary(label: str, result) -> str:
    return (
        f"{label}：涉及单位 {result.units} 个，新建消息 {result.messages.created} 条，"
        f"已存在 {result.messages.existing} 条（未重复发送）"
    )
