from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "accountability"
    verbose_name = "督办问责"

    def ready(self):
        # tasks cannot import accountability (it sits below): the ledger sends hooks, this app listens.
        from accountability import services  # noqa: PLC0415 - the app registry must be ready first
        from tasks.services import hooks  # noqa: PLC0415

        hooks.signed_off.connect(services.lift_on_signoff, dispatch_uid="accountability_lift_on_signoff")
