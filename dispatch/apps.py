from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "周调度与月通报"

    def ready(self):
        # The ledger's services emit events (tasks.events); dispatch.events tells who is concerned.
        from rectify.celery import app  # noqa: PLC0415

        # Every app's Celery tasks registered now, not when a worker starts: the outbox and the
        # tests name them in this process (autodiscovery is otherwise lazy).
        app.autodiscover_tasks(force=True)
        from dispatch import handovers, urging  # noqa: PLC0415
        from dispatch.events import on_event  # noqa: PLC0415 - the app registry must be ready first
        from tasks.events import connect  # noqa: PLC0415

        connect(on_event)
        connect(urging.on_event)  # a report answers the assignment's open urges
        from dispatch.instructions import workbook_sheet  # noqa: PLC0415
        from reports.weekly import add_sheet  # noqa: PLC0415

        add_sheet(workbook_sheet)  # the weekly workbook's 领导批示 sheet
        connect(handovers.on_event)  # a new assignment, a reopening: the unit is to acknowledge (签收)
