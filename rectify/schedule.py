"""The one beat schedule: every periodic job, its time, and how long a tick may wait.

Built here, beside the settings, and nowhere else (``rectify/settings.py`` sets
``CELERY_BEAT_SCHEDULE = beat_schedule()``; the task names are strings, so no app is imported). Times are cron expressions in the app's time zone (Asia/Shanghai);
each can be overridden from the environment, e.g. ``DISPATCH_WEEKLY_CRON="0 9 * * 1"``.
Every entry carries ``expires`` shorter than its period, so a tick that waited in the
queue (worker down, backlog) is dropped rather than run next to the following one:
half the shortest gap between two ticks of the cron in force (an override included),
capped at the job's default ``expires`` (``expires_for``). The gap is read from the cron's
fields (``shortest_gap``: a lower bound, exact within a day), so no calendar is scanned.

Retry limits live here too: the broker's visibility timeout must be above the retry
backoff cap and any countdown (``check_visibility_timeout``, called by the settings),
else a message held that long would be redelivered while still waiting, and run twice.

This module is imported by the settings: it imports no app (an import-linter contract).
"""

from dataclasses import dataclass
from datetime import timedelta

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from rectify.env import env_int, env_str

# Retrying transient errors: exponential backoff with jitter, capped below the broker's
# visibility timeout (default 300 s, CELERY_VISIBILITY_TIMEOUT): a retry waits at most
# 2 minutes, and a job whose worker died is delivered again after 5 minutes.
RETRY_BACKOFF_MAX = env_int("CELERY_RETRY_BACKOFF_MAX", 120)
MAX_RETRIES = 5


@dataclass(frozen=True)
class Job:
    name: str  # beat entry name
    task: str  # registered task name
    env: str  # environment variable overriding the cron
    cron: str  # default: minute hour day-of-month month day-of-week
    period: timedelta  # how often the default cron fires
    expires: timedelta  # a tick not started by then is dropped (the cap, for an overridden cron)


JOBS = [
    Job(
        "weekly-dispatch",
        "dispatch.weekly",
        "DISPATCH_WEEKLY_CRON",
        "0 9 * * 1",
        timedelta(days=7),
        timedelta(hours=12),
    ),
    Job(
        "report-chaser",
        "dispatch.chase_reports",
        "DISPATCH_CHASER_CRON",
        "0 17 * * 3",
        timedelta(days=7),
        timedelta(hours=6),
    ),
    Job(
        "deadline-warnings",
        "dispatch.warn_deadlines",
        "DISPATCH_WARNINGS_CRON",
        "0 8 * * *",
        timedelta(days=1),
        timedelta(hours=6),
    ),
    # Every assignment's state as the month ended, frozen minutes after (tasks/services/history.py):
    # the bulletin and the past weeks' reports start from it instead of the whole audit trail.
    Job(
        "month-end-states",
        "tasks.freeze_month_end",
        "MONTH_END_STATES_CRON",
        "5 0 1 * *",
        timedelta(days=28),
        timedelta(days=2),
    ),
    Job(
        "monthly-bulletin",
        "dispatch.make_bulletin",
        "DISPATCH_BULLETIN_CRON",
        "0 9 1 * *",
        timedelta(days=28),
        timedelta(days=2),
    ),
    # Relays every outbox message the broker has not accepted yet (outbox/services.py).
    Job(
        "outbox-sweep",
        "outbox.sweep",
        "OUTBOX_SWEEP_CRON",
        "* * * * *",
        timedelta(minutes=1),
        timedelta(seconds=30),
    ),
    # The audit chain's head, signed, written outside the database (tasks/services/audit_checks.py).
    Job(
        "audit-checkpoint",
        "tasks.audit_checkpoint",
        "AUDIT_CHECKPOINT_CRON",
        "17 * * * *",
        timedelta(hours=1),
        timedelta(minutes=30),
    ),
]


def parse_cron(value: str, name: str = "cron") -> crontab:
    """A five-field cron expression as a crontab; ImproperlyConfigured for anything else."""
    fields = (value or "").split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"{name} must have five cron fields (minute hour day month weekday), not {value!r}"
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        schedule = crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    except Exception as exc:  # noqa: BLE001 - celery raises ValueError or its own ParseException
        raise ImproperlyConfigured(f"{name} is not a valid cron expression {value!r}: {exc}") from None
    return schedule


def _shortest_step(values, cycle: int) -> int:
    """The shortest distance between consecutive ``values`` on a cycle of length ``cycle``."""
    ordered = sorted(values)
    steps = [b - a for a, b in zip(ordered, ordered[1:])]
    return min([*steps, ordered[0] + cycle - ordered[-1]])


# Month lengths in a leap year: a day of month that no listed month has never fires.
MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def shortest_gap(schedule: crontab, name: str = "cron") -> timedelta:
    """A lower bound of the time between two ticks of ``schedule``, read from its fields alone.

    Celery fires a crontab at every listed minute of every listed hour on the days that
    match its day of month AND day of week AND month. Within a day the gaps are exact;
    between firing days the gap is at least one day, at least the shortest step between
    the listed weekdays (a week's cycle), and at least the shortest step between the
    listed days of month (on the shortest month, 28 days: ``1`` gives 28 days, ``1,15``
    14). Being a lower bound, half of it is always shorter than the real gap.
    ImproperlyConfigured for a cron that never fires (``31 2``: no February 31st).
    """
    if not any(
        day <= MONTH_DAYS[month - 1] for month in schedule.month_of_year for day in schedule.day_of_month
    ):
        raise ImproperlyConfigured(f"{name} never fires")
    minutes = sorted(h * 60 + m for h in schedule.hour for m in schedule.minute)
    days = 1
    if len(schedule.day_of_week) < 7:
        days = max(days, _shortest_step(schedule.day_of_week, 7))
    if len(schedule.day_of_month) < 31:
        days = max(days, _shortest_step(schedule.day_of_month, 28))
    gaps = [b - a for a, b in zip(minutes, minutes[1:])]
    gaps.append(days * 1440 - minutes[-1] + minutes[0])  # the last tick of a day to the next day's first
    return timedelta(minutes=min(gaps))


def expires_for(job: Job, schedule: crontab) -> int:
    """Seconds a tick may wait: half the shortest gap between ticks, at most the job's default."""
    return int(min(job.expires, shortest_gap(schedule, job.env) / 2).total_seconds())


def beat_schedule() -> dict:
    """The CELERY_BEAT_SCHEDULE: one entry per job, with the environment's overrides."""
    schedule = {}
    for job in JOBS:
        cron = parse_cron(env_str(job.env, job.cron), job.env)
        schedule[job.name] = {
            "task": job.task,
            "schedule": cron,
            "options": {"expires": expires_for(job, cron)},
        }
    return schedule


def check_visibility_timeout(seconds: int, schedule: dict) -> int:
    """The broker's visibility timeout, if above the retry backoff cap and every countdown.

    A message not acknowledged within it is delivered again (Redis): a retry waiting
    up to ``RETRY_BACKOFF_MAX`` would then run twice. ImproperlyConfigured otherwise.
    """
    countdowns = [entry.get("options", {}).get("countdown") or 0 for entry in schedule.values()]
    longest = max([RETRY_BACKOFF_MAX, *countdowns])
    if seconds <= longest:
        raise ImproperlyConfigured(
            f"CELERY_VISIBILITY_TIMEOUT must be above the longest retry backoff or countdown ({longest} s), not {seconds}"
        )
    return seconds
