"""月通报 drafts made by the office in the pages (/bulletins/draft/), not only by the monthly job."""

import io

import pytest
from openpyxl import load_workbook

from dispatch import figures
from dispatch.bulletin import build_draft, make_bulletin, publish_bulletin
from dispatch.models import Bulletin, BulletinStatus
from outbox.models import OutboxMessage
from reports import exports
from reports.models import ExportJob, ExportKind, ExportStatus
from tasks.models import Assignment, AuditEntry
from tests.helpers import client_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.today(),
    pytest.mark.usefixtures("module_people"),
]  # the ledger stands on 2017-12-01


def draft(user, month, refresh=False):
    data = {"month": month, **({"refresh": "on"} if refresh else {})}
    return client_for(user).post("/bulletins/draft/", data)


def test_the_office_makes_last_months_draft_from_the_bulletin_list(office):
    client = client_for(office)
    page = client.get("/bulletins/").content.decode()
    assert "生成月通报草稿" in page and 'value="2017-11"' in page  # last month proposed

    response = client.post("/bulletins/draft/", {"month": "2017-11"}, follow=True)

    assert response.redirect_chain == [("/bulletins/2017-11/", 302)]
    assert "2017-11 月通报草稿已生成" in response.content.decode()
    bulletin = Bulletin.objects.get(month="2017-11")
    assert bulletin.status == BulletinStatus.DRAFT and bulletin.data["totals"]["total"] > 0
    entry = AuditEntry.objects.get(action="draft_bulletin")
    assert entry.actor == office and "2017-11 月通报草稿生成" in entry.note


def test_a_second_request_changes_nothing_unless_asked_to_redraft(office):
    draft(office, "2017-11")
    Bulletin.objects.filter(month="2017-11").update(data={"totals": {"total": -1}})

    again = draft(office, "2017-11")
    assert again.status_code == 302
    assert Bulletin.objects.get(month="2017-11").data == {"totals": {"total": -1}}
    assert AuditEntry.objects.filter(action="draft_bulletin").count() == 1

    draft(office, "2017-11", refresh=True)
    assert Bulletin.objects.get(month="2017-11").data["totals"]["total"] > 0  # recomputed from the ledger
    assert AuditEntry.objects.filter(action="draft_bulletin").count() == 2


@pytest.mark.parametrize(
    ("month", "words"),
    [("2017-12", "2017-12 月还未结束"), ("2017-13", "月份格式应为 YYYY-MM"), ("", "该字段是必填项")],
)
def test_a_month_not_over_or_not_a_month_is_refused_in_chinese_and_nothing_is_made(office, month, words):
    response = draft(office, month)

    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Bulletin.objects.exists() and not AuditEntry.objects.filter(action="draft_bulletin").exists()


def test_a_published_bulletin_is_never_redrafted(office):
    bulletin, _, _ = make_bulletin("2017-10")
    publish_bulletin(bulletin, office)
    before = Bulletin.objects.get(month="2017-10").data

    response = draft(office, "2017-10", refresh=True)

    assert response.status_code == 400 and "已发布，不能重新生成" in response.content.decode()
    assert Bulletin.objects.get(month="2017-10").data == before


def test_only_the_office_makes_drafts(liaison, unit_leader, leader):
    for user in (liaison, unit_leader, leader):
        assert draft(user, "2017-11").status_code == 403, user.username
    assert "生成月通报草稿" not in client_for(leader).get("/bulletins/").content.decode()
    assert not Bulletin.objects.exists()


# --- a large ledger: the draft is made by a worker (a background job, reports.exports) -------------


@pytest.fixture
def large(settings):
    settings.EXPORT_BACKGROUND_ROWS = 10  # the plan's 215 rows count as large


def test_on_a_large_ledger_the_draft_is_queued_for_a_worker_and_offered_when_done(office, large, monkeypatch):
    client = client_for(office)
    response = client.post("/bulletins/draft/", {"month": "2017-11"})

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
    assert (job.kind, job.params, job.status, job.requester) == (
        ExportKind.BULLETIN,
        {"month": "2017-11", "refresh": False},
        ExportStatus.QUEUED,
        office,
    )
    assert job.total == Assignment.objects.count()
    assert OutboxMessage.objects.get().task == "dispatch.build_bulletin"
    assert not Bulletin.objects.exists()  # nothing made in the request
    assert AuditEntry.objects.get(action="start_export").actor == office
    assert client.post("/bulletins/draft/", {"month": "2017-11"})["Location"] == f"/exports/{job.pk}/"

    monkeypatch.setattr(figures, "PROGRESS_EVERY", 50)
    assert exports.build(job.pk, build_draft) == "done"  # what the worker runs

    job.refresh_from_db()
    rows = Assignment.objects.count()
    assert (job.status, job.progress, job.total) == (ExportStatus.DONE, rows, rows)
    bulletin = Bulletin.objects.get(month="2017-11")
    assert bulletin.status == BulletinStatus.DRAFT and bulletin.data["totals"]["total"] == rows
    assert AuditEntry.objects.get(action="draft_bulletin").actor == office
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "查看通报草稿" in page and 'href="/bulletins/2017-11/"' in page and "下载文件" in page
    download = client.get(f"/exports/{job.pk}/file")
    assert download["Content-Disposition"].endswith("2017-11.xlsx")
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.sheetnames


@pytest.mark.parametrize(
    ("month", "words"),
    [
        ("2017-12", "2017-12 月还未结束"),
        ("2017-13", "月份格式应为 YYYY-MM"),
        ("2017-10", "已发布，不能重新生成"),
    ],
)
def test_on_a_large_ledger_a_refused_draft_queues_nothing(office, large, month, words):
    bulletin, _, _ = make_bulletin("2017-10")
    publish_bulletin(bulletin, office)
    queued = OutboxMessage.objects.count()

    response = draft(office, month, refresh=True)

    assert response.status_code == 400 and words in response.content.decode()
    assert not ExportJob.objects.exists() and OutboxMessage.objects.count() == queued


def test_on_a_large_ledger_only_the_office_queues_a_draft_and_sees_its_job(
    office, liaison, unit_leader, leader, large
):
    for user in (liaison, unit_leader, leader):
        assert draft(user, "2017-11").status_code == 403, user.username
    assert not ExportJob.objects.exists()
    job = ExportJob.objects.get(pk=int(draft(office, "2017-11")["Location"].split("/")[2]))
    for user in (liaison, unit_leader, leader):
        assert client_for(user).get(f"/exports/{job.pk}/").status_code == 404, user.username


def test_a_draft_published_while_queued_fails_the_job_with_the_reason(office, large):
    job = ExportJob.objects.get(pk=int(draft(office, "2017-11", refresh=True)["Location"].split("/")[2]))
    bulletin, _, _ = make_bulletin("2017-11")
    publish_bulletin(bulletin, office)

    assert exports.build(job.pk, build_draft) == "failed"
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error == "生成失败：2017-11 月通报已发布，不能重新生成"
    assert not job.file
