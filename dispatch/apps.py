from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "周调度与月通报"

    def ready(self):
        # Connects the receiver that enqueues the announcement of a published bulletin.
        from dispatch import tasks  # noqa: F401, PLC0415 - the app registry must be ready first
