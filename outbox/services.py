"""Writing, relaying and consuming outbox messages.

- ``enqueue(task, *args, key=None)`` inside the change's transaction: the message is
  committed with the change or not at all, and handed to the broker after commit.
- ``enqueue_many(task, [(args, key), …])``: many messages for one task in two queries, whatever
  their number (an event's deliveries, one per recipient and channel).
- ``relay(ids)`` hands messages to the broker; a refusal (broker down) is recorded on
  the message (``attempts``, ``last_error``) and never raised, so the user's action
  that committed still succeeds. The broker is asked once more at once (a dropped connection
  is made again), not three times with pauses, and a refusal ends the relay: the messages after
  it wait for the sweep, so an action with many messages does not wait for a broker that is
  down once per message. ``sweep()`` (the beat job ``outbox.sweep``) relays
  every message the broker has not accepted yet, until it does.
- ``@consumer`` wraps a task that outbox messages name: the relay passes the message's
  id as ``outbox_id``; a message already done is skipped, and the consumer marks it done
  with a compare-and-set (``UPDATE … WHERE done_at IS NULL``) when the task has finished.
  Delivery is at least once (a relay and a sweep may both hand one message over, the
  broker redelivers a job whose worker died), so the task itself must be idempotent.
"""

import functools
import logging

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from outbox.models import OutboxMessage

log = logging.getLogger(__name__)

SWEEP_BATCH = 500
# A message the broker refuses is the sweep's (every minute), so its hand-over does not wait:
# one more try at once, on a new connection, instead of kombu's three with 0.2 s pauses.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}


def enqueue(task: str, *args, key: str | None = None, **kwargs) -> OutboxMessage:
    """Write a message for ``task(*args, **kwargs)`` in the current transaction; relay it after commit.

    With a ``key`` already written, nothing new is written and the existing message is returned.
    """
    if key is None:
        message = OutboxMessage.objects.create(task=task, args=list(args), kwargs=kwargs)
    else:
        message, created = OutboxMessage.objects.get_or_create(
            key=key, defaults={"task": task, "args": list(args), "kwargs": kwargs}
        )
        if not created:
            return message
    pk = message.pk
    transaction.on_commit(lambda: relay([pk]))
    return message


def enqueue_many(task: str, calls: list[tuple[list, str]]) -> int:
    """Write one message per ``(args, key)`` for ``task`` in two queries, whatever their number;
    keys already written add nothing. Relayed after commit like ``enqueue``. Returns how many are waiting."""
    if not calls:
        return 0
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task, args=list(args), key=key) for args, key in calls], ignore_conflicts=True
    )
    ids = list(
        OutboxMessage.objects.filter(
            key__in=[key for _, key in calls], sent_at=None, done_at=None
        ).values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: relay(ids, limit=len(ids)))
    return len(ids)


def _hand_over(message: OutboxMessage) -> bool:
    try:
        current_app.send_task(
            message.task,
            args=message.args,
            kwargs={**message.kwargs, "outbox_id": message.pk},
            retry_policy=PUBLISH_RETRY,
        )
    except Exception as exc:  # noqa: BLE001 - any refusal of the broker leaves the message for the sweep
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        log.warning("outbox #%s %s not accepted by the broker: %s", message.pk, message.task, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk, sent_at=None).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    return True


def relay(ids=None, *, limit: int = SWEEP_BATCH) -> int:
    """Hand the given messages (or every unsent one) to the broker, oldest first, until it refuses
    one; how many it accepted."""
    pending = OutboxMessage.objects.filter(sent_at=None, done_at=None).order_by("id")
    if ids is not None:
        pending = pending.filter(pk__in=list(ids))
    accepted = 0
    for message in pending[:limit]:
        if not _hand_over(message):
            break  # the broker is down: the rest wait for the sweep
        accepted += 1
    return accepted


def sweep() -> int:
    """The periodic job: relay every message the broker has not accepted yet."""
    accepted = relay()
    if accepted:
        log.info("outbox sweep: %d messages handed to the broker", accepted)
    return accepted


def resend(ids) -> int:
    """The office's retry of messages not done (a job that failed, a message the broker lost)."""
    ids = list(ids)
    count = OutboxMessage.objects.filter(pk__in=ids, done_at=None).update(sent_at=None)
    transaction.on_commit(lambda: relay(ids))
    return count


def mark_done(outbox_id: int) -> bool:
    """Compare-and-set: True for the one delivery that finishes the message."""
    return bool(
        OutboxMessage.objects.filter(pk=outbox_id, done_at=None).update(done_at=timezone.now(), last_error="")
    )


def consumer(func):
    """Make a task an outbox consumer: accepts ``outbox_id``, skips a done message, marks it done after."""

    @functools.wraps(func)
    def run(*args, outbox_id: int | None = None, **kwargs):
        if outbox_id is None:  # run by hand or by beat, not from the outbox
            return func(*args, **kwargs)
        if OutboxMessage.objects.filter(pk=outbox_id).exclude(done_at=None).exists():
            log.info("outbox #%s already done: skipped", outbox_id)
            return None
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            OutboxMessage.objects.filter(pk=outbox_id, done_at=None).update(
                last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            raise
        if not mark_done(outbox_id):
            log.info("outbox #%s finished by another delivery first", outbox_id)
        return result

    return run
