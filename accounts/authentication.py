"""``Authorization: Token <key>`` for the API: a key whose hash names an ``ApiToken`` not expired or revoked."""

import datetime

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, hash_key

# Writing last_used_at on every call would make each API request a write; once a minute is enough.
LAST_USED_GRANULARITY = datetime.timedelta(minutes=1)


class ExpiringTokenAuthentication(authentication.BaseAuthentication):
    """Refuses, 401 in Chinese, a token unknown, expired, revoked or of an inactive account.

    ``authenticate_header`` answers ``Token``, so an anonymous caller gets 401 with ``WWW-Authenticate``.
    """

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("令牌格式错误：应为 “Authorization: Token 令牌”")
        try:
            key = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("令牌无效") from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str):
        # key_hash is unique: one row or none, read without an ORDER BY (the model's, or first()'s).
        found = (
            ApiToken.objects.select_related("user", "user__membership")
            .filter(key_hash=hash_key(key))
            .order_by()[:1]
        )
        token = next(iter(found), None)
        if token is None:
            raise exceptions.AuthenticationFailed("令牌无效")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                f"令牌已撤销（{token.get_revoked_reason_display()}），请重新获取"
            )
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("令牌已过期，请重新获取")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("账户已停用")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """The schema's description of the scheme: ``Authorization: Token <key>``."""

    target_class = ExpiringTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
