"""The periods the jobs run for: out-of-range ones refused in Chinese, ones that have not come refused and left alone."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from dispatch import services, tasks
from dispatch.bulletin import make_bulletin
from dispatch.models import Bulletin, DeadlineWarning, Notification
from dispatch.periods import NotYet
from reports.models import WeeklySnapshot

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2017, 11, 30)  # a Thursday in 2017-W48


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def nothing_was_made():
    return not (
        Notification.objects.exists()
        or Bulletin.objects.exists()
        or WeeklySnapshot.objects.exists()
        or DeadlineWarning.objects.exists()
    )


@pytest.fixture
def today(settings):
    settings.RECTIFY_TODAY = TODAY
    return TODAY


@pytest.mark.parametrize(
    "command, args",
    [
        ("make_bulletin", ["--month", "0000-01"]),
        ("make_bulletin", ["--month", "9999-12"]),
        ("make_bulletin", ["--month", "1999-12"]),
        ("warn_deadlines", ["--date", "9999-12-31"]),
        ("warn_deadlines", ["--date", "0001-01-01"]),
        ("dispatch_weekly", ["--week", "9999-W52"]),
    ],
)
def test_a_period_outside_2000_to_2100_is_refused_in_chinese(plan, command, args):
    with pytest.raises(CommandError, match="超出可用范围（2000—2100 年）"):
        run(command, *args)
    assert nothing_was_made()


@pytest.mark.parametrize(
    "command, args, message",
    [
        ("make_bulletin", ["--month", "2017-12"], "2017-12 月还未结束（今天是 2017-11-30）"),
        ("make_bulletin", ["--month", "2017-11"], "2017-11 月还未结束"),  # its last day is today
        ("dispatch_weekly", ["--week", "2030-W01"], "报送周 2030-W01 还未开始（今天是 2017-11-30）"),
        ("dispatch_weekly", ["--week", "2017-W49"], "报送周 2017-W49 还未开始"),
        ("chase_reports", ["--week", "2017-W49"], "报送周 2017-W49 还未开始"),
        ("warn_deadlines", ["--date", "2017-12-01"], "日期 2017-12-01 还未到（今天是 2017-11-30）"),
    ],
)
def test_a_period_that_has_not_come_is_refused_and_nothing_is_frozen_or_sent(
    plan, liaison, office, today, command, args, message
):
    with pytest.raises(CommandError, match=message):
        run(command, *args)
    assert nothing_was_made()


@pytest.mark.parametrize(
    "command, args",
    [
        ("make_bulletin", ["--month", "2017-10"]),
        ("dispatch_weekly", ["--week", "2017-W48"]),  # started on Monday
        ("chase_reports", ["--week", "2017-W48"]),
        ("warn_deadlines", ["--date", "2017-11-30"]),
    ],
)
def test_the_periods_that_have_come_still_run(plan, liaison, office, today, command, args):
    assert "新建消息 1 条" in run(command, *args)


def test_the_services_refuse_a_period_that_has_not_come_whoever_calls_them(plan, liaison, today):
    with pytest.raises(NotYet):
        make_bulletin("2017-12")
    with pytest.raises(NotYet):
        services.dispatch_weekly("2017-W49")
    with pytest.raises(NotYet):
        services.warn_deadlines(datetime.date(2017, 12, 1))
    assert nothing_was_made()


def test_the_scheduled_bulletin_on_the_first_makes_the_month_just_ended(plan, office, settings):
    settings.RECTIFY_TODAY = datetime.date(2018, 1, 1)

    result = tasks.make_bulletin_task()

    assert result["period"] == "2017-12" and Bulletin.objects.get().month == "2017-12"
