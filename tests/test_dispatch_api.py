"""The inbox and bulletin endpoints: own messages only, drafts for office and leaders, publishing by the office."""

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from dispatch.models import Bulletin, Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]


def notify(user, n, *, read=False):
    return Notification.objects.create(
        user=user,
        kind="weekly_dispatch",
        job="weekly_dispatch",
        period=f"2017-W{n:02d}",
        subject=f"第{n}周",
        body="正文",
        read_at=timezone.now() if read else None,
    )


def bulletin(month, status="draft"):
    return Bulletin.objects.create(
        month=month,
        status=status,
        html="<p>通报</p>",
        data={"month": month, "totals": {"total": 215, "signed_off": 3}},
        published_at=timezone.now() if status == "published" else None,
    )


def test_it_lists_the_callers_own_messages_newest_first(api, liaison, outsider):
    for n in (36, 37):
        notify(liaison, n)
    notify(outsider, 36)

    body = api(liaison).get("/api/notifications/").json()

    assert body["count"] == 2 and [n["subject"] for n in body["results"]] == ["第37周", "第36周"]
    assert body["results"][0]["kind_label"] == "周调度" and body["results"][0]["unread"] is True


def test_it_filters_unread_and_refuses_a_bad_filter(api, liaison):
    notify(liaison, 36, read=True)
    notify(liaison, 37)
    client = api(liaison)

    assert [n["subject"] for n in client.get("/api/notifications/?unread=true").json()["results"]] == [
        "第37周"
    ]
    assert [n["subject"] for n in client.get("/api/notifications/?unread=false").json()["results"]] == [
        "第36周"
    ]
    response = client.get("/api/notifications/?unread=yes")
    assert response.status_code == 400 and "unread 只能是 true 或 false" in response.json()["detail"]


def test_marking_read_works_on_own_messages_only(api, liaison, outsider):
    mine, theirs = notify(liaison, 36), notify(outsider, 36)

    response = api(liaison).post(f"/api/notifications/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False
    mine.refresh_from_db()
    first_read = mine.read_at
    assert first_read is not None
    api(liaison).post(f"/api/notifications/{mine.pk}/read/")
    mine.refresh_from_db()
    assert mine.read_at == first_read

    assert api(liaison).post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_callers_are_refused(api, plan):
    assert api().get("/api/notifications/").status_code == 401
    assert api().get("/api/bulletins/").status_code == 401


@pytest.mark.parametrize("rows", [3, 30])
def test_the_inbox_runs_a_fixed_number_of_queries(api, liaison, queries, rows):
    for n in range(rows):
        notify(liaison, n + 1)
    client = api(liaison)
    # 1 count, 2 the page (the membership is not needed: the filter is the caller)
    with queries(2):
        assert client.get("/api/notifications/").json()["count"] == rows


@pytest.mark.parametrize(
    "who, months",
    [
        ("office", ["2017-11", "2017-10"]),
        ("leader", ["2017-11", "2017-10"]),
        ("liaison", ["2017-10"]),
        ("unit_leader", ["2017-10"]),
    ],
)
def test_drafts_are_seen_by_office_and_leaders_only(api, request, who, months):
    bulletin("2017-10", "published")
    bulletin("2017-11")
    client = api(request.getfixturevalue(who))

    assert [b["month"] for b in client.get("/api/bulletins/").json()["results"]] == months
    assert client.get("/api/bulletins/2017-11/").status_code == (200 if "2017-11" in months else 404)
    detail = client.get("/api/bulletins/2017-10/").json()
    assert detail["html"] == "<p>通报</p>" and detail["data"]["totals"]["total"] == 215


@pytest.mark.parametrize("rows", [2, 12])
def test_the_bulletin_list_runs_a_fixed_number_of_queries(api, office, queries, rows):
    for n in range(rows):
        bulletin(f"{2017 + n // 12}-{n % 12 + 1:02d}", "published")
    client = api(type(office).objects.get(pk=office.pk))  # a fresh user, as a request loads it
    # 1 the caller's membership (role), 2 count, 3 the page with the publisher joined
    with queries(3):
        assert client.get("/api/bulletins/").json()["count"] == rows


def test_only_the_office_publishes(api, office, leader, liaison, django_capture_on_commit_callbacks):
    bulletin("2017-10")

    response = api(leader).post("/api/bulletins/2017-10/publish/")
    assert response.status_code == 403 and response.json()["detail"] == "月通报由省督察办发布"
    assert (
        api(liaison).post("/api/bulletins/2017-10/publish/").status_code == 404
    )  # a draft is invisible to units
    assert Bulletin.objects.get().status == "draft"

    response = api(office).post("/api/bulletins/2017-10/publish/")
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert response.json()["published_by"] == "olga"
    again = api(office).post("/api/bulletins/2017-10/publish/")
    assert again.status_code == 400 and again.json()["detail"] == "该月通报已发布"


def test_the_bulletin_workbook_downloads(api, office, liaison):
    bulletin("2017-10")

    response = api(office).get("/api/bulletins/2017-10/xlsx/")
    assert response.status_code == 200 and "bulletin-2017-10.xlsx" in response["Content-Disposition"]
    assert "概况" in load_workbook(io.BytesIO(response.content)).sheetnames
    assert api(liaison).get("/api/bulletins/2017-10/xlsx/").status_code == 404


def test_an_unknown_month_is_a_chinese_404(api, office):
    response = api(office).get("/api/bulletins/2017-13/")
    assert response.status_code == 404 and response.json()["detail"] == "对象不存在或无权查看"
