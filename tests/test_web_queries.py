"""No page runs a query per row: each list page runs the same queries for a few rows and for many."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.models import Assignment
from tasks.services import ledger
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def pdf():
    return SimpleUploadedFile("佐证.pdf", b"%PDF-1.4 x", content_type="application/pdf")


@pytest.fixture
def busy(liaison, unit_leader, office, outsider):
    """Reports with evidence, sign-offs at each stage, an extension and a review, in two units."""
    mine = list(Assignment.objects.filter(unit__name="晋中市").order_by("task__number"))
    theirs = list(Assignment.objects.filter(unit__name="临汾市").order_by("task__number"))
    for a in mine[:6] + theirs[:2]:
        actor = liaison if a.unit.name == "晋中市" else outsider
        ledger.submit_report(a.pk, actor=actor, week="2017-W40", text="推进", percent=100, files=[pdf()])
        ledger.request_signoff(a.pk, actor=actor, summary="完成", files=[pdf()])
    for a in mine[:4]:
        ledger.approve(a.pk, actor=unit_leader)
    for a in mine[:2]:
        ledger.approve(a.pk, actor=office)
    return mine[:6] + theirs[:2]


def keep_only(active, extra: int = 2):
    """Delete every assignment but the active ones and ``extra`` more: the 'few rows' case."""
    spare = (
        Assignment.objects.exclude(pk__in=[a.pk for a in active])
        .order_by("pk")
        .values_list("pk", flat=True)[:extra]
    )
    Assignment.objects.exclude(pk__in=[a.pk for a in active] + list(spare)).delete()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context), response


PAGES = {
    # user fixture name -> pages whose query count must not depend on the number of rows
    "office": ["/dashboard/", "/ledger/", "/ledger/?q=煤&sort=urgency", "/queue/", "/reviews/", "/public/"],
    "leader": ["/dashboard/", "/ledger/?overdue=on"],
    "liaison": ["/desk/", "/ledger/"],
    "unit_leader": ["/queue/"],
}


def test_it_runs_the_same_queries_for_few_and_many_rows(request, busy):
    users = {name: request.getfixturevalue(name) for name in PAGES}
    many = {
        (name, url): count_queries(client_for(users[name]), url)[0]
        for name, urls in PAGES.items()
        for url in urls
    }
    assert Assignment.objects.count() > 200
    keep_only(busy)
    assert Assignment.objects.count() == len(busy) + 2
    few = {
        (name, url): count_queries(client_for(users[name]), url)[0]
        for name, urls in PAGES.items()
        for url in urls
    }
    assert few == many


def test_it_shows_the_dashboard_in_seventeen_queries(office, busy, django_assert_num_queries):
    client = client_for(office)
    # session, user, membership (role), the plans (for the plan selector), then one each: totals, by
    # category, by unit, warning levels,
    # active and overdue listed supervisions (挂牌督办), overdue list (top 20), units without this week's
    # report, on-time reporting per unit, sign-off times for the chart, the latest bulletins, urges per
    # unit (催办), acknowledgements per unit (签收); the navigation's counts (one query).
    with django_assert_num_queries(17):
        response = client.get("/dashboard/")
    assert response.context["totals"]["signed_off"] == 2


def test_it_shows_a_ledger_page_in_ten_queries(office, busy, django_assert_num_queries):
    client = client_for(office)
    # session, user, membership; how many plans (the plan filter shows when there are several);
    # categories and units for the filter form; the count; the page's ids (sorted by the database);
    # the page's rows (with task, category and unit joined, and the 挂牌督办 badge as an EXISTS
    # subquery); the inbox count.
    with django_assert_num_queries(10):
        response = client.get("/ledger/?sort=urgency")
    assert len(response.context["page"].object_list) == 50


def test_it_shows_the_task_page_in_a_fixed_number_of_queries(office, busy):
    """Tasks with one unit or many, with a history of one sign-off or several: the same count.

    (A task without any report saves the two evidence prefetches: Django skips a prefetch with no rows.)
    """
    client = client_for(office)
    counts = {
        task_id: count_queries(client, f"/tasks/{task_id}/")[0] for task_id in {a.task_id for a in busy}
    }
    units = {task_id: Assignment.objects.filter(task_id=task_id).count() for task_id in counts}
    assert min(units.values()) == 1 and max(units.values()) > 5
    assert len(set(counts.values())) == 1, counts
