"""The dispatch tasks through a real Celery worker on the configured broker (not eager).

A worker runs in a thread (``tests.helpers.worker_thread``, solo pool) on the project's app and
broker: memory:// on a bare machine, Redis in CI. The database is really committed
(``transactional_db``) so the worker's connection sees what the test wrote. Each
test waits for the worker to finish the task message (``task_postrun``); a retry is
the same task id coming round again.
"""

import datetime
import smtplib
import threading
import time
import uuid
from unittest import mock

import pytest
from celery.signals import task_postrun
from django.db import OperationalError

from dispatch import tasks
from dispatch.bulletin import make_bulletin, publish_bulletin
from dispatch.models import Bulletin, DeliveryLog, Notification
from rectify.celery import app
from tasks.models import Assignment
from tests.helpers import worker_thread

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

WEEK = "2017-W36"
WAIT = 60  # seconds: a guard against a hung worker, not a timing assertion


@pytest.fixture
def people(liaison, unit_leader, outsider, outsider_leader, office, leader):
    return {
        "alice": liaison,
        "bob": unit_leader,
        "charlie": outsider,
        "dave": outsider_leader,
        "olga": office,
        "leo": leader,
    }


@pytest.fixture(scope="module")
def shared_worker():
    """One worker for the module's tests (each waits for its own messages to finish): starting and
    stopping one per test cost seconds each."""
    with worker_thread():
        yield


@pytest.fixture
def worker(people, shared_worker):
    app.control.purge()
    yield
    app.control.purge()


def through_broker(task, *args, times=1, task_id=None):
    """Send the task message ``times`` times with one id; wait until each delivery has finished."""
    task_id = task_id or str(uuid.uuid4())
    finished = []
    done = threading.Event()

    def on_postrun(sender=None, task_id=None, state=None, **kwargs):
        if task_id == wanted and state in ("SUCCESS", "FAILURE"):
            finished.append(state)
            if len(finished) == times:
                done.set()

    wanted = task_id
    task_postrun.connect(on_postrun, weak=False)
    try:
        for _ in range(times):
            task.apply_async(args, task_id=task_id)
        assert done.wait(WAIT), f"{task.name} did not finish through the broker"
    finally:
        task_postrun.disconnect(on_postrun)
    assert finished == ["SUCCESS"] * times
    return finished


def wait_until_done(timeout=WAIT):
    """Wait until the worker has finished every outbox message (the emails follow each job through it)."""
    from outbox.models import OutboxMessage

    deadline = time.monotonic() + timeout
    while OutboxMessage.objects.filter(done_at=None).exists():
        assert time.monotonic() < deadline, list(OutboxMessage.objects.filter(done_at=None).values())
        time.sleep(0.2)


def inbox(username, job):
    return list(
        Notification.objects.filter(user__username=username, job=job).values_list("subject", flat=True)
    )


def test_each_job_reaches_the_right_units_through_the_broker_and_a_second_run_sends_nothing(
    worker, mailoutbox
):
    due = Assignment.objects.filter(unit__name="晋中市").order_by("task__number").first()
    Assignment.objects.filter(pk=due.pk).update(due_date=datetime.date(2017, 9, 8), extended_due_date=None)

    through_broker(tasks.dispatch_weekly_task, WEEK)
    through_broker(tasks.chase_reports_task, WEEK)
    through_broker(tasks.warn_deadlines_task, "2017-09-04")
    through_broker(tasks.make_bulletin_task, "2017-10")

    for user in ("alice", "bob"):
        assert len(inbox(user, "weekly_dispatch")) == 1 and "晋中市" in inbox(user, "weekly_dispatch")[0]
        assert len(inbox(user, "report_chaser")) == 1 and "晋中市" in inbox(user, "report_chaser")[0]
        assert len(inbox(user, "deadline_warning")) == 1
    for user in ("charlie", "dave"):
        assert "临汾市" in inbox(user, "weekly_dispatch")[0]
    assert (
        inbox("olga", "bulletin_draft") == ["2017-10 月通报草稿待发布"]
        and inbox("olga", "weekly_dispatch") == []
    )
    assert inbox("leo", "weekly_dispatch") == [] and Bulletin.objects.get().status == "draft"
    wait_until_done()
    count, sent = Notification.objects.count(), len(mailoutbox)
    assert sent == count == DeliveryLog.objects.filter(channel="email", status="sent").count()

    through_broker(tasks.dispatch_weekly_task, WEEK)
    through_broker(tasks.chase_reports_task, WEEK)
    through_broker(tasks.warn_deadlines_task, "2017-09-04")
    through_broker(tasks.make_bulletin_task, "2017-10")
    wait_until_done()

    assert (Notification.objects.count(), len(mailoutbox)) == (count, sent)


def test_a_redelivered_message_yields_one_message_per_recipient(worker, mailoutbox):
    through_broker(tasks.dispatch_weekly_task, WEEK, times=2)
    wait_until_done()

    per_user = {u: len(inbox(u, "weekly_dispatch")) for u in ("alice", "bob", "charlie", "dave")}
    assert per_user == {"alice": 1, "bob": 1, "charlie": 1, "dave": 1}
    assert sorted(m.to[0].split("@")[0] for m in mailoutbox) == ["alice", "bob", "charlie", "dave"]


def test_a_worker_dying_midway_through_a_dispatch_is_retried_to_exactly_one_message_each(worker, mailoutbox):
    from dispatch import services

    real = services.Message
    made = []

    def crash_after_two(*args, **kwargs):
        made.append(args)
        if len(made) == 3:  # two recipients done, then the database goes away
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    with mock.patch.object(services, "Message", side_effect=crash_after_two):
        through_broker(tasks.dispatch_weekly_task, WEEK)

    assert len(made) > 4  # the first attempt stopped at the third recipient; the retry made them all
    wait_until_done()
    per_user = {u: len(inbox(u, "weekly_dispatch")) for u in ("alice", "bob", "charlie", "dave")}
    assert per_user == {"alice": 1, "bob": 1, "charlie": 1, "dave": 1}
    assert len(mailoutbox) == 4


def test_a_mail_server_failure_after_commit_is_retried_without_sending_twice(worker, mailoutbox, settings):
    from django.core.mail import send_mail as real_send

    settings.CHANNEL_RETRY_BACKOFF = 0

    attempts = []

    def flaky(*args, **kwargs):
        attempts.append(args[3][0])
        if len(attempts) == 2:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(*args, **kwargs)

    with mock.patch("dispatch.channels.send_mail", side_effect=flaky):
        through_broker(tasks.chase_reports_task, WEEK)
        wait_until_done()  # the emails: the send_emails task and its retry

    assert len(attempts) == 5  # four recipients, one of them tried twice
    assert sorted(m.to[0].split("@")[0] for m in mailoutbox) == ["alice", "bob", "charlie", "dave"]
    logs = DeliveryLog.objects.filter(job="report_chaser")
    assert sorted(logs.values_list("status", "attempts")) == [("sent", 1)] * 3 + [("sent", 2)]


def test_a_deleted_bulletin_is_skipped_quietly(worker):
    bulletin, _, _ = make_bulletin("2017-10")
    bulletin_id = bulletin.pk
    Notification.objects.all().delete()
    bulletin.delete()

    through_broker(tasks.announce_bulletin_task, bulletin_id)

    assert not Notification.objects.exists()


def test_a_committed_publication_is_announced_by_the_worker(worker, people):
    bulletin, _, _ = make_bulletin("2017-10")
    done = threading.Event()

    def on_postrun(sender=None, **kwargs):
        if getattr(sender, "name", None) == "dispatch.announce_bulletin":
            done.set()

    task_postrun.connect(on_postrun, weak=False)
    try:
        publish_bulletin(bulletin, people["olga"])
        assert done.wait(WAIT)
    finally:
        task_postrun.disconnect(on_postrun)
    assert sorted(Notification.objects.filter(job="bulletin").values_list("user__username", flat=True)) == [
        "leo",
        "olga",
    ]
