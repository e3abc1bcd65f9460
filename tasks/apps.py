from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "整改台账"

    def ready(self):
        from tasks import signals  # noqa: PLC0415 - the app registry must be ready first

        signals.connect()
