"""The beat schedule: when each job fires (Asia/Shanghai), overrides from the environment, expiry and retry limits."""

import datetime
import os

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dispatch import channels, tasks
from rectify.celery import app
from rectify.schedule import JOBS, RETRY_BACKOFF_MAX, beat_schedule, check_visibility_timeout
from tests.helpers import run_python

UTC = datetime.UTC


def local(moment: datetime.datetime) -> datetime.datetime:
    """A moment as beat holds it: ``app.now()`` is in the app's time zone."""
    return moment.astimezone(app.timezone)


def next_run(schedule, now: datetime.datetime) -> datetime.datetime:
    """When the crontab next fires after ``now``, as beat computes it, in UTC."""
    now = local(now)
    schedule = schedule.__class__(
        **{
            k: getattr(schedule, f"_orig_{k}")
            for k in ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
        },
        nowfun=lambda: now,
        app=app,
    )
    return (now + schedule.remaining_estimate(now)).astimezone(UTC)


def entry(name):
    return app.conf.beat_schedule[name]


def test_the_app_runs_on_shanghai_time_with_the_projects_schedule():
    assert app.conf.timezone == "Asia/Shanghai"
    assert set(app.conf.beat_schedule) == {
        "weekly-dispatch",
        "report-chaser",
        "deadline-warnings",
        "month-end-states",
        "monthly-bulletin",
        "outbox-sweep",
        "audit-checkpoint",
    }
    assert {e["task"] for e in app.conf.beat_schedule.values()} <= set(app.tasks)


@pytest.mark.parametrize(
    "name, now, expected",
    [
        # Monday 09:00 Asia/Shanghai is Monday 01:00 UTC
        (
            "weekly-dispatch",
            datetime.datetime(2017, 9, 3, 12, 0, tzinfo=UTC),
            datetime.datetime(2017, 9, 4, 1, 0, tzinfo=UTC),
        ),
        # Wednesday 17:00 Shanghai is Wednesday 09:00 UTC
        (
            "report-chaser",
            datetime.datetime(2017, 9, 4, 2, 0, tzinfo=UTC),
            datetime.datetime(2017, 9, 6, 9, 0, tzinfo=UTC),
        ),
        # 08:00 Shanghai is midnight UTC
        (
            "deadline-warnings",
            datetime.datetime(2017, 9, 4, 1, 0, tzinfo=UTC),
            datetime.datetime(2017, 9, 5, 0, 0, tzinfo=UTC),
        ),
        # the 1st at 09:00 Shanghai is the 1st at 01:00 UTC
        (
            "monthly-bulletin",
            datetime.datetime(2017, 10, 15, 0, 0, tzinfo=UTC),
            datetime.datetime(2017, 11, 1, 1, 0, tzinfo=UTC),
        ),
    ],
)
def test_each_job_fires_at_its_shanghai_time(name, now, expected):
    assert next_run(entry(name)["schedule"], now) == expected


def test_the_weekly_dispatch_is_due_at_one_utc_on_monday_not_before():
    schedule = entry("weekly-dispatch")["schedule"]
    last = local(datetime.datetime(2017, 8, 28, 1, 0, tzinfo=UTC))

    def due(now):
        clocked = schedule.__class__(
            minute=schedule._orig_minute,
            hour=schedule._orig_hour,
            day_of_week=schedule._orig_day_of_week,
            nowfun=lambda: local(now),
            app=app,
        )
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
    for task in (
        tasks.dispatch_weekly_task,
        tasks.chase_reports_task,
        tasks.warn_deadlines_task,
        tasks.make_bulletin_task,
        tasks.announce_bulletin_task,
    ):
        assert task.retry_backoff_max < visibility and task.retry_jitter
        assert task.max_retries and task.acks_late and task.reject_on_worker_lost
        assert Exception not in task.autoretry_for  # transient errors only
    for job in JOBS:
        assert entry(job.name)["options"].get("countdown", 0) < visibility
    for task in (tasks.send_emails_task, tasks.send_delivery_task):  # retried by the deliveries' backoff
        assert task.acks_late and task.reject_on_worker_lost
    assert channels.backoff(100) < visibility


def test_a_cron_can_be_overridden_from_the_environment(monkeypatch):
    monkeypatch.setenv("DISPATCH_WEEKLY_CRON", "30 7 * * 2")

    schedule = beat_schedule()["weekly-dispatch"]["schedule"]

    # Tuesday 07:30 Shanghai is Monday 23:30 UTC
    assert next_run(schedule, datetime.datetime(2017, 9, 3, 0, 0, tzinfo=UTC)) == datetime.datetime(
        2017, 9, 4, 23, 30, tzinfo=UTC
    )
    assert beat_schedule()["report-chaser"]["schedule"] == entry("report-chaser")["schedule"]


@pytest.mark.parametrize("value", ["0 9 * *", "every monday", "0 25 * * 1"])
def test_a_bad_cron_stops_the_start(monkeypatch, value):
    monkeypatch.setenv("DISPATCH_CHASER_CRON", value)

    with pytest.raises(ImproperlyConfigured, match="DISPATCH_CHASER_CRON"):
        beat_schedule()


def shortest_gap_seen(schedule, start=datetime.datetime(2017, 9, 1, tzinfo=UTC), ticks=400):
    """The shortest gap between consecutive ticks as beat computes them, over ``ticks`` ticks."""
    first, gaps = next_run(schedule, start), []
    for _ in range(ticks):
        second = next_run(schedule, first + datetime.timedelta(seconds=1))
        gaps.append(second - first)
        first = second
    return min(gaps)


@pytest.mark.parametrize(
    "env, cron, expires",
    [
        ("DISPATCH_WARNINGS_CRON", "0 * * * *", 1800),  # hourly: half an hour, not the daily job's 6 h
        ("DISPATCH_WARNINGS_CRON", "*/15 8-18 * * 1-5", 450),
        ("DISPATCH_CHASER_CRON", "0 9,17 * * 3", 4 * 3600),  # twice on Wednesdays, 8 h apart
        ("DISPATCH_BULLETIN_CRON", "0 9 1,15 * *", 2 * 86400),  # the cap: the default's 2 days
        ("DISPATCH_WEEKLY_CRON", "30 7 * * 2", 12 * 3600),
    ],
)
def test_an_overridden_cron_gets_an_expires_shorter_than_its_own_ticks(monkeypatch, env, cron, expires):
    monkeypatch.setenv(env, cron)
    job = next(j for j in JOBS if j.env == env)

    entry_ = beat_schedule()[job.name]

    assert entry_["options"]["expires"] == expires
    assert datetime.timedelta(seconds=expires) < shortest_gap_seen(entry_["schedule"], ticks=60)
    assert datetime.timedelta(seconds=expires) <= job.expires


def test_a_cron_that_never_fires_stops_the_start(monkeypatch):
    monkeypatch.setenv("DISPATCH_BULLETIN_CRON", "0 9 31 2 *")

    with pytest.raises(ImproperlyConfigured, match="DISPATCH_BULLETIN_CRON never fires"):
        beat_schedule()


@pytest.mark.parametrize("seconds", [RETRY_BACKOFF_MAX // 2, RETRY_BACKOFF_MAX])
def test_a_visibility_timeout_not_above_the_backoff_cap_is_refused(seconds):
    with pytest.raises(ImproperlyConfigured, match="CELERY_VISIBILITY_TIMEOUT"):
        check_visibility_timeout(seconds, beat_schedule())


def test_a_visibility_timeout_not_above_a_countdown_is_refused():
    schedule = {**beat_schedule(), "late": {"task": "dispatch.weekly", "options": {"countdown": 900}}}

    assert check_visibility_timeout(RETRY_BACKOFF_MAX + 1, beat_schedule()) == RETRY_BACKOFF_MAX + 1
    with pytest.raises(ImproperlyConfigured, match=r"\(900 s\)"):
        check_visibility_timeout(RETRY_BACKOFF_MAX + 1, schedule)


def test_the_settings_refuse_a_visibility_timeout_below_the_backoff_cap():
    def start(timeout):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "CELERY_"))}
        env["CELERY_VISIBILITY_TIMEOUT"] = timeout
        return run_python("-c", "import rectify.settings", env=env)

    refused = start(str(RETRY_BACKOFF_MAX))
    assert refused.returncode != 0 and "CELERY_VISIBILITY_TIMEOUT must be above" in refused.stderr
    assert start(str(RETRY_BACKOFF_MAX + 1)).returncode == 0


def test_a_crashed_workers_job_is_delivered_again_within_minutes_by_default():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "CELERY_"))}
    env["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/0"  # not used: the settings are only read
    shown = run_python(
        "-c",
        "from rectify import settings as s; from rectify.schedule import RETRY_BACKOFF_MAX as b;"
        " print(s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], b)",
        env=env,
    )
    visibility, backoff = map(int, shown.stdout.split())
    assert backoff < visibility <= 600  # minutes, not the hour of Redis's default
