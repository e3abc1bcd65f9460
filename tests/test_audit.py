"""The audit trail: every API write leaves entries with actor, time, before and after,
chained by hashes so that ``verify_audit`` notices an entry changed in the database."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tasks.models import Assignment, AuditEntry, AuditHead
from tests.helpers import ROOT, row, run_python

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def trail_scene(module_db, module_people, django_db_blocker):
    """Task 17 carried to sign-off through the API once for the module (``module_db``): a chain of a
    dozen entries, which each test reads or breaks in its own savepoint."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    def api(username):
        client = APIClient()
        client.force_authenticate(get_user_model().objects.get(username=username))
        return client

    with django_db_blocker.unblock():
        a = row()
        base = f"/api/assignments/{a.pk}/"
        report = {"week": "2017-W40", "text": "推进", "percent": "60"}
        assert api("alice").post(base + "reports/", report).status_code == 201
        pdf = SimpleUploadedFile("佐证.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
        assert api("alice").post(base + "signoff/", {"summary": "到位", "evidence": [pdf]}).status_code == 201
        assert api("bob").post(base + "approve/", {"opinion": "同意"}, format="json").status_code == 200
        assert api("olga").post(base + "approve/", {"opinion": "同意销号"}, format="json").status_code == 200
    return a.pk


@pytest.fixture
def trail(trail_scene, db):
    return Assignment.objects.get(pk=trail_scene)


def verify():
    return verify_with()


def verify_with(*args):
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def test_each_write_is_audited_with_actor_before_and_after(trail, liaison, unit_leader, office):
    entries = list(AuditEntry.objects.filter(assignment=trail).order_by("id"))
    summary = [(e.action, e.actor, e.model) for e in entries]
    assert summary == [
        ("report", liaison, "tasks.assignment"),
        ("create_report", liaison, "tasks.progressreport"),
        ("request_signoff", liaison, "tasks.assignment"),
        ("create_signoff", liaison, "tasks.signoffrequest"),
        ("approve", unit_leader, "tasks.assignment"),
        ("check_signoff", unit_leader, "tasks.signoffrequest"),
        ("approve", office, "tasks.assignment"),
        ("check_signoff", office, "tasks.signoffrequest"),
    ]
    first_check = entries[5]
    assert (first_check.before["status"], first_check.after["status"]) == ("pending", "unit_verified")
    assert first_check.after["unit_opinion"] == "同意" and first_check.note == "同意"
    sign_off = entries[6]
    assert (sign_off.before["status"], sign_off.after["status"]) == ("unit_verified", "signed_off")
    assert sign_off.after["version"] == sign_off.before["version"] + 1


def test_an_intact_chain_passes(trail):
    assert verify() == (
        f"操作记录链完好：共 {AuditEntry.objects.count()} 条\n"
        f"检查点：{settings.AUDIT_CHECKPOINT_DIR} 下尚无检查点\n"
        "台账与操作记录一致\n"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"note": "改过的意见"},
        {"after": {"status": "signed_off", "version": 99}},
        {"actor": None},
        {"action": "reject"},
    ],
)
def test_an_entry_altered_in_the_database_is_named(trail, change):
    target = AuditEntry.objects.filter(assignment=trail).order_by("id")[4]
    AuditEntry.objects.filter(pk=target.pk).update(**change)
    with pytest.raises(CommandError) as failure:
        verify()
    message = str(failure.value)
    assert "内容与摘要不符（记录被改动）" in message
    assert f"第一条损坏的记录：#{target.pk}（" in message


def test_a_forged_hash_breaks_the_next_link(trail):
    """Recomputing the altered entry's own hash does not help: the next entry still points at the old one."""
    entries = list(AuditEntry.objects.filter(assignment=trail).order_by("id"))
    target, following = entries[2], entries[3]
    target.note = "伪造"
    AuditEntry.objects.filter(pk=target.pk).update(note=target.note, hash=target.compute_hash())
    with pytest.raises(CommandError) as failure:
        verify()
    assert "前一条摘要不符" in str(failure.value) and f"#{following.pk}（" in str(failure.value)


def test_a_deleted_entry_is_noticed(trail):
    entries = list(AuditEntry.objects.order_by("id"))
    AuditEntry.objects.filter(pk=entries[3].pk).delete()
    with pytest.raises(CommandError) as failure:
        verify()
    assert "前一条摘要不符（记录被删除或插入）" in str(failure.value) and f"#{entries[4].pk}（" in str(
        failure.value
    )


def test_a_deleted_last_entry_is_noticed(trail):
    AuditEntry.objects.filter(pk=AuditEntry.objects.order_by("-id").first().pk).delete()
    with pytest.raises(CommandError) as failure:
        verify()
    assert "链尾与链头不符" in str(failure.value)
    assert AuditHead.objects.get().last_hash != AuditEntry.objects.order_by("-id").first().hash


def test_the_history_endpoint_is_read_only(api, trail, office):
    count = AuditEntry.objects.count()
    for method in ("post", "put", "patch", "delete"):
        response = getattr(api(office), method)(f"/api/assignments/{trail.pk}/history/", {}, format="json")
        assert response.status_code == 405 and response.json()["detail"] == "不支持该请求方法"
    assert AuditEntry.objects.count() == count
    assert api(office).delete(f"/api/assignments/{trail.pk}/").status_code == 405
    assert Assignment.objects.filter(pk=trail.pk).exists()


def test_an_entry_written_on_a_local_clock_still_verifies(liaison, monkeypatch):
    """The clock may give Asia/Shanghai time (the demo's frozen clock does); the hash must survive the database."""
    import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from tasks.services import ledger

    shanghai = datetime.datetime(2017, 10, 9, 10, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: shanghai)
    ledger.submit_report(row(3).pk, actor=liaison, week="2017-W41", text="推进", percent=20)

    entry = AuditEntry.objects.latest("id")
    assert entry.at == shanghai.replace(microsecond=123000)
    assert "操作记录链完好" in verify()


# The chain is keyed, checkpointed outside the database and compared with the ledger (issue 14).


def forge(entries, *, scheme=None):
    """What a database owner without AUDIT_KEY can do: rewrite entries and recompute every hash
    after them in plain SHA-256, moving the head along."""
    import hashlib
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    prev = (
        AuditEntry.objects.filter(pk__lt=entries[0].pk).order_by("-id").values_list("hash", flat=True).first()
    )
    for entry in entries:
        entry.prev_hash = prev or "0" * 64
        if scheme is not None:
            entry.scheme = scheme
        payload = {
            "prev": entry.prev_hash,
            "at": entry.at.isoformat(),
            "actor": entry.actor_id,
            "action": entry.action,
            "model": entry.model,
            "object_id": str(entry.object_id),
            "assignment": entry.assignment_id,
            "before": entry.before,
            "after": entry.after,
            "note": entry.note,
        }
        canonical = json.dumps(
            payload, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder, separators=(",", ":")
        )
        entry.hash = hashlib.sha256(canonical.encode()).hexdigest()
        AuditEntry.objects.filter(pk=entry.pk).update(
            prev_hash=entry.prev_hash, hash=entry.hash, scheme=entry.scheme, note=entry.note
        )
        prev = entry.hash
    AuditHead.objects.update(last_hash=prev)


def failure_of(*args) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", *args, stdout=out)
    return str(failure.value)


def test_an_edit_rehashed_without_the_key_is_named(trail):
    entries = list(AuditEntry.objects.order_by("id"))
    target = entries[-4]
    target.note = "改过的意见"
    forge(entries[-4:])
    message = failure_of()
    assert "内容与摘要不符（记录被改动）" in message and f"第一条损坏的记录：#{target.pk}（" in message


def test_an_edit_rehashed_as_old_unkeyed_entries_is_named(trail):
    """Marking the rewritten entries as written before the key existed does not avoid it."""
    entries = list(AuditEntry.objects.order_by("id"))
    target = entries[-3]
    target.note = "改过的意见"
    forge(entries[-3:], scheme=1)
    message = failure_of()
    assert "密钥摘要之后出现未加密钥的记录" in message and f"#{target.pk}（" in message


def test_a_chain_written_before_the_key_still_verifies_and_goes_on_keyed(trail, liaison):
    old = list(AuditEntry.objects.order_by("id"))
    forge(old, scheme=1)  # as the migration leaves entries written before AUDIT_KEY
    assert "操作记录链完好" in verify()
    from tasks.services import ledger

    ledger.submit_report(trail.pk, actor=liaison, week="2017-W41", text="巩固", percent=100)
    first_keyed = AuditEntry.objects.filter(pk__gt=old[-1].pk).earliest("id")
    assert first_keyed.scheme == 2 and first_keyed.prev_hash == AuditEntry.objects.get(pk=old[-1].pk).hash
    assert "操作记录链完好" in verify()
    AuditEntry.objects.filter(pk=old[2].pk).update(note="改过")
    assert f"#{old[2].pk}（" in failure_of()


def test_a_cut_tail_with_the_head_moved_back_is_caught_by_the_checkpoint(trail):
    assert "已写入检查点" in verify_with("--checkpoint")
    entries = list(AuditEntry.objects.order_by("id"))
    cut = entries[-2:]
    AuditEntry.objects.filter(pk__in=[e.pk for e in cut]).delete()
    AuditHead.objects.update(last_hash=entries[-3].hash)
    message = failure_of()
    assert "操作记录链校验失败" not in message  # the chain alone looks whole
    assert (
        f"检查点 audit-{cut[-1].pk:012d}.json：检查点记录的第 {cut[-1].pk} 条已不存在，末尾记录被删除"
        in message
    )


def test_a_chain_rehashed_from_its_start_is_caught_by_the_checkpoint(trail):
    """Every entry rewritten as unkeyed: the chain is self-consistent, the checkpoint is not."""
    verify_with("--checkpoint")
    entries = list(AuditEntry.objects.order_by("id"))
    entries[1].note = "改过"
    forge(entries, scheme=1)
    message = failure_of()
    assert f"第 {entries[-1].pk} 条的摘要与检查点不符（此前的记录被改写并重算摘要）" in message


def test_a_forged_checkpoint_file_is_refused(trail):
    import json

    path = Path(verify_with("--checkpoint").split("已写入检查点：")[1].strip())
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "count": stored["count"] - 2}))
    assert f"检查点 {path.name}：签名不符（检查点文件被改动）" in failure_of()


def test_the_hourly_job_writes_one_checkpoint_per_head(trail):
    from tasks.tasks import audit_checkpoint

    first = audit_checkpoint()
    assert audit_checkpoint() == first  # the same head: the same file, once
    assert [p.name for p in Path(settings.AUDIT_CHECKPOINT_DIR).iterdir()] == [Path(first).name]
    assert "检查点：1 个，均与记录链相符" in verify()
    assert settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]["task"] == "tasks.audit_checkpoint"


@pytest.mark.parametrize(
    ("sql", "field", "stored"),
    [
        ("status = 'in_progress'", "status", "'in_progress'"),
        ("percent = 100", "percent", "100"),
        ("due_date = '2030-01-01'", "due_date", "datetime.date(2030, 1, 1)"),
    ],
)
def test_a_ledger_row_edited_in_sql_is_named(trail, sql, field, stored):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE tasks_assignment SET {sql} WHERE id = %s", [trail.pk])
    message = failure_of()
    assert "操作记录链校验失败" not in message
    assert f"台账与操作记录不符：台账 #{trail.pk} 的 {field}：库中为 {stored}" in message


def test_a_row_nobody_touched_edited_in_sql_is_named(plan):
    from django.db import connection

    untouched = row(5)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tasks_assignment SET status = 'signed_off' WHERE id = %s", [untouched.pk])
    assert (
        f"台账 #{untouched.pk} 的 status：库中为 'signed_off'，按操作记录应为 'not_started'" in failure_of()
    )


def test_the_printed_code_pins_the_chain(trail, office, client):
    from dispatch.bulletin import make_bulletin, publish_bulletin
    from tasks.services.audit import short_code

    bulletin, _, _ = make_bulletin("2017-10")
    publish_bulletin(bulletin, office)
    code = short_code(AuditEntry.objects.get(action="publish_bulletin"))
    page = client.get("/public/bulletins/2017-10/")
    assert f'操作记录校验码：<span class="audit-code">{code}</span>' in page.content.decode()
    workbook = load_workbook(io.BytesIO(client.get("/public/bulletins/2017-10/xlsx/").content))
    assert ["操作记录校验码", code] in [[c for c in r if c is not None] for r in workbook["概况"].values]
    assert f"校验码 {code} 与记录链相符" in verify_with("--code", code)

    entries = list(AuditEntry.objects.order_by("id"))
    entries[0].note = "改过"
    forge(entries, scheme=1)
    assert "第 {} 条记录的摘要与校验码不符".format(code.split("-")[0]) in failure_of("--code", code)


def test_the_signoff_sheet_prints_the_code_of_its_last_entry(trail, office):
    from django.test import Client
    from django.urls import reverse

    from tasks.models import SignOffRequest
    from tasks.services.audit import short_code

    signoff = SignOffRequest.objects.get(assignment=trail)
    final = AuditEntry.objects.filter(model="tasks.signoffrequest", object_id=str(signoff.pk)).latest("id")
    client = Client()
    client.force_login(office)
    page = client.get(reverse("admin:tasks_signoffrequest_sheet", args=[signoff.pk])).content.decode()
    assert f'操作记录校验码：<strong class="audit-code">{short_code(final)}</strong>' in page


def test_verify_audit_reads_the_trail_in_chunks(plan, monkeypatch):
    """Peak memory is the same for a trail of one and a half chunks and of six: nothing holds the whole
    trail. The chunk is made small (200 entries, not 2,000) and the entries large, so the trail's own size
    dwarfs the command's fixed cost at a tenth of the entries (and of the time under tracemalloc)."""
    import tracemalloc

    from django.utils import timezone

    from tasks.services import audit

    monkeypatch.setattr(audit, "CHAIN_CHUNK", 200)

    def grow_to(n):
        """A valid keyed chain of n entries, written in bulk (as record() would, without its round trips)."""
        a = row()
        head = AuditHead.objects.get_or_create(pk=1)[0]
        at = timezone.now().replace(microsecond=0)
        batch = []
        for _ in range(n - AuditEntry.objects.count()):
            entry = AuditEntry(
                at=at,
                action="probe",
                model="tasks.progressreport",
                object_id="1",
                assignment=a,
                before=None,
                after={"text": "x" * 2000},
                note="x",
                prev_hash=head.last_hash,
            )
            entry.hash = head.last_hash = entry.compute_hash()
            batch.append(entry)
        AuditEntry.objects.bulk_create(batch, batch_size=1000)
        head.save()

    def peak():
        tracemalloc.start()
        verify()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    grow_to(300)
    small = peak()
    grow_to(1200)
    large = peak()
    assert large < small * 1.5, (small, large)


def test_production_refuses_to_start_without_an_audit_key():
    import os

    environ = {
        k: v for k, v in os.environ.items() if k not in {"AUDIT_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    environ.update(SECRET_KEY="k" * 50, RECTIFY_VAR_DIR=str(ROOT / "var"))

    def start(**extra):
        return run_python(
            "-c", "import rectify.settings as s; print(len(s.AUDIT_KEY))", env={**environ, **extra}
        )

    refused = start(DEBUG="false")
    assert refused.returncode != 0 and "AUDIT_KEY is not set" in refused.stderr
    assert start(DEBUG="false", AUDIT_KEY="a" * 40).stdout.split() == ["40"]
    assert start(DEBUG="true").stdout.split() == ["64"]  # derived from SECRET_KEY for development
