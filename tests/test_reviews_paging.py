"""回头看 at county scale: both lists paged by their own parameters, the export still every row."""

import io

import openpyxl
import pytest

from tasks.choices import ReviewOutcome, Status
from tasks.models import Assignment, Review
from tests.helpers import client_for, on
from web.views.desk import REVIEWS_PER_PAGE

pytestmark = pytest.mark.django_db


def sign_off(rows):
    with on("2017-11-20"):
        from tasks import clock

        Assignment.objects.filter(pk__in=[a.pk for a in rows]).update(
            status=Status.SIGNED_OFF, percent=100, signed_off_at=clock.now()
        )


def test_the_review_lists_are_paged_and_the_export_keeps_every_row(office):
    rows = list(Assignment.objects.order_by("pk")[: REVIEWS_PER_PAGE + 12])
    sign_off(rows)
    scheduled = rows[: REVIEWS_PER_PAGE + 3]  # pending reviews: one page and 3 more
    Review.objects.bulk_create(
        Review(assignment=a, scheduled_for="2017-12-15", outcome=ReviewOutcome.PENDING, scheduled_by=office)
        for a in scheduled
    )
    client = client_for(office)
    first = client.get("/reviews/")
    assert first.status_code == 200
    assert len(first.context["pending"].object_list) == REVIEWS_PER_PAGE
    assert first.context["pending"].paginator.count == len(scheduled)
    assert len(first.context["unscheduled"].object_list) == len(rows) - len(scheduled)
    body = first.content.decode()
    assert f"待检查（{len(scheduled)}）" in body and 'href="?pending_page=2"' in body

    second = client.get("/reviews/?pending_page=2")
    assert [r.assignment_id for r in second.context["pending"]] == [
        a.pk for a in scheduled[REVIEWS_PER_PAGE:]
    ]

    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(client.get("/reviews/?export=xlsx").streaming_content)), read_only=True
    )
    pending_rows = [r for r in book.worksheets[0].iter_rows(values_only=True) if isinstance(r[0], int)]
    assert len(pending_rows) == len(scheduled)


def test_a_page_past_the_end_shows_the_last_page(office):
    rows = list(Assignment.objects.order_by("pk")[:3])
    sign_off(rows)
    response = client_for(office).get("/reviews/?page=99&pending_page=abc")
    assert response.status_code == 200
    assert len(response.context["unscheduled"].object_list) == 3
