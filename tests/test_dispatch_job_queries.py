"""The jobs run the same queries for a few rows as for the whole plan: nothing is read per row."""

import datetime

import pytest
from django.db import connection

from dispatch import services
from dispatch.models import DeadlineWarning, Notification
from outbox.models import OutboxMessage
from reports.models import WeeklySnapshot
from tasks.models import Assignment
from tests.helpers import LogicalQueries
from tests.test_web_queries import keep_only

pytestmark = pytest.mark.django_db

DAY = datetime.date(2017, 12, 1)  # the pinned today: every row due within the warning window
JOBS = {
    # name -> the run; each freezes, reads and stores in a fixed number of statements
    "dispatch": lambda: services.dispatch_weekly("2017-W48"),  # snapshot W47, then every open row
    "chaser": lambda: services.chase_reports("2017-W48"),  # no row reported: every unit chased
    "warnings": lambda: services.warn_deadlines(DAY),  # every deadline in the window
}


def counted(job) -> tuple[int, object]:
    with LogicalQueries(connection) as context:  # a bulk insert SQLite splits into batches counts once
        result = JOBS[job]()
    return len(context), result


def forget_runs():
    for model in (Notification, WeeklySnapshot, DeadlineWarning, OutboxMessage):
        model.objects.all().delete()


@pytest.mark.parametrize("job", sorted(JOBS))
def test_a_job_runs_the_same_queries_for_four_rows_as_for_the_plan(job, liaison, outsider):
    Assignment.objects.update(due_date=DAY + datetime.timedelta(days=3))
    many, big = counted(job)
    forget_runs()
    mine = list(Assignment.objects.filter(unit__name__in=["晋中市", "临汾市"]).order_by("pk"))
    keep_only(mine[:2] + mine[-2:], extra=0)
    few, small = counted(job)

    assert Assignment.objects.count() == 4
    assert big.messages.created == small.messages.created == 2  # one message to each unit's liaison
    assert many == few
