"""Demo dispatch for `make run`: the late-2017 weeks' dispatches, chasers and warnings, and bulletins.

Runs the real services with the clock set to when each job would have run (Monday
09:00, Wednesday 17:00, the 1st at 09:00), after the demo ledger (``tasks.demo``) is
in place. The bulletins for September and October 2017 are published by the office
account; November's stays a draft for the office to publish. Idempotent like the
jobs themselves: a second load creates nothing. Emails go to the dummy backend: the
demo's messages are for the inbox.
"""

import datetime
from contextlib import contextmanager
from unittest import mock

from django.contrib.auth import get_user_model
from django.test import override_settings

from dispatch import services
from dispatch.models import Bulletin, BulletinStatus
from tasks.weeks import parse_week

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
WEEKS = [f"2017-W{n}" for n in range(44, 49)]
MONTHS = [("2017-09", True), ("2017-10", True), ("2017-11", False)]


@contextmanager
def clock(day: datetime.date, hour: int):
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI).astimezone(datetime.timezone.utc)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def load() -> str:
    """Run the demo jobs; returns a Chinese summary line."""
    created = existing = 0

    def count(delivery):
        nonlocal created, existing
        created += delivery.created
        existing += delivery.existing

    office = get_user_model().objects.filter(username="office").first()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for week in WEEKS:
            monday = parse_week(week)
            with clock(monday, 9):
                count(services.dispatch_weekly(week).messages)
                count(services.warn_deadlines(monday).messages)
            with clock(monday + datetime.timedelta(days=2), 17):
                count(services.chase_reports(week).messages)
        for month, publish in MONTHS:
            year, number = map(int, month.split("-"))
            first = datetime.date(year + number // 12, number % 12 + 1, 1)
            with clock(first, 9):
                bulletin, _changed, delivery = services.make_bulletin(month)
                count(delivery)
            if publish and office and bulletin.status == BulletinStatus.DRAFT:
                with clock(first + datetime.timedelta(days=2), 10):
                    bulletin = services.publish_bulletin(bulletin, office)
            if bulletin.status == BulletinStatus.PUBLISHED:
                with clock(first + datetime.timedelta(days=2), 10):
                    count(services.announce_bulletin(bulletin.pk))
    published = Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).count()
    return (f"演示调度：{WEEKS[0]} 至 {WEEKS[-1]} 的周调度、催报和到期预警，2017-09 至 2017-11 月通报"
            f"（已发布 {published} 份）；新建消息 {created} 条，已存在 {existing} 条。")
