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
    "office": [
        "/dashboard/",
        "/ledger/",
        "/ledger/?q=煤&sort=urgency",
        "/queue/",
        "/reviews/",
        "/public/",
        # the exports of the pages' tables (every row, not a page of them)
        "/ledger/?sort=-percent&export=xlsx",
        "/queue/?export=xlsx",
        "/reviews/?export=xlsx",
        "/supervision/?export=xlsx",
        "/inbox/?export=xlsx",
        "/deliveries/?export=xlsx",
        "/dashboard/?export=xlsx",
    ],
    "leader": ["/dashboard/", "/ledger/?overdue=on"],
    "liaison": ["/desk/", "/ledger/", "/ledger/?export=xlsx", "/inbox/?export=xlsx"],
    "unit_leader": ["/queue/", "/queue/?export=xlsx"],
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


def test_it_shows_the_dashboard_in_nineteen_queries(office, busy, django_assert_num_queries):
    client = client_for(office)
    # session, user, membership (role), the plans (for the plan selector), the tasks' latest passed
    # milestones (read once for the warning levels), then one each: the rows per unit and warning level
    # (buckets, this week's and last week's missing reports, the rows' report counters: the totals,
    # 按责任单位, the units without this week's report, the unit table, the warning levels and the
    # province view read it), the units' names and cities, the unit table's urges received and time to
    # sign-off, the rows per task and the tasks' plans and categories (by category), active and overdue
    # listed supervisions (挂牌督办), overdue list (top 20), the ranking trend (published bulletins),
    # sign-offs per day for the chart, urges per unit (催办), acknowledgements per unit (签收), the
    # latest bulletins; the navigation's counts (one query).
    with django_assert_num_queries(19):
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

    Session, user, membership; the task, its measures, cooperating units, officials and leader-led
    items; the count and the page's ids of its units; the page's rows; each row's newest reports,
    sign-off requests, reviews and extensions (one query a kind, ``tasks.models.recent``) and their
    evidence (one query); the 领导批示 (their replies one more once there are any); the navigation's counts.
    """
    client = client_for(office)
    counts = {
        task_id: count_queries(client, f"/tasks/{task_id}/")[0] for task_id in {a.task_id for a in busy}
    }
    units = {task_id: Assignment.objects.filter(task_id=task_id).count() for task_id in counts}
    assert min(units.values()) == 1 and max(units.values()) > 5
    assert set(counts.values()) == {18}, counts


@pytest.mark.parametrize("months", [["2017-10"], ["2017-08", "2017-09", "2017-10", "2017-11"]])
def test_the_bulletin_list_runs_five_queries_for_one_month_or_many(office, months, django_assert_num_queries):
    from dispatch.models import Bulletin

    for month in months:
        Bulletin.objects.create(month=month, data={}, status="published" if month < "2017-10" else "draft")
    client = client_for(office)
    # session, user, membership (role), the bulletins, the navigation's counts (one query)
    with django_assert_num_queries(5):
        response = client.get("/bulletins/")
    assert len(response.context["drafts"]) + len(response.context["published"]) == len(months)


@pytest.mark.today()
def test_the_disclosure_pages_run_the_same_queries_for_few_and_many_tasks(office, leader):
    """每周公开: the public page, its API, a task's history and the office's pages, at two sizes."""
    from reports import disclosure
    from tasks.models import Task

    def published(week):
        return disclosure.publish(disclosure.open_draft(week, office)[0], office)

    def counts(shown, task_id):
        urls = [
            (client_for(), "/public/"),
            (client_for(), "/public/?q=煤&city=太原市&page=2"),
            (client_for(), f"/public/tasks/{task_id}/"),
            (client_for(), "/api/public/disclosure/?city=晋中市"),
            (client_for(), f"/api/public/tasks/{task_id}/"),
            (client_for(office), "/disclosures/"),
            (client_for(office), f"/disclosures/{shown.pk}/"),
            (client_for(leader), f"/disclosures/{shown.pk}/"),
        ]
        return [count_queries(client, url)[0] for client, url in urls]

    task_id = Task.objects.order_by("number").values_list("pk", flat=True).first()
    many = published("2017-W47")
    assert many.items.count() > 40
    first = counts(many, task_id)
    Task.objects.exclude(pk=task_id).update(is_public=False)
    few = published("2017-W48")  # now the current one, with one task, and a history of two weeks
    assert few.items.count() == 1
    assert counts(few, task_id) == first
