"""The reports app's Celery task: the background export (``reports.exports``), named by outbox messages."""

from celery import shared_task

from outbox.services import consumer
from reports import exports


@shared_task(name=exports.TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
@consumer
def build_export_task(job_id: int):
    return exports.build(job_id)
