"""What the hash chain alone cannot show: checkpoints kept outside the database, and the ledger
rebuilt from the trail.

A keyed chain stops anyone without ``AUDIT_KEY`` from re-hashing it, but whoever can delete rows
can still cut its tail and move the head back. Checkpoints close that gap: ``write_checkpoint``
writes the head (entry number, hash, count) as a JSON file signed with the key under
``AUDIT_CHECKPOINT_DIR`` — a folder the database's owner cannot write (hourly by beat, and by
``verify_audit --checkpoint``); ``verify_checkpoints`` checks each file against the chain. The
short code printed on each bulletin and 销号单 (``audit.short_code``) is a checkpoint on paper.

``rebuild_differences`` replays every assignment's entries (their ``before`` fills what the
trail has not yet set, their ``after`` moves it on) and names each row whose stored fields
differ: an edit of the ledger in SQL that skipped the services.
"""

import datetime
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Max
from django.utils.dateparse import parse_datetime

from tasks import clock
from tasks.choices import Status
from tasks.models import Assignment, AuditEntry
from tasks.models.audit import audit_key
from tasks.services.transitions import AUDITED_FIELDS

CHUNK = 500  # assignments replayed at a time: memory stays flat whatever the trail's length

# What a row holds before its first entry (an imported assignment nobody has touched).
INITIAL = {
    "status": Status.NOT_STARTED.value,
    "version": 1,
    "extended_due_date": None,
    "phase": 1,
    "percent": 0,
    "last_report_week_start": None,
    "signed_off_at": None,
    "next_review_date": None,
}


def _sign(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(audit_key(), b"checkpoint:" + canonical.encode(), hashlib.sha256).hexdigest()


def checkpoint_dir() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def write_checkpoint() -> Path | None:
    """Write the chain's head as a signed file; None while the chain is empty. Idempotent per head."""
    head = AuditEntry.objects.order_by("-id").only("id", "hash").first()
    if head is None:
        return None
    payload = {
        "entry": head.pk,
        "hash": head.hash,
        "count": AuditEntry.objects.filter(pk__lte=head.pk).count(),
        "written_at": clock.now().astimezone(datetime.UTC).isoformat(),
    }
    folder = checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"audit-{head.pk:012d}.json"
    if path.exists():
        return path
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({**payload, "signature": _sign(payload)}, ensure_ascii=False))
    os.replace(temporary, path)
    return path


@dataclass(frozen=True)
class Problem:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}：{self.reason}"


def verify_checkpoints() -> tuple[int, list[Problem]]:
    """Check every checkpoint file against the chain: (files checked, problems)."""
    folder = checkpoint_dir()
    if not folder.is_dir():
        return 0, []
    problems, checked = [], 0
    last = AuditEntry.objects.aggregate(last=Max("id"))["last"] or 0
    for path in sorted(folder.glob("audit-*.json")):
        checked += 1
        where = f"检查点 {path.name}"
        try:
            stored = json.loads(path.read_text())
            signature = stored.pop("signature")
            number, digest, count = int(stored["entry"]), stored["hash"], int(stored["count"])
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(Problem(where, "文件无法读取"))
            continue
        if not hmac.compare_digest(signature, _sign(stored)):
            problems.append(Problem(where, "签名不符（检查点文件被改动）"))
            continue
        entry = AuditEntry.objects.filter(pk=number).only("id", "hash").first()
        if entry is None:
            reason = "末尾记录被删除（链被截断）" if number > last else "该条记录被删除"
            problems.append(Problem(where, f"检查点记录的第 {number} 条已不存在，{reason}"))
        elif not hmac.compare_digest(entry.hash, digest):
            problems.append(Problem(where, f"第 {number} 条的摘要与检查点不符（此前的记录被改写并重算摘要）"))
        elif AuditEntry.objects.filter(pk__lte=number).count() != count:
            problems.append(Problem(where, f"第 {number} 条及以前的记录数与检查点不符（记录被删除）"))
    return checked, problems


def verify_code(code: str) -> str:
    """Check a short code printed on a bulletin or 销号单; the reason it fails, or ""."""
    number, _, prefix = (code or "").strip().partition("-")
    if not number.isdigit() or len(prefix) < 6:
        return f"校验码“{code}”格式不对，应为“条目号-摘要前十位”"
    entry = AuditEntry.objects.filter(pk=int(number)).only("hash").first()
    if entry is None:
        return f"校验码指向的第 {number} 条记录已不存在"
    if not entry.hash.startswith(prefix.lower()):
        return f"第 {number} 条记录的摘要与校验码不符（记录被改写）"
    return ""


def _same(field: str, stored, from_trail) -> bool:
    if field == "signed_off_at":
        # Snapshots keep milliseconds and the writer's offset; compare instants.
        trail_at = parse_datetime(from_trail) if isinstance(from_trail, str) else from_trail
        if stored is None or trail_at is None:
            return stored is None and trail_at is None
        return abs(stored - trail_at) < datetime.timedelta(milliseconds=1)
    return json.loads(json.dumps(stored, cls=DjangoJSONEncoder)) == from_trail


@dataclass(frozen=True)
class Difference:
    assignment_id: int
    field: str
    stored: object
    from_trail: object

    def __str__(self) -> str:
        return f"台账 #{self.assignment_id} 的 {self.field}：库中为 {self.stored!r}，按操作记录应为 {self.from_trail!r}"


def rebuild_differences():
    """Yield each assignment field whose stored value differs from the trail's replay."""
    model = Assignment._meta.label_lower
    after_pk = 0
    while True:
        rows = list(
            Assignment.with_retired.filter(pk__gt=after_pk)
            .order_by("pk")
            .values("pk", *AUDITED_FIELDS)[:CHUNK]
        )
        if not rows:
            return
        after_pk = rows[-1]["pk"]
        states = {row["pk"]: dict(INITIAL) for row in rows}
        entries = (
            AuditEntry.objects.filter(model=model, object_id__in=[str(pk) for pk in states])
            .order_by("id")
            .values_list("object_id", "before", "after")
        )
        for object_id, before, after in entries.iterator(chunk_size=2000):
            state = states[int(object_id)]
            for field, value in (before or {}).items():
                state.setdefault(field, value)
            state.update(after or {})
        for row in rows:
            state = states[row["pk"]]
            for field in AUDITED_FIELDS:
                if field in state and not _same(field, row[field], state[field]):
                    yield Difference(row["pk"], field, row[field], state[field])
