"""Delivering messages exactly once: an inbox row per (job, period, user), then email after commit.

``deliver(job, period, kind, messages)`` stores one ``Notification`` per recipient.
The unique constraint on (job, period, user) is the exactly-once key: a second run,
a redelivered task message or a second beat tick finds the rows there and creates
nothing (``bulk_create(ignore_conflicts=True)``; two concurrent runs meet at the
unique index and one of them skips).

Email goes out through the outbox (``outbox.services.enqueue``): a run that stores new
rows writes, in the same transaction, a ``dispatch.send_emails`` message for its job and
period, relayed to a worker after commit (and by the sweep while the broker is down).
That task emails every row of the job and period not emailed yet, and is retried when
the mail server fails, so a failure midway is completed by the retry. Each email is
claimed with a compare-and-set update of ``emailed_at`` *before* it is sent: of two workers only one claims a message, and a retry never sends it again.
A send that fails with an error releases the claim so the retry sends it; a worker
killed between claim and send loses that one email (the inbox row stays). We chose
at most once for email over at least once: a duplicate official notice is worse
than one the user still finds in the inbox.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from dispatch.models import Notification
from outbox.services import enqueue
from tasks import clock
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


EMAIL_TASK = "dispatch.send_emails"  # dispatch/tasks.py: send_pending(job, period)


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


def deliver(job: str, period: str, kind: str, messages: list[Message], *, email: bool = True) -> Delivery:
    """Store the messages not stored yet for this job and period; email them through the outbox.

    ``email=False``: the caller sends them on its own channels (``dispatch.events.announce``).
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
        if new and email and _emailing.get():
            enqueue(EMAIL_TASK, job, period)
    wanted = {m.user_id for m in messages}
    return Delivery(created=after - len(before), existing=len(before & wanted))


def send_pending(job: str, period: str) -> int:
    """Email every message of the job and period not emailed yet to users with an address.

    Returns how many were sent. Rows deleted meanwhile are skipped (the claim matches nothing).
    """
    pending = (
        Notification.objects.filter(job=job, period=period, emailed_at=None, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("id")
    )
    sent = 0
    for note in pending:
        if not Notification.objects.filter(pk=note.pk, emailed_at=None).update(emailed_at=clock.now()):
            continue  # another worker claimed it, or it is gone
        try:
            send_mail(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [note.user.email])
        except Exception:
            Notification.objects.filter(pk=note.pk).update(emailed_at=None)
            raise
        sent += 1
    if sent:
        log.info("dispatch %s %s: %d emails sent", job, period, sent)
    return sent
