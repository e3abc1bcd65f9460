"""The dispatch jobs as services and commands: who gets what, once; snapshots; email only after commit."""

import datetime
import io
import re
import smtplib
from unittest import mock
from urllib.parse import unquote

import pytest
from celery.exceptions import Retry
from django.core.management import CommandError, call_command
from django.db import transaction

from dispatch import channels, services
from dispatch.models import ChannelSetting, DeadlineWarning, DeliveryLog, Notification
from reports.models import WeeklySnapshot
from tasks.models import Assignment, Measure, Unit
from tasks.services import ledger

pytestmark = pytest.mark.django_db

WEEK = "2017-W36"  # Monday 2017-09-04


def report(user, task_number, unit="晋中市", week=WEEK, percent=30, text="已完成排查"):
    assignment = Assignment.objects.get(task__number=task_number, unit__name=unit)
    return ledger.submit_report(assignment.pk, actor=user, week=week, text=text, percent=percent)


def listed_tasks(body: str) -> set[int]:
    return {int(n) for n in re.findall(r"任务(\d+)：", body)}


def task_numbers(unit: str) -> set[int]:
    return set(Assignment.objects.filter(unit__name=unit).values_list("task__number", flat=True))


def notes(user, job):
    return list(Notification.objects.filter(user=user, job=job))


def test_the_weekly_dispatch_tells_each_unit_its_own_open_assignments(liaison, unit_leader, outsider, office):
    result = services.dispatch_weekly(WEEK)

    mine, leaders, theirs = (
        notes(liaison, "weekly_dispatch"),
        notes(unit_leader, "weekly_dispatch"),
        notes(outsider, "weekly_dispatch"),
    )
    assert len(mine) == len(leaders) == len(theirs) == 1
    assert listed_tasks(mine[0].body) == task_numbers("晋中市")
    assert listed_tasks(theirs[0].body) == task_numbers("临汾市")
    assert mine[0].body == leaders[0].body and mine[0].unit.name == "晋中市"
    assert mine[0].kind == "weekly_dispatch" and mine[0].period == WEEK and "晋中市" in mine[0].subject
    assert not Notification.objects.filter(user=office).exists()
    assert (result.messages.created, result.messages.existing) == (3, 0)


def test_the_weekly_dispatch_gives_the_page_that_downloads_the_weeks_workbook(liaison, client):
    services.dispatch_weekly(WEEK)

    body = notes(liaison, "weekly_dispatch")[0].body
    paths = re.findall(r"(/\S+\.xlsx\?week=[\w-]+)", body)
    assert paths == [f"/ledger/weekly.xlsx?week={WEEK}"]
    client.force_login(liaison)
    response = client.get(paths[0])
    assert response.status_code == 200 and f"整改台账周报-{WEEK}" in unquote(response["Content-Disposition"])


def test_a_second_weekly_run_creates_nothing(liaison, unit_leader):
    services.dispatch_weekly(WEEK)
    again = services.dispatch_weekly(WEEK)

    assert (again.messages.created, again.messages.existing) == (0, 2)
    assert Notification.objects.count() == 2
    assert (again.snapshots_created, again.snapshots_existing) == (0, Assignment.objects.count())


def test_signed_off_assignments_are_left_out_of_the_dispatch(liaison):
    done = Assignment.objects.get(task__number=3, unit__name="晋中市")
    Assignment.objects.filter(pk=done.pk).update(status="signed_off")

    services.dispatch_weekly(WEEK)

    assert listed_tasks(notes(liaison, "weekly_dispatch")[0].body) == task_numbers("晋中市") - {3}


def test_the_dispatch_freezes_the_week_that_just_ended(liaison):
    report(liaison, 3, week="2017-W35", percent=25, text="制定方案")
    services.dispatch_weekly(WEEK)

    frozen = WeeklySnapshot.objects.filter(week="2017-W35")
    assert frozen.count() == Assignment.objects.count()
    three = frozen.get(assignment__task__number=3, assignment__unit__name="晋中市")
    assert (three.status, three.percent, three.last_report_week, three.report_text) == (
        "in_progress",
        25,
        "2017-W35",
        "制定方案",
    )

    report(liaison, 3, week="2017-W35", percent=60, text="补报")
    services.dispatch_weekly(WEEK)
    three.refresh_from_db()
    assert (three.percent, three.report_text) == (25, "制定方案")  # frozen: a re-run keeps the first state


def test_a_report_of_the_new_week_before_the_dispatch_is_not_frozen_into_the_last_one(liaison):
    report(liaison, 3, week="2017-W34", percent=20, text="摸底")
    report(liaison, 3, week="2017-W35", percent=25, text="制定方案")
    report(liaison, 3, week=WEEK, percent=40, text="本周已报")  # Monday morning, before the dispatch
    report(liaison, 1, week=WEEK, percent=10, text="首次报送")  # nothing up to W35
    services.dispatch_weekly(WEEK)

    frozen = WeeklySnapshot.objects.filter(week="2017-W35", assignment__unit__name="晋中市")
    three, one = frozen.get(assignment__task__number=3), frozen.get(assignment__task__number=1)
    assert (three.percent, three.last_report_week, three.report_text) == (25, "2017-W35", "制定方案")
    assert (one.last_report_week, one.report_text) == (None, "")  # not reported up to W35


def test_the_dispatch_gives_each_row_its_latest_report_this_week_or_last(liaison):
    report(liaison, 3, week="2017-W35", percent=25, text="制定方案")
    report(liaison, 3, week=WEEK, percent=40, text="本周已报")  # Monday morning, before the dispatch
    report(liaison, 14, week="2017-W35", percent=15)
    report(liaison, 5, week="2017-W35", percent=20)
    services.freeze_week("2017-W35")  # task 5's row alone frozen by hand before the dispatch ...
    WeeklySnapshot.objects.exclude(assignment__task__number=5, assignment__unit__name="晋中市").delete()
    report(liaison, 5, week="2017-W35", percent=35, text="补报")  # ... then reported again for that week
    services.dispatch_weekly(WEEK)

    body = notes(liaison, "weekly_dispatch")[0].body

    def latest(number):
        return re.search(rf"任务{number}：[^\n]*最近报送 ([^，]+)，完成 (\d+)%", body).groups()

    assert latest(3) == (WEEK, "40")  # this week's report
    assert latest(14) == ("2017-W35", "15")  # last week's, as the dispatch froze it
    assert latest(5) == ("2017-W35", "35")  # the newer report, not the snapshot frozen before it
    five = WeeklySnapshot.objects.get(
        week="2017-W35", assignment__task__number=5, assignment__unit__name="晋中市"
    )
    assert five.percent == 20


def test_the_chaser_names_only_the_unreported_assignments(liaison, outsider):
    report(liaison, 3)

    services.chase_reports(WEEK)

    mine = notes(liaison, "report_chaser")
    assert len(mine) == 1 and listed_tasks(mine[0].body) == task_numbers("晋中市") - {3}
    assert listed_tasks(notes(outsider, "report_chaser")[0].body) == task_numbers("临汾市")
    assert services.chase_reports(WEEK).messages.created == 0


def test_a_unit_that_reported_everything_is_not_chased(liaison, outsider):
    for number in task_numbers("晋中市"):
        report(liaison, number)

    services.chase_reports(WEEK)

    assert notes(liaison, "report_chaser") == [] and len(notes(outsider, "report_chaser")) == 1


@pytest.fixture
def due_soon(liaison):
    """A 晋中市 assignment due on 2017-09-08 (four days after 2017-09-04)."""
    assignment = Assignment.objects.filter(unit__name="晋中市").order_by("task__number").first()
    Assignment.objects.filter(pk=assignment.pk).update(
        due_date=datetime.date(2017, 9, 8), extended_due_date=None
    )
    Assignment.objects.filter(unit__name="晋中市").exclude(pk=assignment.pk).update(
        due_date=datetime.date(2019, 12, 31)
    )
    Measure.objects.filter(task__assignments__unit__name="晋中市").update(milestones=[])
    return assignment


def test_a_deadline_is_warned_once_a_week_before_and_once_when_it_passes(liaison, due_soon):
    number = due_soon.task.number

    services.warn_deadlines(datetime.date(2017, 9, 4))
    first = notes(liaison, "deadline_warning")
    assert len(first) == 1 and listed_tasks(first[0].body) == {number} and "还有 4 天到期" in first[0].body

    assert services.warn_deadlines(datetime.date(2017, 9, 4)).messages.created == 0
    assert services.warn_deadlines(datetime.date(2017, 9, 5)).messages.created == 0  # already warned

    services.warn_deadlines(datetime.date(2017, 9, 9))
    overdue = Notification.objects.get(user=liaison, job="deadline_warning", period="2017-09-09")
    assert "已逾期" in overdue.subject and listed_tasks(overdue.body) == {number}
    assert services.warn_deadlines(datetime.date(2017, 9, 10)).messages.created == 0
    assert set(DeadlineWarning.objects.filter(assignment=due_soon).values_list("key", flat=True)) == {
        "due:2017-09-08",
        "overdue:2017-09-08",
    }


def test_a_missed_day_is_caught_up_the_next_day(liaison, due_soon):
    services.warn_deadlines(datetime.date(2017, 9, 6))  # the job did not run on the 4th and 5th

    assert "还有 2 天到期" in notes(liaison, "deadline_warning")[0].body


def test_measure_milestones_in_the_window_are_warned(liaison, due_soon):
    measure = (
        Measure.objects.filter(task__assignments__unit__name="晋中市").exclude(task=due_soon.task).first()
    )
    Measure.objects.filter(pk=measure.pk).update(milestones=["2017-09-10"])

    services.warn_deadlines(datetime.date(2017, 9, 4))

    body = notes(liaison, "deadline_warning")[0].body
    assert f"任务{measure.task.number}：措施{measure.number}的节点时间 2017-09-10，还有 6 天" in body


def test_email_goes_out_only_after_commit_and_once(
    liaison, unit_leader, mailoutbox, django_capture_on_commit_callbacks, run_outbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.dispatch_weekly(WEEK)
    assert mailoutbox == [] and callbacks  # written to the outbox, relayed after commit

    assert run_outbox() == 1  # the worker's send_emails: one batch for the run's e-mails
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.gov.cn", "bob@example.gov.cn"]
    assert set(DeliveryLog.objects.values_list("job", "channel", "status", "attempts")) == {
        ("weekly_dispatch", "email", "sent", 1)
    }

    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_weekly(WEEK)
    run_outbox()
    assert len(mailoutbox) == 2


def test_a_rolled_back_run_leaves_no_message_and_sends_no_email(
    liaison, mailoutbox, django_capture_on_commit_callbacks, run_outbox
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.dispatch_weekly(WEEK)
        raise RuntimeError("crash before commit")

    assert run_outbox() == 0
    assert not Notification.objects.exists() and not WeeklySnapshot.objects.exists() and mailoutbox == []


def test_users_without_an_address_get_the_inbox_message_only(
    liaison, unit_leader, mailoutbox, django_capture_on_commit_callbacks, run_outbox
):
    type(unit_leader).objects.filter(pk=unit_leader.pk).update(email="")

    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_weekly(WEEK)
    run_outbox()

    assert [m.to for m in mailoutbox] == [["alice@example.gov.cn"]]
    assert Notification.objects.filter(user=unit_leader).exists()
    assert not DeliveryLog.objects.filter(user=unit_leader).exists()


def test_a_mail_server_failure_midway_is_completed_by_the_retry_without_resending(
    liaison,
    unit_leader,
    outsider,
    outsider_leader,
    mailoutbox,
    django_capture_on_commit_callbacks,
    run_outbox,
    settings,
):
    from django.core.mail import send_mail as real_send

    calls = []

    def flaky(*args, **kwargs):
        calls.append(args[3])
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(*args, **kwargs)

    settings.CHANNEL_RETRY_BACKOFF = 0
    with mock.patch("dispatch.channels.send_mail", side_effect=flaky):
        with django_capture_on_commit_callbacks(execute=True):
            services.dispatch_weekly(WEEK)
        with pytest.raises(Retry):
            run_outbox()
        assert len(mailoutbox) == 3  # the batch went on past the failure
        failed = DeliveryLog.objects.get(status="pending")
        assert failed.address == calls[1][0] and "connection lost" in failed.last_error

        assert run_outbox() == 1  # the send_emails task's retry: the one that failed
        with django_capture_on_commit_callbacks(execute=True):  # a re-run of the job adds nothing
            assert services.dispatch_weekly(WEEK).messages.created == 0
        assert run_outbox() == 0

    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        u.email for u in (liaison, unit_leader, outsider, outsider_leader)
    )


def test_the_jobs_messages_take_the_units_channels_like_the_events(
    liaison, unit_leader, outsider, outsider_leader, django_capture_on_commit_callbacks
):
    jinzhong, linfen = Unit.objects.get(name="晋中市"), Unit.objects.get(name="临汾市")
    ChannelSetting.objects.create(
        unit=jinzhong, webhook=True, robot_url="https://oapi.dingtalk.com/robot/send?access_token=T"
    )
    ChannelSetting.objects.create(unit=linfen, email=False, sms=True, phones="13800000001")

    with django_capture_on_commit_callbacks(execute=False):
        services.dispatch_weekly(WEEK)
        services.chase_reports(WEEK)
        services.dispatch_weekly(WEEK)  # a second run writes nothing more

    logs = DeliveryLog.objects.filter(job="weekly_dispatch")
    assert sorted((log.channel, log.address, log.unit.name) for log in logs) == [
        ("email", "alice@example.gov.cn", "晋中市"),
        ("email", "bob@example.gov.cn", "晋中市"),
        ("sms", "13800000001", "临汾市"),  # 临汾市 turned e-mail off and takes texts
        ("webhook", "https://oapi.dingtalk.com/robot/send", "晋中市"),  # once for the group, token out
    ]
    assert all(log.link == "/desk/" for log in logs)
    assert DeliveryLog.objects.filter(job="report_chaser", channel="webhook").count() == 1


@pytest.mark.parametrize("count", [3, 30])
def test_a_batch_of_emails_is_claimed_and_marked_sent_with_a_fixed_number_of_queries(
    liaison, count, queries, mailoutbox
):
    unit = Unit.objects.get(name="晋中市")
    logs = DeliveryLog.objects.bulk_create(
        [
            DeliveryLog(
                channel="email",
                job="weekly_dispatch",
                period=WEEK,
                target=f"user:{i}",
                address=f"u{i}@example.gov.cn",
                unit=unit,
                subject="周调度",
                body="请报送",
            )
            for i in range(count)
        ]
    )
    ids = [log.pk for log in logs]
    # the claim (savepoint, locking read, UPDATE, release), the rows, ONE UPDATE for all that were sent
    with queries(6):
        assert channels.send_emails(ids) == (count, None)
    assert len(mailoutbox) == count
    assert set(DeliveryLog.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert channels.send_emails(ids) == (0, None)  # a redelivered batch sends nothing
    assert len(mailoutbox) == count


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_the_commands_are_idempotent_and_summarise_in_chinese(liaison, office):
    assert "新建消息 1 条，已存在 0 条" in run("dispatch_weekly", "--week", WEEK)
    assert "新建消息 0 条，已存在 1 条" in run("dispatch_weekly", "--week", WEEK)
    assert "新建消息 1 条" in run("chase_reports", "--week", WEEK)
    assert "新建消息 0 条" in run("chase_reports", "--week", WEEK)
    assert "到期预警" in run("warn_deadlines", "--date", "2017-09-04")
    assert "已生成草稿" in run("make_bulletin", "--month", "2017-10")
    assert "已存在（草稿），未改动" in run("make_bulletin", "--month", "2017-10")


@pytest.mark.parametrize(
    "command, args, message",
    [
        ("dispatch_weekly", ["--week", "2017-36"], "格式不正确"),
        ("chase_reports", ["--week", "2017-W54"], "没有第 54 周"),
        ("warn_deadlines", ["--date", "2017-02-30"], "日期“2017-02-30”格式不正确"),
        ("make_bulletin", ["--month", "2017-13"], "月份“2017-13”格式不正确"),
    ],
)
def test_bad_arguments_are_refused_in_chinese(plan, command, args, message):
    with pytest.raises(CommandError, match=message):
        run(command, *args)
    assert not Notification.objects.exists()
