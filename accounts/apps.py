from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in safety: the login lockout, API tokens that expire and are revoked."""

    name = "accounts"
    verbose_name = "账户与令牌"

    def ready(self):
        from accounts import signals  # noqa: PLC0415 - the app registry must be ready first

        signals.connect()
