"""催办: the office urges one row, a unit or a filtered ledger; the unit answers by a report or a 签收."""

import datetime

import pytest

from dispatch.models import Notification, Urge
from tasks.choices import Status
from tasks.models import Assignment, AuditEntry, Unit
from tasks.services import ledger
from tests.helpers import client_for, row

pytestmark = [pytest.mark.django_db, pytest.mark.today(), pytest.mark.usefixtures("module_people")]


@pytest.fixture
def people(liaison, unit_leader, outsider, outsider_leader, office):
    return liaison, unit_leader, outsider, outsider_leader, office


def urge(user, **data):
    return client_for(user).post("/urge/", {"next": "/ledger/", **data})


def inbox(username):
    return list(Notification.objects.filter(user__username=username, job="urge.sent").order_by("id"))


def test_an_urged_row_is_told_to_its_unit_shown_on_the_desk_until_a_report_answers_it(people):
    alice, bob, _, _, olga = people
    a = row(17)
    response = urge(olga, scope="assignment", assignment=a.pk, message="请于本周五前报送整改进展")
    assert response.status_code == 302 and response.url == "/ledger/"
    item = Urge.objects.get()
    assert (item.assignment, item.message, item.urged_by, item.answered_at) == (
        a,
        "请于本周五前报送整改进展",
        olga,
        None,
    )
    assert AuditEntry.objects.filter(action="urge", object_id=str(item.pk)).count() == 1
    [note] = inbox("alice")
    assert note.subject == "晋中市：省督察办催办 1 项台账" and note.link == "/desk/"
    assert "请于本周五前报送整改进展" in note.body and "任务17" in note.body
    assert len(inbox("bob")) == 1 and not inbox("charlie")

    desk = client_for(alice).get("/desk/").content.decode()
    assert "任务17有 1 条催办待答复" in desk
    assert '我的任务<span class="badge-count" aria-label="1 项催办待答复">1</span>' in desk
    page = client_for(alice).get(f"/assignments/{a.pk}/").content.decode()
    assert "请于本周五前报送整改进展" in page and "签收催办" in page

    ledger.submit_report(a.pk, actor=alice, week="2017-W48", text="已完成排查", percent=40)
    item.refresh_from_db()
    assert (item.answer, item.answered_by) == ("report", alice) and item.answered_at is not None
    assert "催办待答复" not in client_for(alice).get("/desk/").content.decode()


def test_a_unit_is_urged_for_all_its_open_rows_in_one_message_and_signs_for_them(people):
    alice, bob, charlie, _, olga = people
    unit = Unit.objects.get(name="晋中市")
    open_rows = Assignment.objects.filter(unit=unit).exclude(status=Status.SIGNED_OFF).count()
    Assignment.objects.filter(pk=row(17).pk).update(status=Status.SIGNED_OFF)  # signed off: not urged
    response = urge(olga, scope="unit", unit=unit.pk, assignment=row(17).pk, message="进度滞后，请加快")
    assert response.status_code == 302
    assert Urge.objects.count() == open_rows - 1 and not Urge.objects.filter(assignment=row(17))
    assert [n.subject for n in inbox("alice")] == [f"晋中市：省督察办催办 {open_rows - 1} 项台账"]

    a = Urge.objects.order_by("pk").first().assignment
    assert client_for(charlie).post(f"/urges/{a.pk}/acknowledge/").status_code == 404  # another unit's
    assert client_for(bob).post(f"/urges/{a.pk}/acknowledge/", {"next": "/desk/"}).status_code == 302
    assert Urge.objects.get(assignment=a).answer == "acknowledged"
    assert AuditEntry.objects.filter(action="answer_urge").count() == 1
    again = client_for(bob).post(f"/urges/{a.pk}/acknowledge/")
    assert again.status_code == 400 and "该台账没有待签收的催办" in again.content.decode()


def test_a_filtered_ledger_is_urged_in_a_batch_one_message_per_unit(people):
    _, _, _, _, olga = people
    query = "q=&category=1"
    rows = Assignment.objects.filter(task__category__number=1).exclude(status=Status.SIGNED_OFF)
    response = urge(olga, scope="ledger", query=query, message="第一类问题整改滞后，请加快")
    assert response.status_code == 302
    assert Urge.objects.count() == rows.count() and len({u.batch for u in Urge.objects.all()}) == 1
    assert len(inbox("alice")) == 1 and len(inbox("charlie")) == 1 and len(inbox("dave")) == 1
    dashboard = client_for(olga).get("/dashboard/").content.decode()
    assert "催办" in dashboard and "晋中市" in dashboard


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"scope": "assignment", "message": "   "}, 400, "请指定要催办的台账"),
        ({"scope": "assignment", "assignment": "x", "message": "催"}, 400, "输入整数"),
        ({"scope": "ledger", "query": "status=bogus", "message": "催"}, 400, "筛选条件不正确"),
        ({"scope": "everything", "message": "催"}, 400, "选择一个有效的选项"),
        ({"scope": "assignment", "assignment": 999999, "message": "催"}, 400, "没有可催办的台账"),
        ({"scope": "assignment", "assignment": "ROW", "message": "催" * 201}, 400, "200 字以内"),
        ({"scope": "assignment", "assignment": "ROW", "message": "  "}, 400, "必填"),
    ],
)
def test_bad_urges_are_refused_in_chinese_and_change_nothing(people, data, status, message):
    *_, olga = people
    if data.get("assignment") == "ROW":
        data["assignment"] = row(17).pk
    response = urge(olga, **data)
    assert response.status_code == status and message in response.content.decode()
    assert not Urge.objects.exists() and not Notification.objects.filter(job="urge.sent")


def test_only_the_office_urges_and_only_the_unit_signs(people, leader):
    alice, bob, *_ = people
    a = row(17)
    for user in (alice, bob, leader):
        assert urge(user, scope="assignment", assignment=a.pk, message="催").status_code == 403
    assert client_for(leader).post(f"/urges/{a.pk}/acknowledge/").status_code == 403
    assert not Urge.objects.exists()


def test_the_weekly_chaser_escalates_rows_ignored_twice_to_the_leaders_then_to_the_office(people, settings):
    from dispatch.services import chase_reports

    alice, bob, *_ = people
    settings.RECTIFY_TODAY = datetime.date(2017, 12, 31)
    a = row(17)
    ledger.submit_report(a.pk, actor=alice, week="2017-W44", text="推进", percent=10)
    Assignment.objects.filter(unit__name="晋中市").exclude(pk=a.pk).update(status=Status.SIGNED_OFF)
    Assignment.objects.exclude(unit__name="晋中市").update(status=Status.SIGNED_OFF)

    chase_reports("2017-W45")
    chase_reports("2017-W46")
    assert not Notification.objects.filter(job__startswith="chaser.")  # one chaser ignored so far
    chase_reports("2017-W47")  # two ignored: bob hears of it
    [to_leader] = Notification.objects.filter(job="chaser.to_leaders")
    assert to_leader.user == bob and to_leader.period.startswith("2017-W47:")
    assert "任务17：已 2 次催报未回应" in to_leader.body and to_leader.link.startswith("/ledger/?unit=")
    assert not Notification.objects.filter(job="chaser.to_office")
    chase_reports("2017-W47")  # the job run again tells no one twice
    assert Notification.objects.filter(job="chaser.to_leaders").count() == 1

    chase_reports("2017-W48")  # three ignored: the office too
    assert set(
        Notification.objects.filter(job="chaser.to_office").values_list("user__username", flat=True)
    ) == {"olga"}
    ledger.submit_report(a.pk, actor=alice, week="2017-W48", text="已报送", percent=20)
    chase_reports("2017-W49")
    assert Notification.objects.filter(job__startswith="chaser.").count() == 3  # answered: no more escalation


def test_the_months_urges_are_counted_per_unit_in_the_bulletin_and_its_message(people):
    from dispatch.bulletin import announce_bulletin, make_bulletin
    from dispatch.models import Bulletin
    from tests.helpers import on

    alice, *_, olga = people
    with on("2017-10-20"):
        urge(olga, scope="assignment", assignment=row(17).pk, message="请报送")
        urge(olga, scope="assignment", assignment=row(17).pk, message="再次催办")
    with on("2017-11-01"):
        bulletin, _, _ = make_bulletin("2017-10")
    mine = next(u for u in bulletin.data["by_unit"] if u["unit"] == "晋中市")
    assert mine["urges"] == 2 and "<td>2</td></tr>" in bulletin.html
    assert all(u["urges"] == 0 for u in bulletin.data["by_unit"] if u["unit"] != "晋中市")
    Bulletin.objects.filter(pk=bulletin.pk).update(status="published")
    announce_bulletin(bulletin.pk)
    assert "本月被省督察办催办 2 次" in Notification.objects.get(job="bulletin.published", user=alice).body
