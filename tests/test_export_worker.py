"""The background export through a real Celery worker on the configured broker (not eager).

The page starts the job; the outbox hands the message to the broker after commit; the worker
(one per module, as in test_dispatch_worker.py) builds the file while the status answers its
progress; the page then offers the file.
"""

import io
import time

import pytest
from openpyxl import load_workbook

from dispatch import figures
from dispatch.models import Bulletin, BulletinStatus
from outbox.models import OutboxMessage
from rectify.celery import app
from reports import weekly
from reports.models import ExportJob
from tasks.models import Assignment
from tests.helpers import client_for, worker_thread

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

WEEK = "2017-W36"
WAIT = 60  # seconds: a guard against a hung worker, not a timing assertion


@pytest.fixture(scope="module")
def shared_worker():
    """One worker for the module's tests, stopped without waiting out a timeout."""
    with worker_thread():
        yield


@pytest.fixture
def worker(shared_worker):
    app.control.purge()
    yield
    app.control.purge()


def wait_for(client, url, timeout=WAIT):
    """Poll the status like the page does; every answer seen, until the job has finished."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get(url).json()
        seen.append(answer)
        if answer["status"] in ("done", "failed"):
            return seen
        assert time.monotonic() < deadline, seen
        time.sleep(0.1)


def test_a_big_weekly_workbook_is_built_by_the_worker_with_progress_and_offered_when_ready(
    office, worker, settings, monkeypatch
):
    monkeypatch.setattr(weekly, "PROGRESS_EVERY", 20)
    settings.EXPORT_BACKGROUND_ROWS = 10
    client = client_for(office)
    offer = client.get(f"/ledger/weekly.xlsx?week={WEEK}")
    assert "将由后台生成" in offer.content.decode()

    started = client.post("/exports/", {"week": WEEK})
    assert started.status_code == 302
    job = ExportJob.objects.get()
    assert started["Location"] == f"/exports/{job.pk}/"

    seen = wait_for(client, f"/exports/{job.pk}/status.json")
    rows = Assignment.objects.count()
    last = seen[-1]
    assert last["status"] == "done", last
    assert last["progress"] == last["total"] == rows
    assert all(s["progress"] <= s["total"] for s in seen)
    assert [s["progress"] for s in seen] == sorted(s["progress"] for s in seen)

    download = client.get(last["file"])
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert len(list(book["整改台账"].iter_rows(min_row=2, values_only=True))) == rows
    assert "下载文件" in client.get(f"/exports/{job.pk}/").content.decode()

    deadline = time.monotonic() + WAIT
    while OutboxMessage.objects.filter(done_at=None).exists():  # the consumer marks its message done
        assert time.monotonic() < deadline
        time.sleep(0.1)


@pytest.mark.today()  # the ledger stands on 2017-12-01: November has ended
def test_a_bulletin_draft_on_a_large_ledger_is_made_by_the_worker_with_progress(
    office, worker, settings, monkeypatch
):
    monkeypatch.setattr(figures, "PROGRESS_EVERY", 40)
    settings.EXPORT_BACKGROUND_ROWS = 10
    client = client_for(office)

    started = client.post("/bulletins/draft/", {"month": "2017-11"})
    job = ExportJob.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/exports/{job.pk}/"

    seen = wait_for(client, f"/exports/{job.pk}/status.json")
    rows = Assignment.objects.count()
    last = seen[-1]
    assert last["status"] == "done", last
    assert last["progress"] == last["total"] == rows
    assert [s["progress"] for s in seen] == sorted(s["progress"] for s in seen)
    bulletin = Bulletin.objects.get(month="2017-11")
    assert bulletin.status == BulletinStatus.DRAFT and bulletin.data["totals"]["total"] == rows
    download = client.get(last["file"])
    assert download.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(download.streaming_content))).sheetnames
    assert 'href="/bulletins/2017-11/"' in client.get(f"/exports/{job.pk}/").content.decode()

    deadline = time.monotonic() + WAIT
    while OutboxMessage.objects.filter(done_at=None, task="dispatch.build_bulletin").exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
