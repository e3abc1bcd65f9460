"""月通报 drafts made by the office in the pages (/bulletins/draft/), not only by the monthly job."""

import pytest

from dispatch.bulletin import make_bulletin, publish_bulletin
from dispatch.models import Bulletin, BulletinStatus
from tasks.models import AuditEntry
from tests.helpers import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.today()]  # the ledger stands on 2017-12-01


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
