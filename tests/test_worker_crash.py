"""A worker killed mid-job: the job is delivered again within the visibility timeout and completes once.

Real worker processes (``celery -A rectify worker --pool=solo``) on Redis and PostgreSQL,
with a visibility timeout of 10 s in their environment (5 minutes by default). The test
holds a lock on the messages table so the first worker stops inside the weekly dispatch's
transaction (its snapshots written, its messages not), kills that worker's main process
with SIGKILL, and starts a second worker: Redis hands the unacknowledged job to it once the
visibility timeout has passed, and it runs the job whole. Only the processes this test
started are killed (each in its own session).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from dispatch import tasks
from dispatch.models import DeliveryLog, Notification
from outbox.models import OutboxMessage
from rectify.celery import app
from reports.models import WeeklySnapshot
from tasks.models import Assignment

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2017-W36"
VISIBILITY = 10  # seconds, for this test; the default is 300
WAIT = 120  # a guard against a hung worker, not a timing assertion


def needs_services():
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs PostgreSQL and Redis (CI has both)")


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(name: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rectify.settings_test",
        "DATABASE_URL": database_url(),  # the test database
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "CELERY_RETRY_BACKOFF_MAX": "5",
    }
    command = [sys.executable, "-m", "celery", "-A", "rectify", "worker", "--pool=solo", "--loglevel=INFO"]
    command += ["--without-heartbeat", "--without-mingle", "--without-gossip", "-n", f"{name}@%h"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(worker: subprocess.Popen):
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)


def waiting_on(table: str) -> int:
    """Sessions of other processes waiting for a lock on ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass AND pid <> pg_backend_pid()",
            [table],
        )
        return cursor.fetchone()[0]


def until(condition, what: str, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_worker_killed_mid_job_hands_the_job_to_the_next_worker_which_completes_it_once(
    liaison, unit_leader, outsider, outsider_leader, tmp_path
):
    needs_services()
    app.control.purge()
    table = Notification._meta.db_table
    first = second = None
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:  # writers of messages wait until this transaction ends
                cursor.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
            first = start_worker("crash-first", tmp_path / "first.log")
            tasks.dispatch_weekly_task.apply_async((WEEK,))
            until(lambda: waiting_on(table) == 1, "the first worker to reach the messages")
            os.kill(first.pid, signal.SIGKILL)  # the main process: with --pool=solo it runs the job
            first.wait(30)
        assert first.returncode == -signal.SIGKILL

        second = start_worker("crash-second", tmp_path / "second.log")
        until(
            lambda: (
                Notification.objects.filter(job="weekly_dispatch").count() == 4
                and not OutboxMessage.objects.filter(done_at=None).exists()
            ),
            "the second worker to complete the job",
        )
    finally:
        for worker in (first, second):
            if worker is not None:
                stop(worker)
        app.control.purge()

    recipients = Notification.objects.filter(job="weekly_dispatch").order_by("user__username")
    assert list(recipients.values_list("user__username", flat=True)) == ["alice", "bob", "charlie", "dave"]
    assert WeeklySnapshot.objects.filter(week="2017-W35").count() == Assignment.objects.count()
    assert DeliveryLog.objects.filter(job="weekly_dispatch", channel="email", status="sent").count() == 4
    first_log, second_log = (tmp_path / "first.log").read_text(), (tmp_path / "second.log").read_text()
    assert "messages created" not in first_log  # killed before its transaction committed
    assert "2017-W36: 4 messages created, 0 existed" in second_log, second_log
