"""Background exports: the weekly workbook built by the worker's task, with progress, for its requester only.

The task function is called directly here (the broker and a real worker: test_export_worker.py).
"""

import io
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from outbox.models import OutboxMessage
from reports import exports, weekly
from reports.models import ExportJob, ExportStatus
from reports.tasks import build_export_task
from tasks.models import Assignment, AuditEntry, Plan, Unit
from tests.helpers import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

WEEK = "2017-W36"


def start(user, **params):
    answer = client_for(user).post("/exports/", {"week": WEEK, **params})
    assert answer.status_code == 302, answer.content.decode()
    return ExportJob.objects.get(pk=int(answer["Location"].rstrip("/").rsplit("/", 1)[1]))


def status(user, job):
    return client_for(user).get(f"/exports/{job.pk}/status.json")


def sheet_rows(content: bytes) -> int:
    return len(list(load_workbook(io.BytesIO(content))["整改台账"].iter_rows(min_row=2, values_only=True)))


def test_a_big_weekly_workbook_is_offered_in_the_background_and_a_small_one_downloads_at_once(
    office, settings
):
    settings.EXPORT_BACKGROUND_ROWS = Assignment.objects.count() - 1
    answer = client_for(office).get(f"/ledger/weekly.xlsx?week={WEEK}")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "将由后台生成" in page and 'action="/exports/"' in page and f'value="{WEEK}"' in page

    settings.EXPORT_BACKGROUND_ROWS = Assignment.objects.count()
    answer = client_for(office).get(f"/ledger/weekly.xlsx?week={WEEK}")
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")


def test_starting_queues_one_job_through_the_outbox_and_a_second_start_reuses_it(liaison):
    job = start(liaison)
    assert job.status == ExportStatus.QUEUED and job.requester == liaison
    assert job.params == {"week": WEEK, "unit": None, "plan": None}
    assert job.total == Assignment.objects.visible_to(liaison).count()
    message = OutboxMessage.objects.get()
    assert (message.task, message.args) == ("reports.build_export", [job.pk])

    assert start(liaison).pk == job.pk
    assert ExportJob.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_the_task_writes_progress_once_per_chunk_and_offers_the_file(office, monkeypatch):
    monkeypatch.setattr(weekly, "PROGRESS_EVERY", 50)
    job = start(office)
    rows = Assignment.objects.count()
    assert rows > 150
    with CaptureQueriesContext(connection) as captured:
        build_export_task(job.pk)
    updates = [q["sql"] for q in captured if q["sql"].startswith('UPDATE "reports_exportjob"')]
    progress = [sql for sql in updates if '"progress" =' in sql and '"status"' not in sql]
    assert len(progress) == rows // 50 + 1  # one per chunk and the last, never one per row

    answer = status(office, job).json()
    assert answer["status"] == "done" and answer["status_label"] == "已完成"
    assert answer["progress"] == answer["total"] == rows
    assert answer["file"] == f"/exports/{job.pk}/file"

    download = client_for(office).get(answer["file"])
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert sheet_rows(b"".join(download.streaming_content)) == rows

    page = client_for(office).get(f"/exports/{job.pk}/").content.decode()
    assert "<progress" in page and "下载文件" in page and "data-status-url" not in page


def test_the_page_polls_while_the_job_runs_with_a_static_script(liaison):
    job = start(liaison)
    page = client_for(liaison).get(f"/exports/{job.pk}/").content.decode()
    assert f'data-status-url="/exports/{job.pk}/status.json"' in page
    assert "/static/web/export.js" in page and "排队中" in page
    assert client_for(liaison).get(f"/exports/{job.pk}/file").status_code == 404


def test_a_unit_users_workbook_holds_only_its_rows_and_the_chosen_plan(liaison):
    plan = Plan.objects.get()
    job = start(liaison, plan=plan.pk)
    build_export_task(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and "晋中市" in job.filename
    with job.file.open("rb") as handle:
        assert sheet_rows(handle.read()) == Assignment.objects.visible_to(liaison).count()


def test_only_the_requester_and_the_office_see_a_job(liaison, outsider, unit_leader, leader, office):
    job = start(liaison)
    build_export_task(job.pk)
    for user in (outsider, unit_leader, leader):
        for url in (f"/exports/{job.pk}/", f"/exports/{job.pk}/status.json", f"/exports/{job.pk}/file"):
            assert client_for(user).get(url).status_code == 404, (user, url)
        assert f"/exports/{job.pk}/" not in client_for(user).get("/exports/").content.decode()
    assert client_for(office).get(f"/exports/{job.pk}/file").status_code == 200
    assert client_for(liaison).get(f"/exports/{job.pk}/file").status_code == 200
    assert client_for().get(f"/exports/{job.pk}/status.json").status_code == 302  # to the login page


def test_a_failure_is_told_in_chinese_and_offers_no_file(liaison, monkeypatch):
    job = start(liaison)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "write_weekly_workbook", broken)
    build_export_task(job.pk)
    answer = status(liaison, job).json()
    assert answer["status"] == "failed" and answer["file"] is None
    assert answer["error"] == "生成失败：系统错误，请稍后重试或联系省督察办"
    assert client_for(liaison).get(f"/exports/{job.pk}/file").status_code == 404
    assert "生成失败" in client_for(liaison).get("/exports/").content.decode()


def test_a_unit_gone_meanwhile_fails_the_job_with_its_reason(office):
    unit = Unit.objects.get(name="晋中市")
    job = start(office, unit=unit.pk)
    ExportJob.objects.filter(pk=job.pk).update(params={**job.params, "unit": 10**9})
    build_export_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportStatus.FAILED, "生成失败：责任单位已不存在")


def test_the_last_file_per_workbook_is_kept_and_a_finished_job_is_not_built_again(
    liaison, django_capture_on_commit_callbacks
):
    first = start(liaison)
    build_export_task(first.pk)
    first.refresh_from_db()
    old_file = first.file.path
    assert build_export_task(first.pk) == "skipped"

    second = start(liaison)
    assert second.pk != first.pk
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes once the change is committed
        build_export_task(second.pk)
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [second.pk]
    assert not os.path.exists(old_file)
    assert os.path.exists(ExportJob.objects.get().file.path)
    finished = AuditEntry.objects.filter(action="finish_export").order_by("id").last()
    assert finished.object_id == str(second.pk) and "替换旧文件 1 个" in finished.note


def test_starting_and_finishing_are_audited(liaison, monkeypatch):
    job = start(liaison)
    started = AuditEntry.objects.get(action="start_export")
    assert (started.actor, started.model, started.object_id) == (liaison, "reports.exportjob", str(job.pk))
    monkeypatch.setattr(exports, "write_weekly_workbook", lambda *a, **k: 1 / 0)
    build_export_task(job.pk)
    finished = AuditEntry.objects.get(action="finish_export")
    assert finished.after["status"] == "failed" and finished.after["error"].startswith("生成失败")


@pytest.mark.parametrize(
    ("params", "code", "text"),
    [
        ({"week": "2017-W99"}, 400, "2017-W99"),
        ({"week": ""}, 400, "请填写报送周"),
        ({"week": WEEK, "plan": "x"}, 400, "请从列表中选择整改方案"),
        ({"week": WEEK, "unit": "临汾市"}, 404, "单位不存在或无权查看"),
    ],
)
def test_bad_parameters_are_a_chinese_4xx_and_queue_nothing(liaison, params, code, text):
    answer = client_for(liaison).post("/exports/", params)
    assert answer.status_code == code
    assert 'class="errorlist"' in answer.content.decode() and text in answer.content.decode()
    assert not ExportJob.objects.exists() and not OutboxMessage.objects.exists()


def test_unknown_jobs_are_404(liaison):
    for url in ("/exports/999999/", "/exports/999999/status.json", "/exports/999999/file"):
        assert client_for(liaison).get(url).status_code == 404


def _make_jobs(user, count):
    ExportJob.objects.bulk_create(
        ExportJob(requester=user, params={"week": f"2017-W{30 + n}"}, key=f"weekly:{n}", label=f"第{n}周")
        for n in range(count)
    )


def test_the_list_runs_the_same_queries_for_one_job_or_many(liaison, django_assert_num_queries):
    client = client_for(liaison)
    _make_jobs(liaison, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/exports/").status_code == 200
    _make_jobs(liaison, 12)
    with django_assert_num_queries(len(one)):
        page = client.get("/exports/").content.decode()
    assert page.count("排队中") == 13
