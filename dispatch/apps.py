from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "周调度与月通报"

    def ready(self):
        # The ledger's services emit events (tasks.events); dispatch.events tells who is concerned.
        import dispatch.tasks  # noqa: F401, PLC0415 - registers the Celery tasks the outbox names
        from dispatch.events import on_event  # noqa: PLC0415 - the app registry must be ready first
        from tasks.events import connect  # noqa: PLC0415

        connect(on_event)
