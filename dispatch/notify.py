"""Delivering messages exactly once: an inbox row per (job, period, user), the other channels after commit.

``deliver(job, period, kind, messages)`` stores one ``Notification`` per recipient.
The unique constraint on (job, period, user) is the exactly-once key: a second run,
a redelivered task message or a second beat tick finds the rows there and creates
nothing (``bulk_create(ignore_conflicts=True)``; two concurrent runs meet at the
unique index and one of them skips).

In the same transaction it writes the messages' external deliveries (``dispatch.channels.queue``):
an e-mail to each recipient with an address, and, for a message to a whole unit (``group``), its
group robot and phones as the office set them (``ChannelSetting``). Each is a ``DeliveryLog`` row
keyed by (channel, job, period, target), sent after commit by a Celery task named in the outbox,
retried with backoff and finally marked failed; the office reads them at ``/deliveries/``. The
jobs (周调度, 催报, 到期预警, 月通报) and the events (``dispatch.events``) leave by this one path.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from dispatch import channels
from dispatch.models import Notification
from tasks.models.people import Membership
from tasks.policy import OFFICE_RECIPIENTS, OVERSIGHT_RECIPIENTS, UNIT

log = logging.getLogger(__name__)

# False inside ``inbox_only()``: messages are stored, never emailed.
_emailing: ContextVar[bool] = ContextVar("dispatch_emailing", default=True)


@contextmanager
def inbox_only() -> Iterator[None]:
    """Store the block's messages in the inbox without emailing them (the demo replaying 2017)."""
    token = _emailing.set(False)
    try:
        yield
    finally:
        _emailing.reset(token)


def emailing() -> bool:
    """False inside ``inbox_only()``: no email, robot or text leaves for the block's messages."""
    return _emailing.get()


@dataclass
class Message:
    user_id: int
    subject: str
    body: str
    unit_id: int | None = None
    link: str = ""  # the page where the recipient acts


@dataclass
class Delivery:
    """What a run did: messages created now and messages that already existed."""

    created: int = 0
    existing: int = 0

    def __iadd__(self, other):
        self.created += other.created
        self.existing += other.existing
        return self


def unit_recipients(unit_ids) -> dict[int, list[int]]:
    """Each unit's liaisons and unit leaders (active users), by unit id (one query)."""
    members = (
        Membership.objects.filter(unit_id__in=list(unit_ids), role__in=list(UNIT), user__is_active=True)
        .order_by("unit_id", "user_id")
        .values_list("unit_id", "user_id")
    )
    recipients: dict[int, list[int]] = {}
    for unit_id, user_id in members:
        recipients.setdefault(unit_id, []).append(user_id)
    return recipients


def office_recipients(*, leaders: bool) -> list[int]:
    """Office staff, and leaders if asked (active users), by user id (one query)."""
    roles = list(OVERSIGHT_RECIPIENTS if leaders else OFFICE_RECIPIENTS)
    return list(
        Membership.objects.filter(role__in=roles, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def deliver(
    job: str,
    period: str,
    kind: str,
    messages: list[Message],
    *,
    emails: dict[int, str] | None = None,
    group: bool = False,
) -> Delivery:
    """Store the messages not stored yet for this job and period; write their external deliveries.

    ``emails``: the recipients' addresses when the caller has them (else read, one query).
    ``group``: each message is for its whole unit (liaisons and leaders): the unit's robot and
    phones get it too. Inside ``inbox_only()`` nothing but the inbox is written.
    """
    with transaction.atomic():
        before = set(Notification.objects.filter(job=job, period=period).values_list("user_id", flat=True))
        new = [m for m in messages if m.user_id not in before]
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=m.user_id,
                    unit_id=m.unit_id,
                    kind=kind,
                    job=job,
                    period=period,
                    subject=m.subject,
                    body=m.body,
                    link=m.link,
                )
                for m in new
            ],
            ignore_conflicts=True,
        )
        after = Notification.objects.filter(job=job, period=period).count() if new else len(before)
        if messages and _emailing.get():
            if emails is None:
                emails = dict(
                    get_user_model()
                    .objects.filter(pk__in=sorted({m.user_id for m in messages}), is_active=True)
                    .exclude(email="")
                    .values_list("pk", "email")
                )
            channels.queue(job, period, messages, emails, group=group)
    wanted = {m.user_id for m in messages}
    return Delivery(created=after - len(before), existing=len(before & wanted))
