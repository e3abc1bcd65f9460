"""A past week without a dispatch snapshot is exported as the week ended, rebuilt from the audit trail."""

import datetime
import io
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from reports.weekly import LEDGER_HEADERS, SUMMARY_HEADERS, write_weekly_workbook
from tasks.choices import Level, Role, Status
from tasks.clock import SHANGHAI, frozen_at
from tasks.models import Assignment
from tasks.models.ledger import level_on
from tasks.services import history, ledger
from tasks.weeks import week_range

PAST = "2017-W37"  # 2017-09-11 … 2017-09-17
CURRENT = "2017-W48"  # 2017-11-27 … 2017-12-03
TODAY = datetime.date(2017, 11, 30)
EARLY_DUE = datetime.date(2017, 8, 31)  # before the past week ended
LATER_DUE = datetime.date(2017, 9, 30)  # after the past week, before today


def at(day, hour=10):
    return frozen_at(datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI))


def export(user, week, today=TODAY):
    stream = io.BytesIO()
    write_weekly_workbook(stream, week=week, user=user, today=today)
    return load_workbook(io.BytesIO(stream.getvalue()))


def ledger_row(workbook, assignment):
    for values in workbook["整改台账"].iter_rows(min_row=2, values_only=True):
        row = dict(zip(LEDGER_HEADERS, values))
        if row["台账编号"] == assignment.pk:
            return row
    raise AssertionError(f"no row for {assignment}")


def overdue_days(workbook):
    """逾期清单 as {(task number, unit): days overdue}."""
    return {(r[0], r[1]): r[6] for r in workbook["逾期清单"].iter_rows(min_row=2, values_only=True)}


def summary(workbook):
    """汇总's lines by their first cell; the first 合计 line is the category table's."""
    lines = {}
    for values in workbook["汇总"].iter_rows(values_only=True):
        if values and values[0] and values[0] not in lines:
            lines[values[0]] = values
    return lines


def counts(line):
    return dict(zip(SUMMARY_HEADERS, line[1:]))


@pytest.fixture
def story(make_user, office, evidence_pdf):
    """An early-due assignment signed off well after PAST, and 晋中市's task 17 falling due after PAST.

    Every step runs on the clock of its day, as the services would have written it then.
    """
    early = (
        Assignment.objects.filter(due_date=EARLY_DUE).select_related("unit", "task").order_by("pk").first()
    )
    liaison = make_user("eve", Role.LIAISON, early.unit.name)
    lead = make_user("finn", Role.UNIT_LEADER, early.unit.name)
    later = Assignment.objects.get(task__number=17, unit__name="晋中市")
    alice = make_user("alice", Role.LIAISON, "晋中市")
    with at(datetime.date(2017, 9, 12)):
        ledger.submit_report(early.pk, actor=liaison, week=PAST, text="主体工程完工", percent=90)
        ledger.submit_report(later.pk, actor=alice, week=PAST, text="方案已印发", percent=30)
    with at(datetime.date(2017, 10, 16)):
        ledger.submit_report(early.pk, actor=liaison, week="2017-W42", text="验收完成", percent=100)
        ledger.request_signoff(early.pk, actor=liaison, summary="已整改到位", files=[evidence_pdf()])
    with at(datetime.date(2017, 10, 17)):
        ledger.approve(early.pk, actor=lead, opinion="属实")
    with at(datetime.date(2017, 10, 18)):
        ledger.approve(early.pk, actor=office, opinion="同意销号")
    early.refresh_from_db()
    assert early.status == Status.SIGNED_OFF
    return early, later, alice


def test_a_sign_off_after_the_week_is_shown_as_not_yet_signed_off_and_overdue_then(story, office):
    early, _later, _alice = story
    _start, end = week_range(PAST)

    workbook = export(office, PAST)
    row = ledger_row(workbook, early)

    assert (row["状态"], row["销号日期"], row["预警"]) == ("整改中", None, "红")
    assert row["完成比例"] == 90 and row["本周进展"] == "主体工程完工"
    assert overdue_days(workbook)[(early.task.number, early.unit.name)] == (end - EARLY_DUE).days


def test_a_deadline_after_the_week_is_not_overdue_in_that_week(story, office):
    _early, later, _alice = story

    workbook = export(office, PAST)
    row = ledger_row(workbook, later)

    assert (row["预警"], row["预警原因"]) == ("黄", "距完成时限 13 天，进度 30%（应达 79%）")
    assert (17, "晋中市") not in overdue_days(workbook)
    assert all(days >= 0 for days in overdue_days(workbook).values())


def test_the_overdue_sheet_of_a_past_week_holds_exactly_what_was_overdue_then(story, office):
    _start, end = week_range(PAST)
    due_then = Assignment.objects.filter(due_date__lt=end).select_related("task", "unit")

    workbook = export(office, PAST)

    assert overdue_days(workbook) == {(a.task.number, a.unit.name): (end - a.due_date).days for a in due_then}


def test_the_summary_of_a_past_week_counts_the_state_as_the_week_ended(story, office):
    early, later, _alice = story
    _start, end = week_range(PAST)
    # The live ledger judged on the week's last day, but for ``early``: then open and overdue, now signed off.
    red_now = Assignment.objects.with_level(end).filter(level=Level.RED)
    red_then = red_now.count() + 1

    lines = summary(export(office, PAST))
    totals = counts(lines["合计"])
    unit = counts(lines[early.unit.name])

    assert totals["已销号"] == 0
    assert totals["整改中"] == 2
    assert totals["红色预警"] == red_then
    assert (unit["已销号"], unit["整改中"], unit["红色预警"]) == (
        0,
        1,
        red_now.filter(unit=early.unit).count() + 1,
    )
    assert totals["按期完成"] == 0
    assert "本周无调度快照" in lines["数据口径"][1] and "按操作记录还原" in lines["数据口径"][1]


def test_the_current_week_shows_the_live_ledger(story, office):
    early, later, _alice = story

    workbook = export(office, CURRENT)
    signed = ledger_row(workbook, early)
    overdue = overdue_days(workbook)

    assert (signed["状态"], signed["销号日期"], signed["预警"], signed["预警原因"]) == (
        "已销号",
        datetime.datetime(2017, 10, 18),
        "已销号",
        "已销号",
    )
    assert (early.task.number, early.unit.name) not in overdue
    assert ledger_row(workbook, later)["预警"] == "红"
    assert overdue[(17, "晋中市")] == (TODAY - LATER_DUE).days
    assert counts(summary(workbook)["合计"])["已销号"] == 1
    assert "本周尚未结束" in summary(workbook)["数据口径"][1]


def test_a_week_frozen_by_the_dispatch_still_comes_from_its_snapshot(story, office):
    from reports.models import WeeklySnapshot

    early, _later, _alice = story
    WeeklySnapshot.objects.create(
        week=PAST,
        assignment=early,
        status=Status.UNIT_VERIFIED,
        level=Level.YELLOW,
        percent=80,
        due_date=EARLY_DUE,
        effective_due=EARLY_DUE,
        last_report_week=PAST,
        report_text="快照里的进展",
    )

    workbook = export(office, PAST)
    row = ledger_row(workbook, early)

    assert (row["状态"], row["预警"], row["完成比例"], row["本周进展"]) == (
        "单位审核通过",
        "黄",
        80,
        "快照里的进展",
    )
    note = summary(workbook)["数据口径"][1]
    assert "1 行取自周调度冻结的快照" in note and "其余" in note


def test_a_past_week_runs_two_more_queries_for_the_audit_trail_whatever_its_size(story, office):
    # 1 assignments (+task, category, unit), 2 measures, 3 officials, 4 reports to the week,
    # 5 snapshots, 6 the frozen month's end after the week (none here), 7 the audit entries written
    # after the week, 8 the 领导批示 sheet's instructions.
    _early, _later, alice = story
    with CaptureQueriesContext(connection) as all_rows:
        export(office, PAST)
    with CaptureQueriesContext(connection) as few_rows:
        export(alice, PAST)
    with CaptureQueriesContext(connection) as current:
        export(office, CURRENT)

    assert len(all_rows) == len(few_rows) == 8, [q["sql"] for q in all_rows.captured_queries]
    assert len(current) == 6


@pytest.mark.parametrize("day", [datetime.date(2017, 9, 17), datetime.date(2017, 12, 20)])
def test_the_past_weeks_level_rule_agrees_with_the_ledgers(plan, day):
    """``level_on`` (for a rebuilt state) and ``with_level`` (SQL) give the same level for every case."""
    assignment = Assignment.objects.filter(due_date__isnull=False).first()
    dues = [
        None,
        day - datetime.timedelta(days=1),
        day,
        day + datetime.timedelta(days=30),
        day + datetime.timedelta(days=31),
    ]
    monday = day - datetime.timedelta(days=day.weekday())
    reports = [None, monday, monday - datetime.timedelta(days=7), monday - datetime.timedelta(days=14)]
    for status, due, last in itertools.product([Status.IN_PROGRESS, Status.SIGNED_OFF], dues, reports):
        Assignment.objects.filter(pk=assignment.pk).update(
            status=status, due_date=due, extended_due_date=None, last_report_week_start=last
        )
        expected = Assignment.objects.with_level(day).get(pk=assignment.pk).level
        assert level_on(day, status=status, effective_due=due, last_report_week_start=last) == expected, (
            status,
            due,
            last,
        )


def test_a_past_week_from_a_frozen_month_end_is_the_workbook_the_whole_trail_gives(story, office):
    def sheets(workbook):
        return {name: list(workbook[name].iter_rows(values_only=True)) for name in ("整改台账", "逾期清单")}

    from_trail = sheets(export(office, PAST))
    with at(datetime.date(2017, 11, 5)):
        history.freeze(history.month_end(2017, 9))  # PAST's rebuild now starts from September's end
    with CaptureQueriesContext(connection) as queries:
        from_month_end = sheets(export(office, PAST))

    assert from_month_end == from_trail
    assert len(queries) == 9  # the past week's two trail reads become three: month's end, rows, entries
    assert any('"at" <' in q["sql"] and "tasks_auditentry" in q["sql"] for q in queries.captured_queries)
