"""The warning levels and the buckets: one rule each, in SQL and in Python, and what the demo shows."""

import datetime
import itertools
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Case, CharField, Value, When

from dispatch.figures import bulletin_data
from tasks.choices import Level, ReviewOutcome, Status
from tasks.models import Assignment, Measure, ProgressReport
from tasks.models.levels import bucket_filters, bucket_on, judge, milestones_by_task, passed_milestone
from tasks.services import ledger
from tests.helpers import client_for, on, row
from web import figures

pytestmark = pytest.mark.django_db

DEMO_DAY = datetime.date(2017, 12, 1)
User = get_user_model()
KINDS = ("已销号", "已逾期", "已 ", "里程碑", "距完成时限", "上周", "按计划推进", "按期报送")


def sql_buckets(queryset, day):
    """Each row's bucket as the dashboard's SQL counts it."""
    whens = [When(q, then=Value(name)) for name, q in bucket_filters(day).items()]
    return dict(queryset.annotate(bucket=Case(*whens, output_field=CharField())).values_list("pk", "bucket"))


def twin(a, day):
    milestones = [m for measure in a.task.measures.all() for m in measure.milestones]
    return judge(
        day,
        status=a.status,
        effective_due=a.extended_due_date or a.due_date,
        last_report_week_start=a.last_report_week_start,
        percent=a.percent,
        milestone=passed_milestone(day, milestones),
    )


@pytest.mark.parametrize("day", [datetime.date(2017, 9, 17), datetime.date(2017, 12, 20)])
def test_the_sql_level_and_its_python_twin_agree_on_every_case(plan, day):
    """Every combination of deadline, last report week and percentage is given to a row of its own,
    once for each set of milestones, and each row's level read back in one query per reading (the
    row's, and the dashboard's with the milestones read once)."""
    monday = day - datetime.timedelta(days=day.weekday())
    dues = [None, day - datetime.timedelta(days=1), day, day + datetime.timedelta(days=30)]
    dues += [day + datetime.timedelta(days=31), datetime.date(2020, 12, 31), datetime.date(2017, 7, 3)]
    weeks = [None, monday, monday - datetime.timedelta(days=7), monday - datetime.timedelta(days=14)]
    milestones = [[], [(day - datetime.timedelta(days=40)).isoformat()], [day.isoformat()]]
    milestones += [
        [(day - datetime.timedelta(days=1)).isoformat(), "2030-01-01"],
        ["2017-07-10"],
    ]  # before the start
    combinations = list(itertools.product(dues, weeks, [0, 60]))
    rows = list(Assignment.objects.order_by("pk")[: len(combinations)])
    assert len(rows) == len(combinations)
    for a, (due, last, percent) in zip(rows, combinations):
        a.status, a.due_date, a.extended_due_date = Status.IN_PROGRESS, due, None
        a.last_report_week_start, a.percent = last, percent
    fields = ["status", "due_date", "extended_due_date", "last_report_week_start", "percent"]
    Assignment.objects.bulk_update(rows, fields)
    ids = [a.pk for a in rows]
    seen = Counter()
    for dates in milestones:
        Measure.objects.update(milestones=dates)  # every task's measures: the task's latest milestone
        got = Assignment.objects.with_level(day).in_bulk(ids)
        by_task = Assignment.objects.with_level(day, milestones_by_task(day)).in_bulk(ids)  # the dashboard's
        for a, (due, last, percent) in zip(rows, combinations):
            expected = judge(
                day,
                status=Status.IN_PROGRESS,
                effective_due=due,
                last_report_week_start=last,
                percent=percent,
                milestone=passed_milestone(day, dates),
            )
            case = (due, last, percent, dates, expected)
            assert got[a.pk].level == expected.level, case
            assert by_task[a.pk].level == expected.level, case
            assert got[a.pk].level_reason == expected.reason, case
            seen[next(k for k in KINDS if expected.reason.startswith(k))] += 1
    assert sum(seen.values()) == len(combinations) * len(milestones)
    assert set(seen) == set(KINDS) - {"已销号"}  # the grid reaches every reason of an open row
    a = rows[0]
    Assignment.objects.filter(pk=a.pk).update(status=Status.SIGNED_OFF)
    assert Assignment.objects.with_level(day).get(pk=a.pk).judgement == judge(
        day,
        status=Status.SIGNED_OFF,
        effective_due=None,
        last_report_week_start=None,
        percent=0,
        milestone=None,
    )


def test_each_reason_names_what_a_liaison_can_act_on(settings):
    day = datetime.date(2017, 12, 1)
    settings.LEVEL_START = datetime.date(2017, 7, 31)
    base = {"status": Status.IN_PROGRESS, "percent": 30, "milestone": None}
    monday = datetime.date(2017, 11, 27)
    recent = monday - datetime.timedelta(days=7)

    overdue = judge(day, effective_due=datetime.date(2017, 11, 19), last_report_week_start=recent, **base)
    silent = judge(
        day, effective_due=None, last_report_week_start=monday - datetime.timedelta(days=28), **base
    )
    never = judge(day, effective_due=None, last_report_week_start=None, **base)
    milestone = judge(
        day,
        effective_due=datetime.date(2017, 12, 31),
        last_report_week_start=recent,
        **{**base, "milestone": datetime.date(2017, 10, 31)},
    )
    behind = judge(day, effective_due=datetime.date(2017, 12, 21), last_report_week_start=recent, **base)
    missed = judge(
        day,
        effective_due=datetime.date(2020, 12, 31),
        last_report_week_start=monday - datetime.timedelta(days=14),
        **base,
    )
    on_track = judge(day, effective_due=datetime.date(2020, 12, 31), last_report_week_start=monday, **base)
    signed = judge(
        day, effective_due=None, last_report_week_start=None, **{**base, "status": Status.SIGNED_OFF}
    )

    assert (overdue.level, overdue.reason) == ("red", "已逾期 12 天（完成时限 2017-11-19）")
    assert (silent.level, silent.reason) == ("red", "已 3 周未报送")
    assert (never.level, never.reason) == ("red", "已 17 周未报送，尚无报送")
    assert (milestone.level, milestone.reason) == ("red", "里程碑 2017-10-31 已过，进度 30%（应达 61%）")
    assert (behind.level, behind.reason) == ("yellow", "距完成时限 20 天，进度 30%（应达 87%）")
    assert (missed.level, missed.reason) == ("yellow", "上周（第47周（11月20日—11月26日））未报送")
    assert on_track.level == "green" and on_track.reason.startswith("按计划推进，进度 30%")
    assert (signed.level, signed.reason) == (Level.SIGNED_OFF, "已销号")


def test_the_thresholds_are_settings(settings):
    day = datetime.date(2017, 12, 1)
    two_weeks = datetime.date(2017, 11, 27) - datetime.timedelta(days=21)  # W45: W46 and W47 missing
    args = {
        "status": Status.IN_PROGRESS,
        "percent": 50,
        "milestone": None,
        "last_report_week_start": two_weeks,
    }
    assert judge(day, effective_due=None, **args).level == "red"
    settings.LEVEL_RED_WEEKS = 3
    assert judge(day, effective_due=None, **args).level == "yellow"
    settings.LEVEL_YELLOW_DAYS = 10
    args["last_report_week_start"] = datetime.date(2017, 11, 27)
    assert judge(day, effective_due=datetime.date(2017, 12, 20), **args).level == "green"
    settings.LEVEL_YELLOW_DAYS = 30
    assert judge(day, effective_due=datetime.date(2017, 12, 20), **args).level == "yellow"


# --- the demo ---------------------------------------------------------------------------------------


@pytest.fixture
def demo(plan, settings, request):
    settings.RECTIFY_TODAY = DEMO_DAY
    request.getfixturevalue("demo_ledger")  # built once per process, then restored


def test_on_the_demo_the_lights_tell_units_apart_and_each_says_why(demo, office):
    rows = list(Assignment.objects.with_level(DEMO_DAY).prefetch_related("task__measures"))
    open_rows = [a for a in rows if a.status != Status.SIGNED_OFF]
    counts = Counter(a.level for a in open_rows)

    assert set(counts) == {"red", "yellow", "green"}
    assert max(counts.values()) <= 0.7 * len(open_rows), counts
    for a in rows:
        expected = twin(a, DEMO_DAY)
        assert (a.level, a.level_reason) == (expected.level, expected.reason), a
        assert a.level_reason
    assert {a.level for a in rows if a.status == Status.SIGNED_OFF} == {Level.SIGNED_OFF}
    by_unit = Counter((a.unit.name, a.level) for a in open_rows if a.unit.name in {"晋中市", "吕梁市"})
    assert by_unit[("晋中市", "green")] and by_unit[("吕梁市", "red")]

    # the reason is the light's tooltip on the pages and a field of the API
    client = client_for(office)
    page = client.get("/ledger/?unit=晋中市").content.decode()
    assert 'title="已 6 周未报送"' in page  # task 37, reopened W46 and not reported since W41
    assert "预警规则" in page and "连续 2 周及以上未报送" in page
    body = client.get("/api/assignments/?unit=晋中市&task=37").json()
    assert body["results"][0]["level_reason"] == "已 6 周未报送"
    for path in ("/dashboard/", "/ledger/", f"/assignments/{body['results'][0]['id']}/"):
        assert "预警规则" in client.get(path).content.decode()
    desk = client_for(User.objects.get(username="jinzhong")).get("/desk/").content.decode()
    assert 'title="已 6 周未报送"' in desk and "预警规则" in desk
    assignment = client.get(f"/assignments/{body['results'][0]['id']}/").content.decode()
    assert "预警原因：已 6 周未报送" in assignment


def test_the_milestones_read_once_give_every_row_the_same_level_as_the_subquery(demo):
    """``with_level(day, milestones_by_task(day))`` (the dashboard's figures) and ``with_level(day)``
    (a subquery per row) agree on every row of the demo ledger, before, between and after milestones."""
    fields = ("pk", "milestone", "level")
    for day in (datetime.date(2017, 8, 1), DEMO_DAY, datetime.date(2018, 3, 1), datetime.date(2019, 6, 1)):
        by_subquery = list(Assignment.objects.with_level(day).order_by("pk").values_list(*fields))
        by_task = list(
            Assignment.objects.with_level(day, milestones_by_task(day)).order_by("pk").values_list(*fields)
        )
        assert by_task == by_subquery, day
        assert any(milestone for _pk, milestone, _level in by_task) or day < DEMO_DAY


# --- the buckets ------------------------------------------------------------------------------------


def test_a_reopened_row_past_its_deadline_is_in_the_same_bucket_on_the_dashboard_and_in_the_bulletin(
    plan, liaison, unit_leader, office
):
    a = row(17, "晋中市")
    Assignment.objects.filter(pk=a.pk).update(due_date=datetime.date(2017, 10, 31))
    with on("2017-09-20", 9):
        ledger.submit_report(a.pk, actor=liaison, week="2017-W38", text="完成整改", percent=100)
        ledger.request_signoff(
            a.pk,
            actor=liaison,
            summary="已完成",
            files=[SimpleUploadedFile("验收.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")],
        )
        ledger.approve(a.pk, actor=unit_leader, opinion="属实")
    with on("2017-09-20", 15):
        ledger.approve(a.pk, actor=office, opinion="同意销号")
    with on("2017-11-06"):
        review = ledger.schedule_review(a.pk, actor=office, scheduled_for=datetime.date(2017, 11, 8))
    with on("2017-11-08"):
        # A relapse carries the office's 整改要求 and a new deadline; this one passes before the month ends.
        ledger.record_review(
            review.pk,
            actor=office,
            outcome=ReviewOutcome.RELAPSED,
            findings="问题反弹",
            requirements="立即整改并报送整改情况",
            new_due_date=datetime.date(2017, 11, 20),
        )
    assert Assignment.objects.get(pk=a.pk).status == Status.REOPENED

    dashboard = figures.totals(Assignment.objects.filter(pk=a.pk), datetime.date(2017, 12, 1))
    bulletin = next(u for u in bulletin_data("2017-11")["by_unit"] if u["unit"] == "晋中市")

    assert (dashboard["overdue"], dashboard["reopened"]) == (1, 0)
    assert (bulletin["overdue"], bulletin["reopened"]) == (1, 0)


def test_for_every_demo_row_the_dashboard_and_the_bulletin_agree(demo):
    day = datetime.date(2017, 12, 1)  # the bulletin of November judges on the 1st
    rows = list(Assignment.objects.select_related("task__category", "unit"))
    dashboard = sql_buckets(Assignment.objects.all(), day)
    for a in rows:
        assert dashboard[a.pk] == bucket_on(day, status=a.status, effective_due=a.effective_due_date), a
    data = bulletin_data("2017-11")
    units = {u["unit"]: u for u in data["by_unit"]}
    for unit in figures.by_unit(Assignment.objects.all(), day):
        counts = units[unit["name"]]
        assert {k: unit[k] for k in ("signed_off", "overdue", "reopened", "on_track")} == {
            k: counts[k] for k in ("signed_off", "overdue", "reopened", "on_track")
        }, unit["name"]
    assert Counter(dashboard.values()) == Counter(
        {k: v for k, v in data["totals"].items() if k != "total" and v}
    )
    assert ProgressReport.objects.exists()


def test_the_weekly_dispatch_names_each_rows_light_and_its_reason(plan, liaison):
    from dispatch import services
    from dispatch.models import Notification

    late = Assignment.objects.get(task__number=3, unit__name="晋中市")
    ledger.submit_report(late.pk, actor=liaison, week="2017-W34", text="方案印发", percent=30)

    services.dispatch_weekly("2017-W36")  # Monday 2017-09-04
    body = Notification.objects.get(user=liaison, job="weekly_dispatch").body

    assert "任务3：整改中，黄色预警（上周（第35周（8月28日—9月3日））未报送）" in body
    assert "任务17：未启动，红色预警（已 5 周未报送，尚无报送）" in body
    assert "本周须报送启动情况和工作安排" in body
