"""The office's channel pages (/channels/, /deliveries/) and the navigation's waiting counts."""

import datetime
import re

import pytest

from dispatch.models import ChannelSetting, DeliveryLog, Notification
from tasks.choices import ExtensionStatus, Status
from tasks.models import Assignment, AuditEntry, Extension, Unit
from tasks.services import ledger
from tests.helpers import client_for
from web.context_processors import Waiting

pytestmark = [pytest.mark.django_db, pytest.mark.today(), pytest.mark.usefixtures("module_people")]

ROBOT = "https://oapi.dingtalk.com/robot/send?access_token=abc123"


def form(**values):
    base = {"email": "on", "robot_kind": "dingtalk", "robot_url": "", "robot_secret": "", "phones": ""}
    return {**base, **values}


def test_only_the_office_opens_the_channel_pages(liaison, unit_leader, leader, office, client):
    unit = Unit.objects.get(name="晋中市")
    for user in (liaison, unit_leader, leader):
        for path in ("/channels/", f"/channels/{unit.pk}/", "/deliveries/"):
            assert client_for(user).get(path).status_code == 403, (user, path)
    assert client.get("/channels/").status_code == 302  # anonymous: to the login page
    page = client_for(office).get("/channels/")
    assert page.status_code == 200 and "晋中市" in page.content.decode()
    assert client_for(office).get("/channels/999999/").status_code == 404


def test_the_office_sets_a_units_robot_and_phones_audited_without_the_secret(office):
    unit = Unit.objects.get(name="晋中市")
    response = client_for(office).post(
        f"/channels/{unit.pk}/",
        form(
            webhook="on", robot_url=ROBOT, robot_secret="SECabc", sms="on", phones="13800000001，13900000002"
        ),
    )
    assert response.status_code == 302
    setting = ChannelSetting.objects.get(unit=unit)
    assert (setting.webhook, setting.robot_secret, setting.phone_list) == (
        True,
        "SECabc",
        ["13800000001", "13900000002"],
    )
    entry = AuditEntry.objects.filter(action="configure_channels").get()
    assert entry.after["robot_url"] == "https://oapi.dingtalk.com/robot/send"  # the token stays out
    assert entry.after["robot_secret_set"] is True and "SECabc" not in str(entry.after)

    # Saving again with the secret left empty keeps it; the page says a secret is set without showing it.
    page = client_for(office).get(f"/channels/{unit.pk}/").content.decode()
    assert "已保存加签密钥" in page and "SECabc" not in page
    client_for(office).post(
        f"/channels/{unit.pk}/", form(webhook="on", robot_url=ROBOT, sms="on", phones="13800000001")
    )
    assert ChannelSetting.objects.get(unit=unit).robot_secret == "SECabc"
    client_for(office).post(f"/channels/{unit.pk}/", form(webhook="on", robot_url=ROBOT, clear_secret="on"))
    assert ChannelSetting.objects.get(unit=unit).robot_secret == ""


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"sms": "on", "phones": "1380000"}, "手机号“1380000”不正确，应为 11 位数字"),
        ({"sms": "on"}, "开启短信须填写至少一个手机号"),
        ({"webhook": "on"}, "开启工作群机器人须填写机器人地址"),
        ({"robot_url": "javascript:alert(1)"}, "机器人地址应以 https:// 开头"),
        ({"robot_kind": "feishu"}, "选择一个有效的选项"),
    ],
)
def test_bad_settings_are_refused_in_chinese_and_change_nothing(office, values, message):
    unit = Unit.objects.get(name="晋中市")
    response = client_for(office).post(f"/channels/{unit.pk}/", form(**values))
    assert response.status_code == 400 and message in response.content.decode()
    assert not ChannelSetting.objects.exists() and not AuditEntry.objects.filter(action="configure_channels")


def _logs(count):
    unit = Unit.objects.get(name="晋中市")
    DeliveryLog.objects.bulk_create(
        DeliveryLog(
            channel="webhook" if i % 2 else "email",
            job="supervision.listed",
            period=str(i),
            target=f"unit:{i}",
            address="https://oapi.dingtalk.com/robot/send",
            unit=unit,
            subject=f"消息{i}",
            body="正文",
            status="failed" if i % 3 == 0 else "sent",
            attempts=5 if i % 3 == 0 else 1,
            last_error="ChannelError: HTTP 503" if i % 3 == 0 else "",
        )
        for i in range(count)
    )


@pytest.mark.parametrize("count", [3, 60])
def test_the_delivery_log_shows_attempts_and_errors_in_fixed_queries(office, queries, count):
    _logs(count)
    client = client_for(office)
    client.get("/deliveries/")  # the session and the membership are read once per request: warm them alike
    with queries(6):  # session, user, membership; the nav's counts; the count and the page
        page = client.get("/deliveries/?status=failed")
    body = page.content.decode()
    assert page.status_code == 200 and "ChannelError: HTTP 503" in body and "发送失败" in body
    assert body.count("<tr>") - 1 == min(len([i for i in range(count) if i % 3 == 0]), 50)


def test_a_bad_delivery_filter_is_a_chinese_400(office):
    response = client_for(office).get("/deliveries/?status=lost")
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()


def _badge(body, label):
    match = re.search(rf'href="([^"]+)"[^>]*>{label}<span class="badge-count"[^>]*>(\d+)</span>', body)
    return (match[1], int(match[2])) if match else None


def test_the_navigation_counts_what_waits_for_each_user(liaison, unit_leader, office, evidence_pdf):
    rows = list(
        Assignment.objects.filter(unit__name="晋中市", task__due_date__isnull=False).order_by("pk")[:3]
    )
    for a in rows:
        ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="推进", percent=90)
        ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[evidence_pdf()])
    ledger.approve(rows[0].pk, actor=unit_leader)
    extension = ledger.request_extension(
        rows[2].pk,
        actor=liaison,
        new_due_date=rows[2].effective_due_date + datetime.timedelta(days=30),
        reason="汛期无法施工，需顺延一个月",
    )

    # The extension request waits for the unit's leader first (延期审批 on bob's navigation).
    leader_page = client_for(unit_leader).get("/desk/").content.decode()
    assert _badge(leader_page, "销号审核") == ("/queue/", 2)  # two requests wait for bob's first check
    assert _badge(leader_page, "延期审批") == ("/queue/#extensions", 1)
    assert _badge(leader_page, "收件箱") == ("/inbox/?unread=true", 4)  # three 申请销号, one 申请延期
    office_page = client_for(office).get("/dashboard/").content.decode()
    assert _badge(office_page, "销号审核") == ("/queue/", 1)
    assert _badge(office_page, "延期审批") is None
    assert _badge(office_page, "收件箱") == ("/inbox/?unread=true", 1)  # 单位审核通过
    liaison_page = client_for(liaison).get("/desk/").content.decode()
    assert _badge(liaison_page, "销号审核") is None and _badge(liaison_page, "延期审批") is None
    assert _badge(liaison_page, "收件箱") == ("/inbox/?unread=true", 1)  # 单位审核通过

    # Sent on by the unit's leader: now the office decides.
    ledger.decide_extension(extension.pk, actor=unit_leader, approve=True)
    assert _badge(client_for(unit_leader).get("/desk/").content.decode(), "延期审批") is None
    office_page = client_for(office).get("/dashboard/").content.decode()
    assert _badge(office_page, "延期审批") == ("/queue/#extensions", 1)
    assert _badge(office_page, "收件箱") == ("/inbox/?unread=true", 2)  # 单位审核通过, 延期单位审核
    assert _badge(client_for(liaison).get("/desk/").content.decode(), "收件箱") == ("/inbox/?unread=true", 2)

    Notification.objects.filter(user=liaison).update(
        read_at=datetime.datetime(2017, 12, 1, tzinfo=datetime.UTC)
    )
    assert _badge(client_for(liaison).get("/desk/").content.decode(), "收件箱") is None


@pytest.mark.parametrize("count", [1, 8])
def test_the_counts_take_one_query_whatever_is_waiting(office, liaison, queries, count, evidence_pdf):
    rows = list(
        Assignment.objects.filter(unit__name="晋中市", task__due_date__isnull=False).order_by("pk")[:count]
    )
    Assignment.objects.filter(pk__in=[a.pk for a in rows]).update(status=Status.UNIT_VERIFIED)
    Extension.objects.bulk_create(  # sent on by the unit's leader: the office's to decide
        Extension(
            assignment=a,
            new_due_date=datetime.date(2018, 12, 31),
            reason="r",
            requested_by=liaison,
            status=ExtensionStatus.UNIT_APPROVED,
        )
        for a in rows
    )
    Notification.objects.bulk_create(
        Notification(user=office, kind="signoff", job="x", period=str(i), subject="s", body="b")
        for i in range(count)
    )
    office.membership  # noqa: B018 - read once per request by the middleware and the views already
    waiting = Waiting(office)
    with queries(1):
        assert (waiting.unread, waiting.checks, waiting.decisions, waiting.urged) == (count, count, count, 0)


@pytest.mark.parametrize("count", [1, 8])
def test_a_units_counts_take_one_query_too(office, liaison, queries, count):
    from dispatch.models import Urge

    rows = list(Assignment.objects.filter(unit__name="晋中市").order_by("pk")[:count])
    Urge.objects.bulk_create(Urge(assignment=a, message="催", batch="b", urged_by=office) for a in rows * 2)
    liaison.membership  # noqa: B018 - read once per request by the middleware and the views already
    waiting = Waiting(liaison)
    with queries(1):
        assert (waiting.unread, waiting.checks, waiting.decisions, waiting.urged) == (0, 0, 0, count)
