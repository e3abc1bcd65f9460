"""The monthly bulletin's draft, publishing and its audit, the announcement and bad months (the figures
against a hand-built ledger: test_dispatch_bulletin)."""

from unittest import mock

import pytest

from dispatch.bulletin import make_bulletin, publish_bulletin
from dispatch.models import Bulletin, Notification
from dispatch.periods import BadMonth
from outbox.models import OutboxMessage
from outbox.services import PUBLISH_RETRY
from tasks.models import AuditEntry
from tasks.services.errors import Forbidden, InvalidTransition

pytestmark = pytest.mark.django_db


def test_a_bulletin_is_a_draft_with_an_html_body_until_the_office_publishes_it(
    office, leader, mailoutbox, django_capture_on_commit_callbacks, run_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        bulletin, created, delivery = make_bulletin("2017-10")
    run_outbox()
    assert created and bulletin.status == "draft" and bulletin.published_at is None
    assert "月通报（2017-10）" in bulletin.html and "晋中市" in bulletin.html
    assert [n.user for n in Notification.objects.filter(job="bulletin_draft")] == [office]
    assert [m.to for m in mailoutbox] == [["olga@example.gov.cn"]]

    again, created, delivery = make_bulletin("2017-10")
    assert (again.pk, created, delivery.created) == (bulletin.pk, False, 0)


def test_publishing_is_the_offices_audited_act_and_announces_it(
    office, leader, liaison, django_capture_on_commit_callbacks
):
    bulletin, _, _ = make_bulletin("2017-10")
    with pytest.raises(Forbidden):
        publish_bulletin(bulletin, leader)
    with pytest.raises(Forbidden):
        publish_bulletin(bulletin, liaison)

    with (
        mock.patch("outbox.services.current_app.send_task") as send_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        published = publish_bulletin(bulletin, office)
    message = OutboxMessage.objects.get(task="dispatch.announce_bulletin")
    assert (message.task, message.args, message.sent_at is not None) == (
        "dispatch.announce_bulletin",
        [bulletin.pk],
        True,
    )
    send_task.assert_called_once_with(
        "dispatch.announce_bulletin",
        args=[bulletin.pk],
        kwargs={"outbox_id": message.pk},
        retry_policy=PUBLISH_RETRY,
    )
    assert (published.status, published.published_by) == ("published", office)
    entry = AuditEntry.objects.get(action="publish_bulletin")
    assert (entry.actor, entry.before["status"], entry.after["status"]) == (office, "draft", "published")
    with pytest.raises(InvalidTransition):
        publish_bulletin(bulletin, office)


def test_the_announcement_reaches_office_leaders_and_every_unit_once(office, leader, liaison):
    from dispatch.bulletin import announce_bulletin

    bulletin, _, _ = make_bulletin("2017-10")
    assert announce_bulletin(bulletin.pk).created == 0  # a draft is not announced
    Bulletin.objects.filter(pk=bulletin.pk).update(status="published")

    assert announce_bulletin(bulletin.pk).created == 3  # office, leader, and 晋中市's liaison
    assert announce_bulletin(bulletin.pk).created == 0
    assert set(Notification.objects.filter(job="bulletin").values_list("user__username", flat=True)) == {
        "olga",
        "leo",
    }
    mine = Notification.objects.get(job="bulletin.published", user=liaison)
    assert (
        mine.subject.startswith("2017-10 月通报已发布：晋中市") and mine.link == "/public/bulletins/2017-10/"
    )
    assert announce_bulletin(bulletin.pk + 1000).created == 0  # deleted meanwhile: nothing


def test_a_published_bulletin_is_never_recomputed(office):
    bulletin, _, _ = make_bulletin("2017-10")
    Bulletin.objects.filter(pk=bulletin.pk).update(
        status="published", data={"month": "2017-10", "totals": {"total": 1}}
    )

    again, changed, _ = make_bulletin("2017-10", refresh=True)
    assert not changed and again.data["totals"] == {"total": 1}


@pytest.mark.parametrize("month", ["2017-13", "2017-1", "十月", ""])
def test_a_bad_month_is_refused(plan, month):
    with pytest.raises(BadMonth):
        make_bulletin(month)
    assert not Bulletin.objects.exists()
