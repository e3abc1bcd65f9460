"""The weekly ledger workbook: sheets, layout, rows, scoping, query count, API and command."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from reports.excel import FONT_NAME, LEVEL_FILLS
from reports.weekly import LEDGER_HEADERS, Tally, write_weekly_workbook
from tasks.models import Assignment
from tasks.services import ledger

WEEK = "2017-W36"  # 2017-09-04 … 2017-09-10
TODAY = datetime.date(2017, 9, 6)


def export(user, week=WEEK, unit=None, today=TODAY):
    stream = io.BytesIO()
    write_weekly_workbook(stream, week=week, user=user, unit=unit, today=today)
    return load_workbook(io.BytesIO(stream.getvalue()))


def ledger_rows(workbook):
    """The 整改台账 rows as dicts keyed by header."""
    rows = list(workbook["整改台账"].iter_rows(min_row=2, values_only=True))
    return [dict(zip(LEDGER_HEADERS, row)) for row in rows]


def ledger_cells(workbook, task_number, unit):
    for row in workbook["整改台账"].iter_rows(min_row=2):
        if row[0].value == task_number and row[5].value == unit:
            return dict(zip(LEDGER_HEADERS, row))
    raise AssertionError(f"no row for task {task_number} / {unit}")


def report(user, task_number, unit, week=WEEK, text="已完成排查", percent=40):
    assignment = Assignment.objects.get(task__number=task_number, unit__name=unit)
    return ledger.submit_report(assignment.pk, actor=user, week=week, text=text, percent=percent)


def test_it_writes_the_four_sheets_in_order(office):
    workbook = export(office)

    # then the sheet dispatch adds (reports.weekly.add_sheet): 领导批示
    assert workbook.sheetnames == ["汇总", "整改台账", "逾期清单", "未报送单位", "领导批示"]


def test_it_writes_one_ledger_row_per_assignment_under_the_issue_headers(office):
    workbook = export(office)

    header = [cell.value for cell in workbook["整改台账"][1]]
    assert header[:15] == [
        "序号",
        "问题类别",
        "督察反馈问题",
        "整改目标",
        "整改措施",
        "责任单位",
        "责任人",
        "整改时限",
        "本周进展",
        "累计进展",
        "完成比例",
        "状态",
        "预警",
        "预警原因",
        "销号日期",
    ]
    assert len(ledger_rows(workbook)) == Assignment.objects.count() == 215


def test_it_writes_a_row_for_each_unit_of_a_multi_unit_task(office):
    rows = ledger_rows(export(office))

    task1 = [r for r in rows if r["序号"] == 1]
    assert len(task1) == 12
    assert {r["责任单位"] for r in task1} >= {"晋中市", "长治市", "省直部门", "太原市"}
    task3 = {r["责任单位"]: r for r in rows if r["序号"] == 3}
    assert sorted(task3) == ["晋中市", "长治市"]
    assert task3["晋中市"]["责任人"] == "王成、胡玉亭"  # the task's officials of that unit only
    assert task3["长治市"]["责任人"] == "卢建明、席小军"
    assert task3["晋中市"]["整改时限"] == datetime.datetime(2017, 12, 31)
    assert task3["晋中市"]["整改措施"].startswith("1. 落实削减方案。")


def test_it_hides_the_row_stamp_columns(office):
    workbook = export(office)
    sheet = workbook["整改台账"]

    assert [sheet.column_dimensions[c].hidden for c in "PQR"] == [True, True, True]
    assert not sheet.column_dimensions["K"].hidden
    row = ledger_rows(workbook)[0]
    assignment = Assignment.objects.get(pk=row["台账编号"])
    assert (row["版本"], row["报送周"], row["序号"]) == (assignment.version, WEEK, assignment.task.number)


def test_it_freezes_the_header_filters_wraps_and_prints_landscape_a3_with_titles(office):
    sheet = export(office)["整改台账"]

    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:R216"
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 8  # A3
    assert sheet.column_dimensions["C"].width == 40
    problem = sheet["C2"]
    assert problem.alignment.wrap_text
    assert problem.font.name == FONT_NAME


def test_it_writes_dates_as_dates_and_percentages_as_numbers(liaison):
    report(liaison, 3, "晋中市", percent=65)
    cells = ledger_cells(export(liaison), 3, "晋中市")

    assert cells["整改时限"].is_date and cells["整改时限"].number_format == "yyyy-mm-dd"
    assert cells["完成比例"].value == 65 and cells["完成比例"].data_type == "n"
    assert cells["完成比例"].number_format == '0"%"'


def test_it_fills_the_warning_cell_red_yellow_or_green(liaison):
    report(liaison, 3, "晋中市")  # reported this week, due 2017-12-31, ahead of the expected 25 %: green
    report(liaison, 1, "晋中市", week="2017-W34")  # last week (W35) missing: yellow
    workbook = export(liaison, today=datetime.date(2017, 9, 6))
    green = ledger_cells(workbook, 3, "晋中市")["预警"]
    yellow = ledger_cells(workbook, 1, "晋中市")["预警"]
    red = ledger_cells(export(liaison, week="2018-W01", today=datetime.date(2018, 1, 2)), 3, "晋中市")["预警"]
    reasons = (
        ledger_cells(workbook, 1, "晋中市")["预警原因"],
        ledger_cells(workbook, 17, "晋中市")["预警原因"],
    )

    assert [r.value for r in reasons] == ["上周（第35周（8月28日—9月3日））未报送", "已 5 周未报送，尚无报送"]

    assert (green.value, green.fill.fgColor.rgb[-6:]) == ("绿", LEVEL_FILLS["green"])
    assert (yellow.value, yellow.fill.fgColor.rgb[-6:]) == ("黄", LEVEL_FILLS["yellow"])
    assert (red.value, red.fill.fgColor.rgb[-6:]) == ("红", LEVEL_FILLS["red"])


def test_it_shows_the_weeks_report_and_the_history_up_to_that_week(liaison):
    report(liaison, 3, "晋中市", week="2017-W35", text="完成方案", percent=20)
    report(liaison, 3, "晋中市", week="2017-W36", text="开始停运", percent=40)
    report(liaison, 3, "晋中市", week="2017-W37", text="下周的事", percent=60)

    row = {h: c.value for h, c in ledger_cells(export(liaison), 3, "晋中市").items()}

    assert row["本周进展"] == "开始停运"
    assert (
        row["累计进展"]
        == "第36周（9月4日—9月10日）（40%）：开始停运\n第35周（8月28日—9月3日）（20%）：完成方案"
    )
    assert row["完成比例"] == 40
    assert row["状态"] == "整改中"


def test_the_weeks_state_comes_from_its_snapshot_when_there_is_one(liaison):
    from reports.models import WeeklySnapshot

    task3 = Assignment.objects.get(task__number=3, unit__name="晋中市")
    WeeklySnapshot.objects.create(
        week=WEEK,
        assignment=task3,
        status="in_progress",
        level="red",
        percent=35,
        due_date=datetime.date(2017, 12, 31),
        effective_due=datetime.date(2017, 11, 30),
        last_report_week=WEEK,
        report_text="快照里的进展",
    )

    snapshot_week = export(liaison)
    row = {h: c.value for h, c in ledger_cells(snapshot_week, 3, "晋中市").items()}
    live = {h: c.value for h, c in ledger_cells(export(liaison, week="2017-W37"), 3, "晋中市").items()}

    assert (row["状态"], row["预警"], row["完成比例"], row["本周进展"]) == (
        "整改中",
        "红",
        35,
        "快照里的进展",
    )
    assert row["整改时限"] == datetime.datetime(2017, 11, 30)
    assert (live["状态"], live["完成比例"], live["本周进展"]) == ("未启动", 0, None)
    missing = {r[0]: r[4] for r in snapshot_week["未报送单位"].iter_rows(min_row=2, values_only=True)}
    assert "3" not in missing["晋中市"].split("、")


def test_a_liaison_exports_only_their_units_rows(liaison):
    rows = ledger_rows(export(liaison))

    assert rows and {r["责任单位"] for r in rows} == {"晋中市"}
    assert len(rows) == Assignment.objects.filter(unit__name="晋中市").count()


@pytest.mark.parametrize("who", ["office", "leader"])
def test_office_and_leaders_export_all_rows(who, request):
    rows = ledger_rows(export(request.getfixturevalue(who)))

    assert len(rows) == 215
    assert len({r["责任单位"] for r in rows}) == Assignment.objects.values("unit").distinct().count()


def test_the_summary_counts_by_category_and_unit_and_gives_the_week(office, liaison):
    report(liaison, 3, "晋中市")
    sheet = export(office)["汇总"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]

    assert values[1][:4] == ["统计周期", datetime.datetime(2017, 9, 4), "至", datetime.datetime(2017, 9, 10)]
    by_name = {row[0]: row for row in values if row and row[0]}
    assert by_name["合计"][1] == 215
    assert by_name["合计"][3] == 1  # 整改中
    jinzhong = by_name["晋中市"]
    assert jinzhong[1] == Assignment.objects.filter(unit__name="晋中市").count()
    assert jinzhong[3] == 1
    category_rows = [row for row in values if row[0] and row[0][:2] in ("1.", "2.", "3.", "4.")]
    assert [row[0][:1] for row in category_rows] == ["1", "2", "3", "4"]
    assert sum(row[1] for row in category_rows) == 215


def test_the_on_time_rate_counts_sign_offs_by_the_original_due_date():
    def row(due, signed):
        return type(
            "R",
            (),
            {
                "status": "signed_off" if signed else "in_progress",
                "level": "green",
                "due_date": due,
                "signed_off_on": signed,
            },
        )()

    tally = Tally()
    end = datetime.date(2017, 12, 31)
    tally.add(row(datetime.date(2017, 10, 31), datetime.date(2017, 10, 30)), end)  # on time
    tally.add(row(datetime.date(2017, 10, 31), datetime.date(2017, 11, 2)), end)  # late
    tally.add(row(datetime.date(2017, 11, 30), None), end)  # due, not signed off
    tally.add(row(datetime.date(2018, 6, 30), None), end)  # not yet due
    tally.add(row(None, None), end)  # ongoing, no date
    assert (tally.due, tally.on_time) == (3, 1)
    assert tally.on_time_rate == pytest.approx(1 / 3)


def test_the_overdue_sheet_lists_red_rows_with_days_overdue(liaison):
    workbook = export(liaison, today=datetime.date(2018, 1, 2), week="2018-W01")
    rows = list(workbook["逾期清单"].iter_rows(min_row=2, values_only=True))

    task3 = [r for r in rows if r[0] == 3]
    assert len(task3) == 1
    number, unit, _category, _problem, due, current, days, status, percent, last = task3[0]
    assert (unit, due, current, days, status, percent, last) == (
        "晋中市",
        datetime.datetime(2017, 12, 31),
        datetime.datetime(2017, 12, 31),
        2,
        "未启动",
        0,
        None,
    )
    overdue = [r for r in ledger_rows(workbook) if r["预警原因"].startswith("已逾期")]
    assert len(rows) == len(overdue) and all(r["预警"] == "红" for r in overdue)


def test_the_missing_sheet_lists_units_without_the_weeks_report(office, liaison):
    for a in Assignment.objects.filter(unit__name="晋中市").select_related("task"):
        ledger.submit_report(a.pk, actor=liaison, week=WEEK, text="本周推进", percent=10)
    report(liaison, 3, "晋中市", week="2017-W35")

    rows = list(export(office)["未报送单位"].iter_rows(min_row=2, values_only=True))
    units = {r[0]: r for r in rows}

    assert "晋中市" not in units
    changzhi = units["长治市"]
    expected = Assignment.objects.filter(unit__name="长治市").count()
    assert changzhi[1:4] == ("地市", expected, expected)
    assert "3" in changzhi[4].split("、")


def test_the_export_runs_a_fixed_number_of_queries(office, liaison):
    # 1 assignments (+task, category, unit), 2 measures, 3 officials, 4 reports to the week, 5 snapshots,
    # 6 the 领导批示 sheet's instructions (their replies one more when there are any: tests/test_instructions.py).
    report(liaison, 3, "晋中市")
    with CaptureQueriesContext(connection) as all_rows:
        export(office)
    with CaptureQueriesContext(connection) as few_rows:
        export(liaison)

    assert len(all_rows) == len(few_rows) == 6, [q["sql"] for q in all_rows.captured_queries]


def test_text_that_looks_like_a_formula_reads_back_as_text(liaison):
    payloads = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", '=HYPERLINK("http://evil","点我")']
    weeks = ["2017-W32", "2017-W33", "2017-W34", "2017-W35", WEEK]
    for week, payload in zip(weeks, payloads):
        report(liaison, 3, "晋中市", week=week, text=payload)

    for week, payload in zip(weeks, payloads):
        cell = ledger_cells(export(liaison, week=week), 3, "晋中市")["本周进展"]
        assert (cell.value, cell.data_type, cell.quotePrefix) == (payload, "s", True)
    history = ledger_cells(export(liaison), 3, "晋中市")["累计进展"]
    assert history.data_type == "s" and history.value.startswith(
        "第36周（9月4日—9月10日）（40%）：=HYPERLINK("
    )


def test_every_formula_start_is_escaped_and_plain_text_is_not():
    from reports.excel import Book

    texts = ["=1+1", "+1", "-1", "@A1", "\t=1+1", "\r=1+1", "普通文字", "a=1"]
    stream = io.BytesIO()
    book = Book(stream)
    book.sheet("t").row(texts)
    book.close()
    cells = list(load_workbook(io.BytesIO(stream.getvalue()))["t"].iter_rows())[0]

    assert [c.value for c in cells] == [t.replace("\r", "\n") for t in texts]  # a line end is a line end
    assert [c.data_type for c in cells] == ["s"] * len(texts)
    assert [bool(c.quotePrefix) for c in cells] == [True] * 6 + [False, False]


def test_control_characters_are_dropped_rather_than_breaking_the_file(liaison):
    report(liaison, 3, "晋中市", text="进展\x01\x07正常")

    assert ledger_cells(export(liaison), 3, "晋中市")["本周进展"].value == "进展正常"


# --- the endpoint and the command ---------------------------------------------------------


def test_the_endpoint_streams_the_workbook_of_the_callers_scope(api, liaison):
    response = api(liaison).get("/api/reports/weekly.xlsx", {"week": WEEK})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert {r["责任单位"] for r in ledger_rows(workbook)} == {"晋中市"}


def test_the_office_can_export_one_unit(api, office):
    response = api(office).get("/api/reports/weekly.xlsx", {"week": WEEK, "unit": "长治市"})

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert {r["责任单位"] for r in ledger_rows(workbook)} == {"长治市"}


@pytest.mark.parametrize(
    "params, code, text",
    [
        ({"week": "2017-36"}, 400, "格式不正确"),
        ({"week": "2017-W60"}, 400, "没有第 60 周"),
        ({"week": WEEK, "unit": "火星市"}, 400, "不存在"),
        ({"week": WEEK, "unit": "临汾市"}, 404, "无权查看"),
    ],
)
def test_the_endpoint_refuses_bad_parameters_in_chinese(api, liaison, params, code, text):
    response = api(liaison).get("/api/reports/weekly.xlsx", params)

    assert response.status_code == code
    assert text in response.json()["detail"]


def test_the_endpoint_needs_a_signed_in_user_with_a_role(api, django_user_model):
    assert api().get("/api/reports/weekly.xlsx").status_code == 401
    nobody = django_user_model.objects.create_user("nobody", password="x")
    assert api(nobody).get("/api/reports/weekly.xlsx").status_code == 403


def test_the_command_writes_the_workbook_to_a_file(office, tmp_path):
    out = tmp_path / "w36.xlsx"
    call_command("export_weekly", "--week", WEEK, "--out", str(out), "--user", office.username)

    assert len(ledger_rows(load_workbook(out))) == 215


def test_the_command_exports_one_unit_for_the_office_account(office, tmp_path):
    out = tmp_path / "w36.xlsx"
    call_command("export_weekly", "--week", WEEK, "--out", str(out), "--unit", "晋中市")

    assert {r["责任单位"] for r in ledger_rows(load_workbook(out))} == {"晋中市"}


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "2017-W54", "2017W36"])
def test_a_week_out_of_range_is_refused_in_chinese_not_crashed(api, office, week):
    response = api(office).get(f"/api/reports/weekly.xlsx?week={week}")
    assert response.status_code == 400
    assert "报送周" in response.json()["detail"]
