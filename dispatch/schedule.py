"""The one beat schedule: every periodic job, its time, and how long a tick may wait.

Built here and nowhere else (``rectify/settings.py`` sets ``CELERY_BEAT_SCHEDULE =
beat_schedule()``). Times are cron expressions in the app's time zone (Asia/Shanghai);
each can be overridden from the environment, e.g. ``DISPATCH_WEEKLY_CRON="0 9 * * 1"``.
Every entry carries ``expires`` shorter than its period, so a tick that waited in the
queue (worker down, backlog) is dropped rather than run next to the following one.

Retry limits live here too, so one test can check that no countdown or backoff
exceeds the broker's visibility timeout (a message held longer would be redelivered
while still waiting, and run twice).

This module is imported by the settings: it must not import Django models.
"""

from dataclasses import dataclass
from datetime import timedelta

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from rectify.env import env_str

# Retrying transient errors: exponential backoff with jitter, capped well below the
# visibility timeout (default 3600 s, CELERY_VISIBILITY_TIMEOUT).
RETRY_BACKOFF_MAX = 600
MAX_RETRIES = 5


@dataclass(frozen=True)
class Job:
    name: str  # beat entry name
    task: str  # registered task name
    env: str  # environment variable overriding the cron
    cron: str  # default: minute hour day-of-month month day-of-week
    period: timedelta  # how often the default cron fires
    expires: timedelta  # a tick not started by then is dropped


JOBS = [
    Job("weekly-dispatch", "dispatch.weekly", "DISPATCH_WEEKLY_CRON", "0 9 * * 1",
        timedelta(days=7), timedelta(hours=12)),
    Job("report-chaser", "dispatch.chase_reports", "DISPATCH_CHASER_CRON", "0 17 * * 3",
        timedelta(days=7), timedelta(hours=6)),
    Job("deadline-warnings", "dispatch.warn_deadlines", "DISPATCH_WARNINGS_CRON", "0 8 * * *",
        timedelta(days=1), timedelta(hours=6)),
    Job("monthly-bulletin", "dispatch.make_bulletin", "DISPATCH_BULLETIN_CRON", "0 9 1 * *",
        timedelta(days=28), timedelta(days=2)),
]


def parse_cron(value: str, name: str = "cron") -> crontab:
    """A five-field cron expression as a crontab; ImproperlyConfigured for anything else."""
    fields = (value or "").split()
    if len(fields) != 5:
        raise ImproperlyConfigured(f"{name} must have five cron fields (minute hour day month weekday), not {value!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        schedule = crontab(minute=minute, hour=hour, day_of_month=day_of_month,
                           month_of_year=month_of_year, day_of_week=day_of_week)
    except Exception as exc:  # celery raises ValueError or its own ParseException
        raise ImproperlyConfigured(f"{name} is not a valid cron expression {value!r}: {exc}") from None
    return schedule


def beat_schedule() -> dict:
    """The CELERY_BEAT_SCHEDULE: one entry per job, with the environment's overrides."""
    schedule = {}
    for job in JOBS:
        cron = env_str(job.env, job.cron)
        schedule[job.name] = {
            "task": job.task,
            "schedule": parse_cron(cron, job.env),
            "options": {"expires": int(job.expires.total_seconds())},
        }
    return schedule
