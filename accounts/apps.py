from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in safety: the login lockout, API tokens that expire and are revoked."""

    name = "accounts"
    verbose_name = "账户与令牌"
