"""The downloadable Excel template of a plan's task list (sheet 整改任务清单) with a sheet of rules."""

import io

import openpyxl
from openpyxl.styles import Alignment, Font

from tasks.plan_sources.columns import TEMPLATE_HEADERS, TEMPLATE_SHEET

WIDTHS = {"序号": 6, "问题类别": 16, "督察反馈问题": 40, "整改目标": 30, "整改措施": 50, "责任单位": 20}
RULES = [
    ("列", "必填", "怎么填", "也认作"),
    ("序号", "否", "1、2、3…连续编号；也可每个问题类别重新从 1 编起", "编号、任务序号"),
    (
        "问题类别",
        "否",
        "如“一、关于环境保护工作推进落实方面的问题”；空格沿用上一行（合并单元格即可）",
        "问题分类、类别",
    ),
    ("督察反馈问题", "是", "督察组反馈的问题原文", "问题描述、反馈问题、存在问题"),
    ("整改目标", "否", "整改要达到的目标", ""),
    (
        "整改措施",
        "是",
        "每条措施前写“1.”“（1）”“1、”或“（一）”编号，同一任务用同一种编号；不编号时每行一条",
        "具体措施",
    ),
    (
        "责任单位",
        "是",
        "用顿号分隔：“晋中、长治市委、市政府”“各市市委、市政府”“省环保厅”；市须是本省的市，其他新单位请先登记",
        "牵头单位",
    ),
    ("配合单位", "否", "同责任单位", "协办单位"),
    ("责任人", "否", "“晋中 张三 李四；省环保厅 王五”，或只写姓名；整份清单都不写也可以", ""),
    (
        "整改时限",
        "是",
        "“2017 年底前”“2018 年 6 月底前”“立行立改，长期坚持”“分年度实施”；没写年份的月份取清单中最常见的年份",
        "整改期限、完成时限、完成期限",
    ),
    ("备注", "否", "不导入", ""),
]


def build_template() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = TEMPLATE_SHEET
    sheet.append(list(TEMPLATE_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[cell.column_letter].width = WIDTHS.get(cell.value, 14)
    sheet.freeze_panes = "A2"
    rules = book.create_sheet("填写说明")
    for row in RULES:
        rules.append(list(row))
    for letter, width in zip("ABCD", (14, 6, 80, 30), strict=True):
        rules.column_dimensions[letter].width = width
    for cell in rules[1]:
        cell.font = Font(bold=True)
    rules.append([])
    rules.append(
        ["一行一个整改任务；表头可以在前 10 行内的任意一行，列的顺序不限。清单以上方的第一行文字为方案标题。"]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
