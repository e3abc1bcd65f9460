"""The audit trail: every API write leaves entries with actor, time, before and after,
chained by hashes so that ``verify_audit`` notices an entry changed in the database."""

import io

import pytest
from django.core.management import CommandError, call_command

from tasks.models import Assignment, AuditEntry, AuditHead
from tests.helpers import row

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(api, liaison, unit_leader, office, evidence_pdf):
    """Task 17 carried to sign-off through the API: a chain of a dozen entries."""
    a = row()
    base = f"/api/assignments/{a.pk}/"
    assert (
        api(liaison)
        .post(base + "reports/", {"week": "2017-W40", "text": "推进", "percent": "60"})
        .status_code
        == 201
    )
    assert (
        api(liaison).post(base + "signoff/", {"summary": "到位", "evidence": [evidence_pdf()]}).status_code
        == 201
    )
    assert api(unit_leader).post(base + "approve/", {"opinion": "同意"}, format="json").status_code == 200
    assert api(office).post(base + "approve/", {"opinion": "同意销号"}, format="json").status_code == 200
    return a


def verify():
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
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
    assert verify() == f"操作记录链完好：共 {AuditEntry.objects.count()} 条\n"


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
    ledger.submit_report(row().pk, actor=liaison, week="2017-W41", text="推进", percent=20)

    entry = AuditEntry.objects.latest("id")
    assert entry.at == shanghai.replace(microsecond=123000)
    assert "操作记录链完好" in verify()
