"""The monthly bulletin's workbook, built from ``bulletin.data`` alone."""

import datetime
import io
from types import SimpleNamespace

from openpyxl import load_workbook

from reports.bulletin_xlsx import build_bulletin_workbook

DATA = {
    "month": "2017-10",
    "start": "2017-10-01",
    "end": "2017-10-31",
    "totals": {"total": 215, "signed_off": 12, "on_track": 180, "overdue": 21, "reopened": 2},
    "by_category": [
        {
            "number": 1,
            "title": "关于环境保护工作推进落实方面的问题",
            "total": 72,
            "signed_off": 5,
            "on_track": 60,
            "overdue": 6,
            "reopened": 1,
        },
        {
            "number": 4,
            "title": "关于煤炭资源开采生态破坏方面的问题",
            "total": 47,
            "signed_off": 7,
            "on_track": 35,
            "overdue": 4,
            "reopened": 1,
        },
    ],
    "by_unit": [
        {
            "unit": "长治市",
            "kind": "city",
            "total": 20,
            "signed_off": 3,
            "on_track": 15,
            "overdue": 2,
            "reopened": 0,
            "on_time_rate": None,
            "rank": None,
        },
        {
            "unit": "晋中市",
            "kind": "city",
            "total": 22,
            "signed_off": 6,
            "on_track": 14,
            "overdue": 1,
            "reopened": 1,
            "on_time_rate": 0.75,
            "rank": 1,
        },
        {
            "unit": "省环保厅",
            "kind": "department",
            "total": 9,
            "signed_off": 2,
            "on_track": 7,
            "overdue": 0,
            "reopened": 0,
            "on_time_rate": 0.5,
            "rank": 2,
        },
    ],
    "overdue": [
        {
            "assignment_id": 7,
            "task_number": 10,
            "unit": "临汾市",
            "due_date": "2017-10-31",
            "effective_due": "2017-10-31",
            "status": "in_progress",
        }
    ],
    "missed_reports": [{"unit": '=HYPERLINK("http://evil")', "weeks": ["2017-W40", "2017-W41"]}],
    "newly_signed_off": [{"assignment_id": 3, "task_number": 3, "unit": "晋中市", "at": "2017-10-20"}],
    "newly_reopened": [],
    "previous": {
        "month": "2017-09",
        "totals": {"total": 215, "signed_off": 8, "on_track": 190, "overdue": 15, "reopened": 2},
    },
    "change": {"signed_off": 4, "on_track": -10, "overdue": 6, "reopened": 0},
}


def build(data=DATA):
    return load_workbook(io.BytesIO(build_bulletin_workbook(SimpleNamespace(month=data["month"], data=data))))


def values(sheet):
    return list(sheet.iter_rows(values_only=True))


def test_it_writes_a_sheet_for_each_part_of_the_bulletin():
    assert build().sheetnames == [
        "概况",
        "分类统计",
        "单位排名",
        "逾期清单",
        "未报送情况",
        "催办签收",
        "本月销号",
        "本月问题反弹",
    ]


def test_the_overview_gives_the_period_figures_and_the_change_from_last_month():
    rows = values(build()["概况"])

    assert rows[1][:4] == ("统计期间", datetime.datetime(2017, 10, 1), "至", datetime.datetime(2017, 10, 31))
    by_label = {row[0]: row[1:4] for row in rows if row[0]}
    assert by_label["项目"] == ("本月", "上月（2017-09）", "变化")
    assert by_label["已销号"] == (12, 8, 4)
    assert by_label["按计划推进"] == (180, 190, -10)


def test_the_ranking_is_in_rank_order_with_rates_as_percent_numbers():
    sheet = build()["单位排名"]
    rows = values(sheet)

    assert rows[0][:3] == ("排名", "责任单位", "单位类型")
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        (1, "晋中市", "地市"),
        (2, "省环保厅", "省直部门"),
        ("—", "长治市", "地市"),
    ]
    rate = sheet["I2"]
    assert (rate.value, rate.number_format) == (0.75, "0.0%")
    assert sheet["I4"].value == "—"  # no assignment due yet: no rate
    assert sheet.auto_filter.ref == "A1:I4" and sheet.freeze_panes == "A2"


def test_lists_carry_real_dates_and_status_labels_and_escape_formulas():
    workbook = build()

    overdue = workbook["逾期清单"]
    assert values(overdue)[1] == (
        10,
        "临汾市",
        datetime.datetime(2017, 10, 31),
        datetime.datetime(2017, 10, 31),
        "整改中",
    )
    assert overdue["C2"].is_date
    missed = workbook["未报送情况"]["A2"]
    assert (missed.value, missed.data_type, missed.quotePrefix) == ('=HYPERLINK("http://evil")', "s", True)
    assert values(workbook["未报送情况"])[1][1:] == (2, "2017-W40、2017-W41")
    assert values(workbook["本月销号"])[1] == (3, "晋中市", datetime.datetime(2017, 10, 20))
    assert values(workbook["本月问题反弹"]) == [("任务序号", "责任单位", "日期")]


def test_a_first_bulletin_without_a_previous_month_still_builds():
    data = {**DATA, "previous": None, "change": None}

    by_label = {row[0]: row[1:4] for row in values(build(data)["概况"]) if row[0]}

    assert by_label["项目"] == ("本月", "上月", "变化")
    assert by_label["已销号"] == (12, None, None)
