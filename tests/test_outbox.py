"""The transactional outbox: written with the change, relayed after commit and by the sweep, consumed once.

The unit tests run the relay against the configured broker, or against a broker URL that
refuses (``redis://127.0.0.1:1/0``, nothing listens on port 1). The end-to-end tests publish
a bulletin over HTTP while the broker refuses, then bring it back and run the sweep through
a real worker (``tests.helpers.worker_thread``).
"""

import contextlib
import signal
import socket
import threading
import time

import pytest
from django.db import transaction
from django.utils import timezone

from dispatch.bulletin import make_bulletin
from dispatch.models import Notification
from outbox import services
from outbox.models import OutboxMessage
from outbox.tasks import sweep_task
from rectify.celery import app
from tests.helpers import fresh_connections, worker_thread
from tests.test_dispatch_worker import through_broker, wait_until_done

REFUSING = "redis://127.0.0.1:1/0"


@contextlib.contextmanager
def broker_at(url, **transport_options):
    """Point the app at another broker (new connections only) for the duration, with the given
    transport options over the settings' ones."""
    keys = ("broker_read_url", "broker_write_url")
    # the namespaced key: the settings' own (CELERY_BROKER_TRANSPORT_OPTIONS) wins over a plain one
    options_key = "CELERY_BROKER_TRANSPORT_OPTIONS"
    before = {key: app.conf[key] for key in keys} | {options_key: app.conf.broker_transport_options}
    fresh_connections()
    app.conf.update(dict.fromkeys(keys, url))
    app.conf.update({options_key: {**before[options_key], **transport_options}})
    try:
        yield
    finally:
        app.conf.update(before)
        fresh_connections()


def test_a_message_is_written_in_the_changes_transaction_and_not_at_all_if_it_rolls_back(
    db, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.enqueue("dispatch.announce_bulletin", 1)
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists() and callbacks == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = services.enqueue("dispatch.announce_bulletin", 1, key="announce_bulletin:1")
    assert (message.task, message.args, message.sent_at, len(callbacks)) == (
        "dispatch.announce_bulletin",
        [1],
        None,
        1,
    )


def test_a_key_is_written_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.enqueue("dispatch.announce_bulletin", 1, key="announce_bulletin:1")
        again = services.enqueue("dispatch.announce_bulletin", 1, key="announce_bulletin:1")
    assert again.pk == first.pk and OutboxMessage.objects.count() == 1 and len(callbacks) == 1


def test_a_refusing_broker_is_recorded_on_the_message_and_the_sweep_hands_it_over_later(db):
    message = OutboxMessage.objects.create(task="dispatch.announce_bulletin", args=[1])

    with broker_at(REFUSING):
        assert services.relay([message.pk]) == 0
        assert services.sweep() == 0
    message.refresh_from_db()
    assert (message.sent_at, message.attempts) == (None, 2) and "Error" in message.last_error

    assert services.sweep() == 1
    message.refresh_from_db()
    assert message.sent_at is not None and (message.attempts, message.last_error) == (3, "")
    assert services.sweep() == 0  # accepted: the sweep leaves it alone
    app.control.purge()


def test_a_refusal_ends_the_relay_and_the_sweep_hands_every_waiting_message_over_in_order(db):
    """An action that writes many messages (an event's deliveries) while the broker is down asks it
    once, not once per message: the first refusal leaves the rest to the sweep."""
    messages = [OutboxMessage.objects.create(task="dispatch.announce_bulletin", args=[n]) for n in (1, 2, 3)]
    ids = [message.pk for message in messages]

    with broker_at(REFUSING):
        assert services.relay(ids) == 0
    attempts = dict(OutboxMessage.objects.filter(pk__in=ids).values_list("pk", "attempts"))
    assert attempts == {ids[0]: 1, ids[1]: 0, ids[2]: 0}

    assert services.sweep() == 3
    sent = OutboxMessage.objects.filter(pk__in=ids).exclude(sent_at=None).order_by("sent_at", "pk")
    assert [message.pk for message in sent] == ids
    assert services.sweep() == 0
    app.control.purge()


def test_a_broker_that_takes_the_connection_but_never_answers_is_given_up_on(db, settings):
    """A hung Redis (it accepts, it never answers) held the hand-over for ever, and with it the
    request that committed the change. Each read on a broker socket now gives up (here after
    0.2 s; by default after CELERY_BROKER_SOCKET_TIMEOUT, 5 s, well within a web worker's 30 s),
    the message waits for the sweep and the relay returns."""
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"] == 5
    silent = socket.create_server(("127.0.0.1", 0))  # listens; nobody ever reads or answers
    message = OutboxMessage.objects.create(task="dispatch.announce_bulletin", args=[1])

    def still_waiting(signum, frame):
        raise AssertionError("the relay still waits for a broker that never answers")

    previous = signal.signal(signal.SIGALRM, still_waiting)
    signal.alarm(30)
    try:
        with broker_at(
            f"redis://127.0.0.1:{silent.getsockname()[1]}/0", socket_timeout=0.2, socket_connect_timeout=0.2
        ):
            assert services.relay([message.pk]) == 0
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        silent.close()
    message.refresh_from_db()
    assert (message.sent_at, message.attempts) == (None, 1) and "Timeout" in message.last_error


def test_a_consumer_skips_a_done_message_and_marks_done_once(db):
    calls = []

    @services.consumer
    def job(value):
        calls.append(value)
        return value

    message = OutboxMessage.objects.create(task="job", args=[7])
    assert job(7, outbox_id=message.pk) == 7
    assert job(7, outbox_id=message.pk) is None  # a second delivery
    assert calls == [7] and OutboxMessage.objects.get().done_at is not None
    assert services.mark_done(message.pk) is False  # the compare-and-set matches nothing now


def test_a_failing_consumer_leaves_the_message_open_with_its_error(db):
    @services.consumer
    def job():
        raise ValueError("邮件服务器拒绝")

    message = OutboxMessage.objects.create(task="job", sent_at=timezone.now())
    with pytest.raises(ValueError):
        job(outbox_id=message.pk)
    message.refresh_from_db()
    assert message.done_at is None and message.last_error == "ValueError: 邮件服务器拒绝"
    assert message.state == "执行失败"


def test_the_office_sees_messages_waiting_for_the_broker_in_the_admin(client, office, liaison, db):
    OutboxMessage.objects.create(
        task="dispatch.announce_bulletin", args=[1], attempts=3, last_error="OperationalError: refused"
    )
    OutboxMessage.objects.create(
        task="dispatch.send_emails", args=["bulletin", "2017-10"], done_at=timezone.now()
    )

    client.force_login(office)
    page = client.get("/admin/outbox/outboxmessage/?state=pending")
    assert page.status_code == 200
    shown = list(page.context_data["cl"].result_list)
    assert [(m.task, m.attempts) for m in shown] == [("dispatch.announce_bulletin", 3)]
    assert (
        "交付失败，待重试" in page.content.decode() and "OperationalError: refused" in page.content.decode()
    )

    client.force_login(liaison)
    assert client.get("/admin/outbox/outboxmessage/").status_code in (302, 403)


# Through HTTP and a real worker --------------------------------------------------------------


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_bulletin_published_while_the_broker_is_down_is_announced_once_when_it_returns(
    api, office, leader, liaison, mailoutbox
):
    bulletin, _, _ = make_bulletin("2017-10")
    Notification.objects.all().delete()  # the draft's message and its email: not what is tested here
    OutboxMessage.objects.all().delete()
    mailoutbox.clear()

    with broker_at(REFUSING):
        started = time.monotonic()
        response = api(office).post("/api/bulletins/2017-10/publish/")
        took = time.monotonic() - started
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    assert took < 10  # the refusal is quick: the user is not kept waiting on the broker
    waiting = OutboxMessage.objects.get()
    assert (waiting.task, waiting.args, waiting.sent_at) == (
        "dispatch.announce_bulletin",
        [bulletin.pk],
        None,
    )
    assert waiting.last_error and not Notification.objects.exists() and mailoutbox == []

    with worker_thread():
        through_broker(sweep_task)
        wait_until_done()
        announced = sorted(
            Notification.objects.filter(job="bulletin").values_list("user__username", flat=True)
        )
        assert announced == ["leo", "olga"]
        # 晋中市's liaison hears of it too, with her unit's figures (the event bulletin.published)
        assert list(
            Notification.objects.filter(job="bulletin.published").values_list("user__username", flat=True)
        ) == ["alice"]
        emailed = ["alice@example.gov.cn", "leo@example.gov.cn", "olga@example.gov.cn"]
        assert sorted(m.to[0] for m in mailoutbox) == emailed

        through_broker(sweep_task)  # a second sweep sends nothing
        wait_until_done()
    assert Notification.objects.filter(job="bulletin").count() == 2 and len(mailoutbox) == 3
    assert not OutboxMessage.objects.filter(done_at=None).exists()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_message_relayed_twice_is_consumed_once(office, leader):
    from dispatch.bulletin import publish_bulletin

    bulletin, _, _ = make_bulletin("2017-10")
    Notification.objects.all().delete()  # the draft's message and its email: not what is tested here
    OutboxMessage.objects.all().delete()
    done = threading.Event()

    with worker_thread():
        publish_bulletin(bulletin, office)  # relayed after commit
        message = OutboxMessage.objects.get(task="dispatch.announce_bulletin")
        OutboxMessage.objects.filter(pk=message.pk).update(sent_at=None)  # as if the relay's mark was lost
        services.sweep()  # handed over a second time
        wait_until_done()
        done.set()
    assert Notification.objects.filter(job="bulletin").count() == 2
