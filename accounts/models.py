"""API tokens that expire and can be revoked; only a hash of each key is stored."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


class RevokeReason(models.TextChoices):
    MANUAL = "manual", "手动撤销"
    LOGOUT = "logout", "退出登录"
    PASSWORD = "password", "修改密码"
    ROLE = "role", "角色或权限变更"
    DEACTIVATED = "deactivated", "账户停用"


def hash_key(key: str) -> str:
    """The SHA-256 of a token's key, as stored: the key itself is shown once and never kept."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        """Neither revoked nor expired, now."""
        return self.filter(revoked_at=None, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """One key for the API (``Authorization: Token <key>``), valid until ``expires_at`` unless revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="用户"
    )
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True, editable=False)
    prefix = models.CharField("令牌前缀", max_length=8, editable=False)
    created_at = models.DateTimeField("签发时间", default=timezone.now, editable=False)
    expires_at = models.DateTimeField("到期时间", editable=False)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True, editable=False)
    revoked_reason = models.CharField(
        "撤销原因", max_length=20, choices=RevokeReason.choices, blank=True, editable=False
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "API 令牌"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked")]

    def __str__(self):
        return f"{self.prefix}… · {self.user}"

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"

    @property
    def state_label(self) -> str:
        return {"revoked": "已撤销", "expired": "已过期", "active": "有效"}[self.state]
