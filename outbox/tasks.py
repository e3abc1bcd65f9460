"""The sweep: relays every outbox message the broker has not accepted yet (beat, every minute)."""

from celery import shared_task

from outbox import services


@shared_task(name="outbox.sweep", ignore_result=True)
def sweep_task():
    return services.sweep()
