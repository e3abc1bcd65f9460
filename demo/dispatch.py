"""Demo dispatch for `make run`: the late-2017 weeks' dispatches, chasers and warnings, and bulletins.

Runs the real services in time order, with the ledger's clock (``tasks.clock.frozen_at``:
the services' timestamps and the ledger's today, as ``demo.ledger`` does) set to when each job
would have run (Monday 09:00, Wednesday 17:00, the 1st at 09:00), after the demo ledger (``demo.ledger``) is
in place. The bulletins read the ledger as it stood at each month's end (rebuilt
from the audit trail), so the September bulletin shows September, not late November.
The bulletins for September and October 2017 are published by the office account;
November's stays a draft for the office to publish. Idempotent like the
jobs themselves: a second load creates nothing. No email is sent (``dispatch.notify.inbox_only``):
the demo's messages are for the inbox.
"""

import datetime

from django.contrib.auth import get_user_model

from dispatch import services
from dispatch.bulletin import announce_bulletin, make_bulletin, publish_bulletin
from dispatch.models import Bulletin, BulletinStatus
from dispatch.notify import inbox_only
from dispatch.periods import next_month, parse_month
from tasks.clock import SHANGHAI, frozen_at
from tasks.weeks import parse_week

WEEKS = [f"2017-W{n}" for n in range(44, 49)]
MONTHS = [("2017-09", True), ("2017-10", True), ("2017-11", False)]


def clock(day: datetime.date, hour: int):
    """Run as if it were ``hour`` o'clock on ``day`` in Shanghai (``tasks.clock.now`` and ``weeks.today``)."""
    return frozen_at(datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI))


def load() -> str:
    """Run the demo jobs in time order; returns a Chinese summary line."""
    created = existing = 0

    def count(delivery):
        nonlocal created, existing
        created += delivery.created
        existing += delivery.existing

    office = get_user_model().objects.filter(username="office").first()

    def weekly(week):
        monday = parse_week(week)
        with clock(monday, 9):
            count(services.dispatch_weekly(week).messages)
            count(services.warn_deadlines(monday).messages)

    def chaser(week):
        with clock(parse_week(week) + datetime.timedelta(days=2), 17):
            count(services.chase_reports(week).messages)

    def bulletin(month, publish):
        first = next_month(parse_month(month)[0])
        with clock(first, 9):
            made, _changed, delivery = make_bulletin(month)
            count(delivery)
        if publish and office and made.status == BulletinStatus.DRAFT:
            with clock(first + datetime.timedelta(days=2), 10):
                made = publish_bulletin(made, office)
        if made.status == BulletinStatus.PUBLISHED:
            with clock(first + datetime.timedelta(days=2), 10):
                count(announce_bulletin(made.pk))

    jobs = []  # (when, job): every job at the moment it would have run, earliest first
    for week in WEEKS:
        monday = parse_week(week)
        jobs += [
            ((monday, 9), lambda week=week: weekly(week)),
            ((monday + datetime.timedelta(days=2), 17), lambda week=week: chaser(week)),
        ]
    for month, publish in MONTHS:
        jobs.append(
            (
                (next_month(parse_month(month)[0]), 9),
                lambda month=month, publish=publish: bulletin(month, publish),
            )
        )
    with inbox_only():
        for _when, job in sorted(jobs, key=lambda item: item[0]):
            job()
    published = Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).count()
    return (
        f"演示调度：{WEEKS[0]} 至 {WEEKS[-1]} 的周调度、催报和到期预警，2017-09 至 2017-11 月通报"
        f"（已发布 {published} 份）；新建消息 {created} 条，已存在 {existing} 条。"
    )
