"""销号审核 at county scale: the office's queue a page of requests at a time, the export every one."""

import io

import openpyxl
import pytest

from tasks.choices import SignOffStatus, Status
from tasks.models import Assignment, SignOffRequest
from tests.helpers import client_for
from web.views.desk import QUEUE_PER_PAGE

pytestmark = pytest.mark.django_db


def waiting_for_the_office(rows, liaison, unit_leader):
    Assignment.objects.filter(pk__in=[a.pk for a in rows]).update(status=Status.UNIT_VERIFIED, percent=100)
    SignOffRequest.objects.bulk_create(
        SignOffRequest(
            assignment=a,
            summary=f"任务{a.task.number}已完成整改",
            status=SignOffStatus.UNIT_VERIFIED,
            requested_by=liaison,
            unit_checked_by=unit_leader,
        )
        for a in rows
    )


def test_the_office_queue_is_paged_and_its_export_lists_every_request(office, liaison, unit_leader):
    rows = list(Assignment.objects.filter(unit__name="晋中市").select_related("task").order_by("pk"))
    rows += list(Assignment.objects.exclude(unit__name="晋中市").select_related("task").order_by("pk"))
    rows = rows[: QUEUE_PER_PAGE + 3]
    waiting_for_the_office(rows, liaison, unit_leader)
    client = client_for(office)
    first = client.get("/queue/")
    assert first.status_code == 200
    assert len(first.context["rows"]) == QUEUE_PER_PAGE
    assert all(a.open_request is not None for a in first.context["rows"])
    body = first.content.decode()
    assert f"{len(rows)} 项待审核" in body and 'aria-label="待审核分页"' in body
    second = client.get("/queue/?page=2")
    shown = {a.pk for a in first.context["rows"]} | {a.pk for a in second.context["rows"]}
    assert len(second.context["rows"]) == 3 and shown == {a.pk for a in rows}

    response = client.get("/queue/?export=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    listed = [r for r in book["待审核"].iter_rows(values_only=True) if isinstance(r[0], int)]
    assert len(listed) == len(rows)
