"""The inbox (the dispatch app's notifications) and the published bulletins on the public page."""

import pytest
from django.utils import timezone

from dispatch.models import Bulletin, Notification
from tests.helpers import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

BULLETIN_DATA = {
    "month": "2017-10",
    "start": "2017-10-01",
    "end": "2017-10-31",
    "totals": {"total": 215, "signed_off": 12, "on_track": 150, "overdue": 50, "reopened": 3},
    "by_category": [
        {
            "number": 1,
            "title": "关于环境保护工作推进落实方面的问题",
            "total": 72,
            "signed_off": 5,
            "on_track": 50,
            "overdue": 16,
            "reopened": 1,
        }
    ],
    "by_unit": [
        {
            "unit": "晋中市",
            "kind": "city",
            "total": 19,
            "signed_off": 4,
            "on_track": 10,
            "overdue": 5,
            "reopened": 0,
            "on_time_rate": 0.75,
            "rank": 1,
        },
        {
            "unit": "临汾市",
            "kind": "city",
            "total": 18,
            "signed_off": 0,
            "on_track": 12,
            "overdue": 6,
            "reopened": 0,
            "on_time_rate": None,
            "rank": 2,
        },
    ],
    "overdue": [],
    "missed_reports": [],
    "newly_signed_off": [],
    "newly_reopened": [],
    "previous": None,
    "change": None,
}


def notify(user, subject, *, kind="weekly_dispatch", period="2017-W40", read=False):
    return Notification.objects.create(
        user=user,
        kind=kind,
        job=kind,
        period=period,
        subject=subject,
        body=f"{subject}的正文",
        read_at=timezone.now() if read else None,
    )


def bulletin(month, status):
    return Bulletin.objects.create(
        month=month,
        status=status,
        data={**BULLETIN_DATA, "month": month},
        html="<p>通报</p>",
        published_at=timezone.now() if status == "published" else None,
    )


def test_it_lists_only_the_users_own_notifications_newest_first(liaison, outsider):
    notify(liaison, "第40周调度", period="2017-W40")
    notify(liaison, "第41周调度", period="2017-W41")
    notify(outsider, "临汾市的消息")
    response = client_for(liaison).get("/inbox/")
    assert [n.subject for n in response.context["page"]] == ["第41周调度", "第40周调度"]
    body = response.content.decode()
    assert "第41周调度的正文" in body and "临汾市的消息" not in body


def test_it_counts_unread_messages_in_the_navigation(liaison):
    notify(liaison, "未读一", period="1")
    notify(liaison, "未读二", period="2")
    notify(liaison, "已读", period="3", read=True)
    body = client_for(liaison).get("/desk/").content.decode()
    assert 'aria-label="2 条未读"' in body


def test_it_filters_unread_and_marks_read(liaison):
    unread = notify(liaison, "请报送进展", kind="report_chaser")
    notify(liaison, "旧消息", period="2017-W39", read=True)
    client = client_for(liaison)
    assert [n.subject for n in client.get("/inbox/?unread=true").context["page"]] == ["请报送进展"]
    response = client.post(f"/inbox/{unread.pk}/read/", {"next": "/inbox/?unread=true"})
    assert response.status_code == 302 and response["Location"] == "/inbox/?unread=true"
    unread.refresh_from_db()
    assert unread.read_at is not None
    assert list(client.get("/inbox/?unread=true").context["page"]) == []


def test_it_marks_everything_read_at_once(liaison, outsider):
    notify(liaison, "一", period="1")
    notify(liaison, "二", period="2")
    theirs = notify(outsider, "别人的", period="1")
    assert client_for(liaison).post("/inbox/read-all/").status_code == 302
    assert not Notification.objects.filter(user=liaison, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_refuses_to_mark_someone_elses_notification(liaison, outsider):
    theirs = notify(outsider, "别人的")
    assert client_for(liaison).post(f"/inbox/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_shows_only_published_bulletins_to_the_public(plan):
    bulletin("2017-10", "published")
    bulletin("2017-11", "draft")
    body = client_for().get("/public/").content.decode()
    assert "2017-10 月通报" in body and "2017-11" not in body
    page = client_for().get("/public/bulletins/2017-10/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "晋中市" in text and "75%" in text and "—" in text
    assert client_for().get("/public/bulletins/2017-11/").status_code == 404


def test_a_path_in_a_message_is_a_link_and_the_rest_stays_text(liaison):
    Notification.objects.create(
        user=liaison,
        kind="weekly_dispatch",
        job="weekly_dispatch",
        period="2017-W48",
        subject="第48周调度",
        body="本周周报表（Excel）：/ledger/weekly.xlsx?week=2017-W48&unit=3\n/desk/\n<b>加粗</b> 完成 1/2",
    )
    body = client_for(liaison).get("/inbox/").content.decode()
    assert '<a href="/ledger/weekly.xlsx?week=2017-W48&amp;unit=3">' in body
    assert '<a href="/desk/">/desk/</a>' in body
    assert "&lt;b&gt;加粗&lt;/b&gt;" in body and "<b>加粗</b>" not in body
    assert 'href="/2"' not in body
