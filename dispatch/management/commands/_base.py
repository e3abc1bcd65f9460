"""What the dispatch commands share: reading a period and printing a Chinese summary."""

import datetime

from django.core.management.base import CommandError

from dispatch.bulletin import BadMonth, parse_month
from tasks.weeks import BadWeek, parse_week


def check_week(value: str) -> str:
    try:
        parse_week(value)
    except BadWeek as exc:
        raise CommandError(str(exc)) from None
    return value.strip()


def check_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        raise CommandError(f"日期“{value}”格式不正确，应为如 2017-09-04 的日期") from None


def check_month(value: str) -> str:
    try:
        parse_month(value)
    except BadMonth as exc:
        raise CommandError(exc.message) from None
    return value.strip()


def summary(label: str, result) -> str:
    return (f"{label}：涉及单位 {result.units} 个，新建消息 {result.messages.created} 条，"
            f"已存在 {result.messages.existing} 条（未重复发送）")
