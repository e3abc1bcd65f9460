"""Append-only, hash-chained audit trail of every change to the ledger."""

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

GENESIS = "0" * 64


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
        return hashlib.sha256((canonical).encode()).hexdigest()


class AuditHead(models.Model):
    """A single row locked while appending, so concurrent writers never fork the chain."""

    last_hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        verbose_name = verbose_name_plural = "操作记录链头"

    def __str__(self) -> str:
        return self.last_hash[:12]
