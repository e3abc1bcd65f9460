"""Every event of the table (dispatch/events.py) through the real services: who is told, with what, once.

alice is 晋中市's liaison, bob its unit leader; charlie and dave are 临汾市's; olga is the
office and leo a leader. Each event is walked through the service that emits it, and the
inbox is read back: who got which message, where its link points, and that a second run,
a retried emit or a rolled-back change tells no one twice (or at all).
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from accountability import services as supervision
from dispatch import events
from dispatch.models import Channel, ChannelSetting, DeliveryLog, Notification, RobotKind
from dispatch.notify import inbox_only
from dispatch.services import warn_deadlines
from outbox.models import OutboxMessage
from tasks.choices import ReviewOutcome, Role
from tasks.models import Assignment, Unit
from tasks.models.people import Membership
from tasks.services import ledger
from tests.helpers import PINNED_DAY

pytestmark = [pytest.mark.django_db, pytest.mark.today()]


@pytest.fixture
def people(liaison, unit_leader, outsider, outsider_leader, office, leader):
    """The six people; 晋中市's group has a DingTalk robot, so every walk checks that channel too."""
    ChannelSetting.objects.create(
        unit=Unit.objects.get(name="晋中市"), webhook=True, robot_url="https://oapi.dingtalk.com/robot/send"
    )
    return liaison, unit_leader, outsider, outsider_leader, office, leader


def told(job, period=None, *, channels=True) -> dict[str, Notification]:
    """Who got the event's inbox message, checking its other channels on the way: an e-mail for each
    recipient (they all have an address), one robot message when 晋中市's people are among them."""
    notes = Notification.objects.filter(job=job).select_related("user")
    logs = DeliveryLog.objects.filter(job=job)
    if period is not None:
        notes, logs = notes.filter(period=str(period)), logs.filter(period=str(period))
    if not channels:  # the inbox only (a replay, a unit that turned its channels off)
        assert not logs.exists(), job
        return {n.user.username: n for n in notes}
    emails = sorted(log.address for log in logs if log.channel == Channel.EMAIL)
    assert emails == sorted(n.user.email for n in notes), job
    robots = [log for log in logs if log.channel == Channel.WEBHOOK]
    units = {n.unit.name for n in notes if n.unit is not None}
    group = events.EVENTS[job].to_the_group  # a message for the leaders alone stays out of the group
    assert len(robots) == (len({n.period for n in notes}) if "晋中市" in units and group else 0), job
    return {n.user.username: n for n in notes}


def dated_row() -> Assignment:
    """晋中市's first assignment with a completion date (an extension needs one)."""
    return (
        Assignment.objects.filter(unit__name="晋中市", task__due_date__isnull=False)
        .select_related("task", "unit")
        .order_by("task__number")
        .first()
    )


def ask_signoff(assignment, liaison, evidence_pdf):
    ledger.submit_report(assignment.pk, actor=liaison, week="2017-W48", text="整改推进", percent=90)
    return ledger.request_signoff(assignment.pk, actor=liaison, summary="已完成整改", files=[evidence_pdf()])


def test_each_check_of_a_signoff_tells_whom_it_concerns_with_the_reason(people, evidence_pdf):
    alice, bob, _, _, olga, _ = people
    a = dated_row()

    first = ask_signoff(a, alice, evidence_pdf)
    assert set(told("signoff.requested")) == {"bob"}
    note = told("signoff.requested")["bob"]
    assert note.subject == f"{a}：申请销号，待单位审核" and note.link == f"/assignments/{a.pk}/"
    assert note.kind == "signoff" and note.unit.name == "晋中市"

    ledger.reject(a.pk, actor=bob, reason="佐证材料不全，缺少验收报告")
    assert set(told("signoff.unit_rejected", first.pk)) == {"alice"}
    assert "退回理由：佐证材料不全，缺少验收报告" in told("signoff.unit_rejected")["alice"].body

    second = ask_signoff(a, alice, evidence_pdf)
    assert set(told("signoff.requested", second.pk)) == {"bob"}  # a new request, a new message
    ledger.approve(a.pk, actor=bob, opinion="同意")
    assert set(told("signoff.unit_approved", second.pk)) == {"alice", "olga"}
    ledger.reject(a.pk, actor=olga, reason="整改成效未经第三方核查")
    assert set(told("signoff.rejected", second.pk)) == {"alice", "bob"}
    assert "整改成效未经第三方核查" in told("signoff.rejected")["bob"].body

    third = ask_signoff(a, alice, evidence_pdf)
    ledger.approve(a.pk, actor=bob)
    ledger.approve(a.pk, actor=olga, opinion="予以销号")
    approved = told("signoff.approved", third.pk)
    assert set(approved) == {"alice", "bob"}
    assert approved["alice"].subject == f"{a}：已销号" and "审核意见：予以销号" in approved["alice"].body
    # Nobody outside 晋中市 heard of any of it.
    assert not Notification.objects.filter(user__username__in=["charlie", "dave", "leo"]).exists()


def test_a_look_back_review_is_announced_and_its_outcome_too(people, evidence_pdf):
    alice, bob, _, _, olga, _ = people
    a = dated_row()
    ask_signoff(a, alice, evidence_pdf)
    ledger.approve(a.pk, actor=bob)
    ledger.approve(a.pk, actor=olga)
    # Today: its outcome may be recorded on the review's date, not before (the ledger's rule).
    review = ledger.schedule_review(a.pk, actor=olga, scheduled_for=PINNED_DAY)
    scheduled = told("review.scheduled", review.pk)
    assert set(scheduled) == {"alice", "bob"} and f"{PINNED_DAY:%Y-%m-%d}" in scheduled["alice"].body

    ledger.record_review(
        review.pk,
        actor=olga,
        outcome=ReviewOutcome.RELAPSED,
        findings="污水直排复现",
        requirements="立即封堵直排口，十日内报送整改情况",
        new_due_date=PINNED_DAY + datetime.timedelta(days=40),
    )
    recorded = told("review.recorded", review.pk)
    assert set(recorded) == {"alice", "bob"}
    assert recorded["bob"].subject.endswith("回头看结论——问题反弹")
    body = recorded["bob"].body
    assert "污水直排复现" in body and "须重新整改" in body and "立即封堵直排口" in body
    assert f"重新整改期限：{PINNED_DAY + datetime.timedelta(days=40):%Y-%m-%d}" in body


def test_an_extension_goes_to_the_unit_leader_then_the_office_and_its_decision_to_the_requester_and_the_leaders(
    people,
):
    alice, bob, _, _, olga, _ = people
    a = dated_row()
    asked = a.effective_due_date + datetime.timedelta(days=60)
    reason = "汛期无法施工，需待枯水期完成管网改造"
    refused = ledger.request_extension(a.pk, actor=alice, new_due_date=asked, reason=reason)
    requested = told("extension.requested", refused.pk)
    assert set(requested) == {"bob"} and requested["bob"].link == "/queue/"  # the unit's leader decides first
    assert reason in requested["bob"].body

    ledger.decide_extension(refused.pk, actor=bob, approve=True, note="情况属实")
    sent_on = told("extension.unit_approved", refused.pk)
    assert set(sent_on) == {"olga", "alice"} and sent_on["olga"].link == "/queue/"
    assert "单位负责人意见：情况属实" in sent_on["olga"].body

    ledger.decide_extension(refused.pk, actor=olga, approve=False, note="理由不充分")
    decided = told("extension.decided", refused.pk)
    assert set(decided) == {"alice", "bob"}
    assert (
        decided["alice"].subject.endswith("延期申请未批准")
        and "省督察办不同意" in decided["alice"].body
        and "审批意见：理由不充分" in decided["alice"].body
    )

    granted = ledger.request_extension(
        a.pk, actor=alice, new_due_date=asked, reason="补充了施工计划，枯水期内完成管网改造"
    )
    ledger.decide_extension(granted.pk, actor=bob, approve=True)
    ledger.decide_extension(granted.pk, actor=olga, approve=True)
    body = told("extension.decided", granted.pk)["bob"].body
    assert f"新的完成期限为 {asked:%Y-%m-%d}" in body

    stopped = ledger.request_extension(
        a.pk,
        actor=alice,
        new_due_date=asked + datetime.timedelta(days=30),
        reason="再次申请，施工单位变更需要重新招标",
    )
    ledger.decide_extension(stopped.pk, actor=bob, approve=False, note="应按原计划推进")
    refusal = told("extension.decided", stopped.pk)
    assert set(refusal) == {"alice", "bob"} and "单位负责人不同意" in refusal["alice"].body
    assert not told("extension.unit_approved", stopped.pk)


def test_a_listing_is_announced_warned_near_and_after_its_deadline_once_each_and_lifted(people, settings):
    alice, bob, _, _, olga, _ = people
    a = dated_row()
    listing = supervision.list_assignment(
        a, actor=olga, reason="进度严重滞后", deadline=PINNED_DAY + datetime.timedelta(days=3)
    )
    assert set(told("supervision.listed", listing.pk)) == {"alice", "bob"}
    assert "挂牌理由：进度严重滞后" in told("supervision.listed")["alice"].body

    warn_deadlines(PINNED_DAY)
    assert set(told("supervision.due_soon", listing.pk)) == {"alice", "bob"}
    assert warn_deadlines(PINNED_DAY).messages.created == 0  # the job run again tells no one

    later = PINNED_DAY + datetime.timedelta(days=5)
    settings.RECTIFY_TODAY = later + datetime.timedelta(days=2)
    warn_deadlines(later)
    assert set(told("supervision.overdue", listing.pk)) == {"alice", "bob", "olga"}
    warn_deadlines(later + datetime.timedelta(days=1))
    assert Notification.objects.filter(job="supervision.overdue").count() == 3
    assert Notification.objects.filter(job="supervision.due_soon").count() == 2

    supervision.lift_listing(listing.pk, actor=olga, note="已按期整改")
    assert set(told("supervision.lifted", listing.pk)) == {"alice", "bob"}
    warn_deadlines(later + datetime.timedelta(days=2))
    assert Notification.objects.filter(job__startswith="supervision.").count() == 2 + 2 + 3 + 2


def test_summons_and_cases_are_told_to_the_units_leaders(people):
    _, bob, _, _, olga, _ = people
    unit = Unit.objects.get(name="晋中市")
    summons = supervision.record_summons(
        actor=olga, unit=unit, held_on=PINNED_DAY, attendees="晋中市副市长", reason="整改不力"
    )
    assert set(told("summons.recorded", summons.pk)) == {"bob"}
    assert told("summons.recorded")["bob"].link == "/supervision/"

    case = supervision.refer_case(
        actor=olga, unit=unit, persons="某局局长", summary="敷衍整改", referred_on=PINNED_DAY
    )
    assert set(told("case.referred", case.pk)) == {"bob"}
    supervision.update_case(case.pk, actor=olga, status="investigating")
    supervision.update_case(case.pk, actor=olga, status="concluded", conclusion="给予党内警告处分")
    updates = Notification.objects.filter(job="case.updated", user=bob).order_by("id")
    assert [n.subject for n in updates] == ["晋中市：责任追究调查中", "晋中市：责任追究已办结"]
    assert "处理结果：给予党内警告处分" in updates[1].body


def test_a_retried_emit_tells_no_one_twice_and_a_rolled_back_change_tells_no_one(people):
    alice, _, _, _, olga, _ = people
    a = dated_row()
    listing = supervision.list_assignment(a, actor=olga, reason="滞后", deadline=PINNED_DAY)
    again = events.on_event("supervision.listed", assignment=a, listing=listing)
    assert (again.created, again.existing) == (0, 2)
    assert Notification.objects.filter(job="supervision.listed").count() == 2

    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.request_extension(
            a.pk,
            actor=alice,
            new_due_date=a.effective_due_date + datetime.timedelta(days=9),
            reason="设备到货延迟，需顺延九天完成安装",
        )
        raise RuntimeError("the request failed after the service")
    assert not Notification.objects.filter(job="extension.requested").exists()


def test_a_units_channels_get_one_delivery_each_through_the_outbox(
    people, django_capture_on_commit_callbacks
):
    _, _, _, _, olga, _ = people
    a = dated_row()
    ChannelSetting.objects.filter(unit=a.unit).delete()
    ChannelSetting.objects.create(
        unit=a.unit,
        webhook=True,
        robot_kind=RobotKind.WECOM,
        robot_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY",
        sms=True,
        phones="13800000001，13800000002",
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        listing = supervision.list_assignment(a, actor=olga, reason="滞后", deadline=PINNED_DAY)
    logs = DeliveryLog.objects.filter(job="supervision.listed", period=str(listing.pk))
    assert sorted((log.channel, log.address) for log in logs) == [
        (Channel.EMAIL, "alice@example.gov.cn"),
        (Channel.EMAIL, "bob@example.gov.cn"),
        (Channel.SMS, "13800000001"),
        (Channel.SMS, "13800000002"),
        (Channel.WEBHOOK, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"),  # the key stays out of the log
    ]
    assert {log.status for log in logs} == {"pending"} and len(callbacks) == 2
    assert sorted(
        OutboxMessage.objects.filter(task="dispatch.send_delivery").values_list("args", flat=True)
    ) == sorted([log.pk] for log in logs if log.channel != Channel.EMAIL)
    emails = sorted(log.pk for log in logs if log.channel == Channel.EMAIL)
    assert list(OutboxMessage.objects.filter(task="dispatch.send_emails").values_list("args", flat=True)) == [
        [emails]  # the e-mails in one batch
    ]

    events.on_event("supervision.listed", assignment=a, listing=listing)  # redelivered: nothing new
    assert logs.count() == 5 and OutboxMessage.objects.count() == 4

    with inbox_only():  # the demo replaying 2017: inbox only
        supervision.lift_listing(listing.pk, actor=olga)
    assert len(told("supervision.lifted", channels=False)) == 2


def test_a_unit_can_turn_email_off(people):
    _, _, _, _, olga, _ = people
    a = dated_row()
    ChannelSetting.objects.filter(unit=a.unit).update(email=False, webhook=False)
    listing = supervision.list_assignment(a, actor=olga, reason="滞后", deadline=PINNED_DAY)
    assert len(told("supervision.listed", listing.pk, channels=False)) == 2


def _members(unit, count):
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"fan{unit.pk}-{i}", email=f"fan{i}@example.gov.cn") for i in range(count)]
    )
    Membership.objects.bulk_create([Membership(user=u, role=Role.LIAISON, unit=unit) for u in users])


@pytest.mark.parametrize("count", [10, 200])
def test_fanning_out_runs_the_same_queries_whatever_the_number_of_recipients(
    plan, office, queries, count, django_capture_on_commit_callbacks
):
    a = dated_row()
    _members(a.unit, count)
    ChannelSetting.objects.create(unit=a.unit, webhook=True, robot_url="https://oapi.dingtalk.com/robot/send")
    listing = supervision.list_assignment(a, actor=office, reason="滞后", deadline=PINNED_DAY)
    Notification.objects.all().delete()
    DeliveryLog.objects.all().delete()
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False), queries(13):
        delivery = events.on_event("supervision.listed", assignment=a, listing=listing)
    assert delivery.created == count
    assert DeliveryLog.objects.count() == count + 1  # an email each, one robot message
