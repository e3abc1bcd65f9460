"""Writing and verifying the hash-chained audit trail."""

import datetime
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.forms.models import model_to_dict

from tasks import clock
from tasks.models import AuditEntry, AuditHead
from tasks.models.audit import GENESIS


def snapshot(instance, fields=None) -> dict:
    """A JSON-ready dict of a model instance's concrete fields (files as their names)."""
    data = model_to_dict(instance, fields=fields)
    for field in instance._meta.concrete_fields:
        if (
            field.name in data
            and hasattr(data[field.name], "name")
            and field.get_internal_type() == "FileField"
        ):
            data[field.name] = data[field.name].name
    data["id"] = instance.pk
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def record(
    *, actor, action: str, instance, before: dict | None, after: dict | None, assignment=None, note: str = ""
):
    """Append one entry to the chain. Must run inside the transaction that made the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic()")
    head, _ = AuditHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
    head = AuditHead.objects.select_for_update().get(pk=head.pk)
    entry = AuditEntry(
        # In UTC, as the database gives it back, so the hash verifies after a round trip.
        at=clock.now().astimezone(datetime.UTC),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        model=instance._meta.label_lower,
        object_id=str(instance.pk),
        assignment=assignment,
        before=before,
        after=after,
        note=note,
        prev_hash=head.last_hash,
    )
    # Round-trip through JSON so the hash is computed on what the database stores.
    entry.before = json.loads(json.dumps(before, cls=DjangoJSONEncoder)) if before is not None else None
    entry.after = json.loads(json.dumps(after, cls=DjangoJSONEncoder)) if after is not None else None
    entry.at = entry.at.replace(microsecond=(entry.at.microsecond // 1000) * 1000)
    entry.hash = entry.compute_hash()
    entry.save()
    head.last_hash = entry.hash
    head.save(update_fields=["last_hash"])
    return entry


def verify_chain() -> tuple[int, AuditEntry | None, str]:
    """Walk the chain in order. Returns (entries checked, first broken entry or None, reason)."""
    prev = GENESIS
    count = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return count, entry, "前一条摘要不符（记录被删除或插入）"
        if entry.compute_hash() != entry.hash:
            return count, entry, "内容与摘要不符（记录被改动）"
        prev = entry.hash
        count += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.last_hash != prev:
        return count, None, "链尾与链头不符（末尾记录被删除）"
    return count, None, ""
