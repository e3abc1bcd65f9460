"""An assignment's history a page at a time: a row with a year and a half of weekly reports stays one page
to render, and a void form with an error opens on the page of its report."""

import datetime

import pytest

from tasks.models import ProgressReport
from tests.helpers import SHANGHAI, client_for, row
from web.views.assignment import TIMELINE_PER_PAGE

pytestmark = pytest.mark.django_db


def weekly_reports(assignment, author, count):
    start = datetime.datetime(2016, 1, 8, 9, 30, tzinfo=SHANGHAI)
    ProgressReport.objects.bulk_create(
        ProgressReport(
            assignment=assignment,
            week=f"{(start + datetime.timedelta(weeks=n)).isocalendar()[0]}-W{(start + datetime.timedelta(weeks=n)).isocalendar()[1]:02d}",
            text=f"第{n + 1}周进展",
            percent=min(n, 100),
            author=author,
            created_at=start + datetime.timedelta(weeks=n),
        )
        for n in range(count)
    )


def test_the_history_is_paged_newest_first(office, liaison):
    a = row()
    weekly_reports(a, liaison, TIMELINE_PER_PAGE + 5)
    client = client_for(office)
    first = client.get(f"/assignments/{a.pk}/")
    texts = [e.text for e in first.context["timeline"]]
    assert texts == [f"第{n}周进展" for n in range(TIMELINE_PER_PAGE + 5, 5, -1)]
    assert first.context["timeline_page"].paginator.count == TIMELINE_PER_PAGE + 5
    body = first.content.decode()
    assert 'aria-label="办理记录分页"' in body and 'href="?page=2"' in body
    assert "第1周进展" not in body
    second = client.get(f"/assignments/{a.pk}/?page=2")
    assert [e.text for e in second.context["timeline"]] == [f"第{n}周进展" for n in range(5, 0, -1)]
    # every shown report of the office's page carries its own void form, and only those
    assert all(e.void_form is not None for e in second.context["timeline"])


def test_a_void_form_with_an_error_opens_on_its_reports_page(office, liaison):
    a = row()
    weekly_reports(a, liaison, TIMELINE_PER_PAGE + 5)
    oldest = ProgressReport.objects.filter(assignment=a).order_by("created_at").first()
    response = client_for(office).post(
        f"/assignments/{a.pk}/void_report/", {"version": a.version, "report": oldest.pk, "reason": ""}
    )
    assert response.status_code == 400
    shown = [e for e in response.context["timeline"] if e.report is not None and e.report.pk == oldest.pk]
    assert shown and shown[0].void_form.errors
    assert "请填写作废理由" in response.content.decode()
    assert ProgressReport.objects.get(pk=oldest.pk).voided_at is None
