"""The ledger's Celery job: a signed checkpoint of the audit chain's head (beat, hourly by default).

A leaf like every tasks module: it calls the service and nothing imports it.
"""

from celery import shared_task

from tasks.services.audit_checks import write_checkpoint


@shared_task(name="tasks.audit_checkpoint", acks_late=True, reject_on_worker_lost=True)
def audit_checkpoint() -> str:
    """Write the head as a checkpoint file (idempotent: the same head writes the same file once)."""
    path = write_checkpoint()
    return str(path) if path else ""
