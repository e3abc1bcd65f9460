"""The beat schedule: when each job fires (Asia/Shanghai), overrides from the environment, expiry and retry limits."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dispatch import tasks
from dispatch.schedule import JOBS, beat_schedule
from rectify.celery import app

UTC = datetime.timezone.utc


def local(moment: datetime.datetime) -> datetime.datetime:
    """A moment as beat holds it: ``app.now()`` is in the app's time zone."""
    return moment.astimezone(app.timezone)


def next_run(schedule, now: datetime.datetime) -> datetime.datetime:
    """When the crontab next fires after ``now``, as beat computes it, in UTC."""
    now = local(now)
    schedule = schedule.__class__(**{k: getattr(schedule, f"_orig_{k}") for k in
                                     ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")},
                                  nowfun=lambda: now, app=app)
    return (now + schedule.remaining_estimate(now)).astimezone(UTC)


def entry(name):
    return app.conf.beat_schedule[name]


def test_the_app_runs_on_shanghai_time_with_the_projects_schedule():
    assert app.conf.timezone == "Asia/Shanghai"
    assert set(app.conf.beat_schedule) == {"weekly-dispatch", "report-chaser", "deadline-warnings", "monthly-bulletin"}
    assert {e["task"] for e in app.conf.beat_schedule.values()} <= set(app.tasks)


@pytest.mark.parametrize("name, now, expected", [
    # Monday 09:00 Asia/Shanghai is Monday 01:00 UTC
    ("weekly-dispatch", datetime.datetime(2017, 9, 3, 12, 0, tzinfo=UTC), datetime.datetime(2017, 9, 4, 1, 0, tzinfo=UTC)),
    # Wednesday 17:00 Shanghai is Wednesday 09:00 UTC
    ("report-chaser", datetime.datetime(2017, 9, 4, 2, 0, tzinfo=UTC), datetime.datetime(2017, 9, 6, 9, 0, tzinfo=UTC)),
    # 08:00 Shanghai is midnight UTC
    ("deadline-warnings", datetime.datetime(2017, 9, 4, 1, 0, tzinfo=UTC), datetime.datetime(2017, 9, 5, 0, 0, tzinfo=UTC)),
    # the 1st at 09:00 Shanghai is the 1st at 01:00 UTC
    ("monthly-bulletin", datetime.datetime(2017, 10, 15, 0, 0, tzinfo=UTC), datetime.datetime(2017, 11, 1, 1, 0, tzinfo=UTC)),
])
def test_each_job_fires_at_its_shanghai_time(name, now, expected):
    assert next_run(entry(name)["schedule"], now) == expected


def test_the_weekly_dispatch_is_due_at_one_utc_on_monday_not_before():
    schedule = entry("weekly-dispatch")["schedule"]
    last = local(datetime.datetime(2017, 8, 28, 1, 0, tzinfo=UTC))

    def due(now):
        clocked = schedule.__class__(minute=schedule._orig_minute, hour=schedule._orig_hour,
                                     day_of_week=schedule._orig_day_of_week, nowfun=lambda: local(now), app=app)
        return clocked.is_due(last).is_due

    assert not due(datetime.datetime(2017, 9, 4, 0, 59, tzinfo=UTC))
    assert due(datetime.datetime(2017, 9, 4, 1, 0, 30, tzinfo=UTC))


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.name)
def test_every_expires_is_shorter_than_its_period(job):
    start = datetime.datetime(2017, 9, 1, tzinfo=UTC)
    schedule = entry(job.name)["schedule"]
    first = next_run(schedule, start)
    gaps = []
    for _ in range(6):  # the shortest gap between fires over several periods
        second = next_run(schedule, first + datetime.timedelta(seconds=1))
        gaps.append(second - first)
        first = second
    assert min(gaps) >= job.period
    assert datetime.timedelta(seconds=entry(job.name)["options"]["expires"]) < min(gaps)


def test_no_countdown_or_backoff_reaches_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for task in (tasks.dispatch_weekly_task, tasks.chase_reports_task, tasks.warn_deadlines_task,
                 tasks.make_bulletin_task, tasks.announce_bulletin_task):
        assert task.retry_backoff_max < visibility and task.retry_jitter
        assert task.max_retries and task.acks_late and task.reject_on_worker_lost
        assert Exception not in task.autoretry_for  # transient errors only
    for job in JOBS:
        assert entry(job.name)["options"].get("countdown", 0) < visibility


def test_a_cron_can_be_overridden_from_the_environment(monkeypatch):
    monkeypatch.setenv("DISPATCH_WEEKLY_CRON", "30 7 * * 2")

    schedule = beat_schedule()["weekly-dispatch"]["schedule"]

    # Tuesday 07:30 Shanghai is Monday 23:30 UTC
    assert next_run(schedule, datetime.datetime(2017, 9, 3, 0, 0, tzinfo=UTC)) == datetime.datetime(2017, 9, 4, 23, 30, tzinfo=UTC)
    assert beat_schedule()["report-chaser"]["schedule"] == entry("report-chaser")["schedule"]


@pytest.mark.parametrize("value", ["0 9 * *", "every monday", "0 25 * * 1"])
def test_a_bad_cron_stops_the_start(monkeypatch, value):
    monkeypatch.setenv("DISPATCH_CHASER_CRON", value)

    with pytest.raises(ImproperlyConfigured, match="DISPATCH_CHASER_CRON"):
        beat_schedule()
