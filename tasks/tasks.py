"""The ledger's Celery jobs: a signed checkpoint of the audit chain's head (beat, hourly by default)
and the freeze of the month that has just ended (beat, on the 1st, before the bulletin).

A leaf like every tasks module: it calls the services and nothing imports it.
"""

from celery import shared_task

from tasks.services import history
from tasks.services.audit_checks import write_checkpoint


@shared_task(name="tasks.audit_checkpoint", acks_late=True, reject_on_worker_lost=True)
def audit_checkpoint() -> str:
    """Write the head as a checkpoint file (idempotent: the same head writes the same file once)."""
    path = write_checkpoint()
    return str(path) if path else ""


@shared_task(name="tasks.freeze_month_end", acks_late=True, reject_on_worker_lost=True)
def freeze_month_end() -> int:
    """Freeze every assignment's state at the end of the month that has ended (idempotent); the rows."""
    frozen = history.freeze(history.last_month_end())
    return frozen.rows if frozen else 0
