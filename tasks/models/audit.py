"""Append-only, hash-chained audit trail of every change to the ledger.

Each entry's ``hash`` covers its content and the previous entry's hash. Entries written since
scheme 2 are keyed: an HMAC-SHA256 with ``settings.AUDIT_KEY``, a secret kept outside the
database, so whoever can write the tables cannot recompute the chain after an edit. Entries
written before (scheme 1) keep their plain SHA-256, so a chain that existed before the key did
still verifies; a scheme-1 entry after a scheme-2 one is refused (see ``services/audit.py``).
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

GENESIS = "0" * 64

LEGACY_SHA256 = 1  # plain SHA-256, before the audit key existed
KEYED_HMAC = 2  # HMAC-SHA256 with settings.AUDIT_KEY


def audit_key() -> bytes:
    """The secret the chain is keyed with (``AUDIT_KEY``, from the environment, never stored in the database)."""
    return settings.AUDIT_KEY.encode()


class AuditEntry(models.Model):
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    action = models.CharField("操作", max_length=50)
    model = models.CharField("对象类型", max_length=50)
    object_id = models.CharField("对象编号", max_length=40)
    assignment = models.ForeignKey(
        "tasks.Assignment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit",
        verbose_name="台账",
    )
    before = models.JSONField("变更前", null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField("变更后", null=True, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField("说明", blank=True)
    prev_hash = models.CharField("前一条摘要", max_length=64)
    hash = models.CharField("摘要", max_length=64, unique=True)
    scheme = models.PositiveSmallIntegerField(
        "摘要算法",
        default=KEYED_HMAC,
        choices=[(LEGACY_SHA256, "SHA-256（旧记录）"), (KEYED_HMAC, "HMAC-SHA256（密钥）")],
    )

    class Meta:
        verbose_name = verbose_name_plural = "操作记录"
        ordering = ["id"]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.model}:{self.object_id}"

    def compute_hash(self) -> str:
        payload = {
            "prev": self.prev_hash,
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "action": self.action,
            "model": self.model,
            "object_id": str(self.object_id),
            "assignment": self.assignment_id,
            "before": self.before,
            "after": self.after,
            "note": self.note,
        }
        canonical = json.dumps(
            payload, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder, separators=(",", ":")
        )
        if self.scheme == LEGACY_SHA256:
            return hashlib.sha256(canonical.encode()).hexdigest()
        return hmac.new(audit_key(), canonical.encode(), hashlib.sha256).hexdigest()


class AuditHead(models.Model):
    """A single row locked while appending, so concurrent writers never fork the chain."""

    last_hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        verbose_name = verbose_name_plural = "操作记录链头"

    def __str__(self) -> str:
        return self.last_hash[:12]
