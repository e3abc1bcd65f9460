from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "accountability"
    verbose_name = "督办问责"

    def ready(self):
        # tasks cannot import accountability (it sits below): the ledger emits events, this app listens.
        from accountability import services  # noqa: PLC0415 - the app registry must be ready first
        from tasks import events  # noqa: PLC0415

        events.connect(services.lift_on_signoff)
