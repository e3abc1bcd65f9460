"""The Celery tasks: thin wrappers that take periods or ids and call the services.

A leaf: this module imports the services, never the reverse. A service that needs a task
after its commit writes an outbox message naming it (``outbox.services.enqueue``), in its
own transaction; the outbox relays it after commit and its sweep until the broker accepts.
Tasks that outbox messages name are ``@consumer``: done once per message.

Every task acknowledges late and is re-queued if its worker dies
(``acks_late``/``reject_on_worker_lost``, also the app defaults), retries only
transient errors (a lost database connection, the mail server, the network) with
exponential backoff and jitter capped at ``RETRY_BACKOFF_MAX`` (below the broker's
visibility timeout), and is safe to run twice: the services are idempotent.
A beat tick carries no arguments: the task names the period when it runs (a tick
older than its ``expires`` is dropped, so it cannot drift into the next period).
"""

import logging
import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError

from dispatch import bulletin, channels, services
from dispatch.periods import parse_day, previous_month
from outbox.services import consumer
from rectify.schedule import MAX_RETRIES, RETRY_BACKOFF_MAX
from reports import exports
from tasks.weeks import today, week_of

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, smtplib.SMTPException, ConnectionError, TimeoutError)

OPTIONS = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": MAX_RETRIES,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


def _log(result):
    log.info(
        "dispatch %s: %d messages created, %d existed, %d units",
        result.period,
        result.messages.created,
        result.messages.existing,
        result.units,
    )
    return {"period": result.period, "created": result.messages.created, "existing": result.messages.existing}


@shared_task(name="dispatch.weekly", **OPTIONS)
def dispatch_weekly_task(week: str | None = None):
    return _log(services.dispatch_weekly(week or week_of(today())))


@shared_task(name="dispatch.chase_reports", **OPTIONS)
def chase_reports_task(week: str | None = None):
    return _log(services.chase_reports(week or week_of(today())))


@shared_task(name="dispatch.warn_deadlines", **OPTIONS)
def warn_deadlines_task(date: str | None = None):
    day = parse_day(date) if date else today()
    return _log(services.warn_deadlines(day))


@shared_task(name="dispatch.make_bulletin", **OPTIONS)
def make_bulletin_task(month: str | None = None):
    month = month or previous_month(today())
    made, changed, delivery = bulletin.make_bulletin(month)
    log.info(
        "bulletin %s: %s; %d messages created, %d existed",
        month,
        "made" if changed else "already there",
        delivery.created,
        delivery.existing,
    )
    return {
        "period": month,
        "bulletin": made.pk,
        "created": delivery.created,
        "existing": delivery.existing,
    }


@shared_task(name=bulletin.BUILD_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
@consumer
def build_bulletin_task(job_id: int):
    """A draft asked for on the 月通报 page, made in the background (``dispatch.bulletin.start_draft``)."""
    return exports.build(job_id, bulletin.build_draft)


@shared_task(name="dispatch.announce_bulletin", **OPTIONS)
@consumer
def announce_bulletin_task(bulletin_id: int):
    """After publication: tell office and leaders. A bulletin deleted (or unpublished) meanwhile is skipped."""
    delivery = bulletin.announce_bulletin(bulletin_id)
    return {"bulletin": bulletin_id, "created": delivery.created, "existing": delivery.existing}


@shared_task(
    name="dispatch.send_delivery", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
@consumer
def send_delivery_task(self, log_id: int):
    """One message on one external channel (outbox): tried, retried with backoff, then failed for good.

    The attempts are counted on the ``DeliveryLog`` row (``CHANNEL_MAX_ATTEMPTS``), not by Celery.
    """
    status, wait = channels.send_delivery(log_id)
    if wait is not None:
        raise self.retry(countdown=wait)
    return {"delivery": log_id, "status": status}


@shared_task(
    name="dispatch.send_emails", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
@consumer
def send_emails_task(self, log_ids: list[int]):
    """A batch of e-mail deliveries over one SMTP connection (outbox): those that fail are retried with
    backoff, then failed for good (``CHANNEL_MAX_ATTEMPTS``, counted on each ``DeliveryLog`` row)."""
    sent, wait = channels.send_emails(log_ids)
    if wait is not None:
        raise self.retry(countdown=wait)
    return {"deliveries": len(log_ids), "sent": sent}
