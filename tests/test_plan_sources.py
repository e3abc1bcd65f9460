"""Plan files as an office receives them: other encodings, page numbers, other numbering, tables
(.xlsx, .docx, a pasted table), and what is refused at its line, row or cell."""

import codecs
import io
import re
import zipfile

import pytest

from tasks.plan_parser import PlanFormatError, parse_plan
from tasks.plan_sources import PlanFileError, read_plan
from tasks.plan_sources.reader import Limits
from tests.plan_files import PLAN_PATH, make_docx, make_xlsx, render_text, same_tasks, shanxi, table_rows

TEXT = PLAN_PATH.read_text(encoding="utf-8")
LINES = TEXT.split("\n")


def line_no(text, needle):
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    "encoded",
    [
        TEXT.encode("gbk"),
        TEXT.encode("gb18030"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        TEXT.encode("utf-16-le"),  # no byte-order mark
        TEXT.encode("utf-16-be"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    ],
    ids=["gbk", "gb18030", "utf-16", "utf-16-le-no-bom", "utf-16-be", "utf-8-bom"],
)
def test_a_text_in_another_encoding_reads_as_the_utf8_text(encoded):
    assert same_tasks(shanxi(), read_plan(encoded, "plan.txt")) == []


def test_a_named_encoding_that_does_not_fit_is_refused_at_its_line():
    data = TEXT.encode("utf-8")
    with pytest.raises(PlanFormatError) as err:
        read_plan(data, "plan.txt", encoding="ascii")
    first_non_ascii = next(i for i, line in enumerate(LINES, 1) if not line.isascii())
    assert err.value.line == first_non_ascii and "不是 ascii 编码" in err.value.message


def test_an_unknown_encoding_name_is_refused():
    with pytest.raises(PlanFormatError, match="不认识的编码“big6”"):
        read_plan(b"x", "plan.txt", encoding="big6")


def test_bytes_that_are_no_text_are_refused_with_their_line():
    data = "一、关于甲的问题\n".encode() + b"\x81\x30\xff\xfe\x00garbage\n"
    with pytest.raises((PlanFormatError, PlanFileError)):
        read_plan(data, "plan.txt")


# --------------------------------------------------------------------------- page numbers and layouts


@pytest.mark.parametrize("page", ["— {} —", "-{}-", "－ {} －", "第{}页", "第 {} 页 共 99 页"])
def test_page_numbers_in_the_official_style_are_removed_wherever_they_fall(page):
    out = []
    for i, line in enumerate(LINES):
        out.append(line)
        if i % 37 == 5:  # inside problems, measures, officials
            out.append(page.format(i // 37 + 1))
    assert same_tasks(shanxi(), parse_plan("\n".join(out))) == []


@pytest.mark.parametrize("style", ["（1）", "1、"])
def test_measures_numbered_in_another_style_are_read_one_by_one(style):
    plan = parse_plan(render_text(measures=style))
    assert sum(len(t.measures) for t in plan.tasks) == 182
    assert same_tasks(shanxi(), plan) == []


def test_tasks_numbered_yi_with_measures_numbered_in_parentheses_and_no_categories():
    text = render_text(measures="（一）", flat=True)
    assert "一、重发展" in text and "（二）" in text
    plan = parse_plan(text)
    assert [(c.number, c.title) for c in plan.categories] == [(1, "整改任务")]
    assert sum(len(t.measures) for t in plan.tasks) == 182
    assert same_tasks(shanxi(), plan, categories=False) == []


def test_a_list_pasted_without_the_main_text_keeps_every_milestone():
    start = next(i for i, line in enumerate(LINES) if line.startswith("附件"))
    listing = parse_plan("\n".join(LINES[start + 1 :]))
    assert same_tasks(shanxi(), listing) == []
    assert listing.tasks[22].measures[0].milestones  # task 23 names "年底前" without a year


def test_other_headings_for_the_deadline_and_the_responsible_unit_are_read():
    text = TEXT.replace("整改时限：", "完成时限：").replace("责任单位：", "牵头单位：")
    assert same_tasks(shanxi(), parse_plan(text)) == []


def test_a_table_pasted_as_tab_separated_text_reads_like_the_workbook():
    def cell(value):
        value = str(value)
        return '"' + value.replace('"', '""') + '"' if "\n" in value or '"' in value else value

    header = "序号\t问题类别\t督察反馈问题\t整改目标\t整改措施\t责任单位\t配合单位\t责任人\t整改时限\t备注"
    text = header + "\n" + "\n".join("\t".join(cell(v) for v in row) for row in table_rows())
    assert same_tasks(shanxi(), read_plan(text.encode("gb18030"), "paste.txt")) == []


def test_a_plan_that_names_no_persons_imports_without_officials():
    from dataclasses import replace

    nobody = replace(
        shanxi(), tasks=tuple(replace(t, officials=(), officials_text="") for t in shanxi().tasks)
    )
    text = render_text(nobody)
    assert "责任人：" not in text
    plan = parse_plan(text)
    assert len(plan.tasks) == 60 and all(t.officials == () and t.officials_text == "" for t in plan.tasks)


def test_one_task_without_persons_in_a_plan_that_names_them_is_refused_at_that_task():
    lines = render_text().split("\n")
    third = next(i for i, line in enumerate(lines) if line.startswith("（三）"))
    officials = next(i for i in range(third, len(lines)) if lines[i].startswith("责任人："))
    del lines[officials : officials + 2]  # 晋中 …, 长治 …
    with pytest.raises(PlanFormatError) as err:
        parse_plan("\n".join(lines))
    assert err.value.line == third + 1 and "任务（三）缺少“责任人”" in err.value.message


# --------------------------------------------------------------------------- refused at their line


def test_a_task_whose_measure_numbering_changes_style_is_refused_at_that_line():
    lines = render_text().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("2.") and i > 20)
    lines[at] = "（2）" + lines[at][2:]
    with pytest.raises(PlanFormatError) as err:
        parse_plan("\n".join(lines))
    assert err.value.line == at + 1
    assert "编号方式前后不一" in err.value.message and "应为“2.”" in err.value.message


def test_items_numbered_inside_a_measure_stay_in_that_measure():
    text = render_text().replace("整改措施：\n1.", "整改措施：\n1.总体要求：\n（1）甲；\n（2）乙。\n1.", 0)
    lines = render_text().split("\n")
    at = lines.index("整改措施：")
    lines[at + 1 : at + 1] = ["1.总体要求：", "（1）甲；", "（2）乙。"]
    lines[at + 4] = "2." + lines[at + 4][2:]
    # renumber the task's remaining measures
    i, n = at + 5, 3
    while not lines[i].startswith("责任单位"):
        if re.match(r"^\d+\.", lines[i]):
            lines[i] = re.sub(r"^\d+\.", f"{n}.", lines[i])
            n += 1
        i += 1
    first = parse_plan("\n".join(lines)).tasks[0]
    assert first.measures[0].text == "总体要求：（1）甲；（2）乙。" and len(first.measures) == 6
    assert text  # the template above is only a reading aid


@pytest.mark.parametrize(
    "bad, needle",
    [("2017 年 13 月底前", "2017 年 13 月底"), ("2018 年 2 月 30 日前", "2018 年 2 月 30 日")],
)
def test_an_impossible_date_is_refused_at_its_line(bad, needle):
    text = TEXT.replace("整改时限：2017 年底前", f"整改时限：{bad}", 1)
    with pytest.raises(PlanFormatError) as err:
        parse_plan(text)
    assert err.value.line == line_no(text, f"整改时限：{bad}")
    assert f"日期“{needle}”不存在" in err.value.message


def test_an_impossible_date_inside_a_measure_is_refused_at_the_measures_line():
    text = TEXT.replace("2017 年 9 月 30 日", "2017 年 9 月 31 日", 1)
    with pytest.raises(PlanFormatError) as err:
        parse_plan(text)
    assert err.value.line == line_no(text, "9 月 31 日") and "不存在" in err.value.message


def test_a_month_without_a_year_takes_the_plans_year_or_the_one_given():
    text = render_text(main=False)
    no_years = re.sub(r"\d{4}\s*年\s*(?=\d{1,2}\s*月)", "", text)
    no_years = re.sub(r"\d{4}\s*年", "今年", no_years)
    with pytest.raises(PlanFormatError) as err:
        parse_plan(no_years)
    assert "没有写年份" in err.value.message and "--year" in err.value.message
    assert re.search(r"月|年底", no_years.split("\n")[err.value.line - 1])
    dated = parse_plan(no_years, year=2019)
    assert any(d.year == 2019 for t in dated.tasks for m in t.measures for d in m.milestones)


def test_a_plan_of_another_province_is_refused_at_its_first_mention():
    text = TEXT.replace("山西", "河北")
    with pytest.raises(PlanFormatError) as err:
        parse_plan(text)
    assert "这是河北的整改方案" in err.value.message
    assert "河北" in text.split("\n")[err.value.line - 1]


def test_a_city_that_is_not_the_provinces_is_refused_at_its_line():
    text = TEXT.replace("责任单位：晋中、长治市委、市政府", "责任单位：晋中、石家庄市委、市政府", 1)
    with pytest.raises(PlanFormatError) as err:
        parse_plan(text)
    assert err.value.line == line_no(text, "石家庄市委")
    assert "“石家庄市”不是山西省的市" in err.value.message


def test_a_unit_before_the_persons_that_is_not_known_is_never_a_person():
    text = TEXT.replace("长治 席小军", "邯郸市 席小军", 1)
    assert "邯郸市 席小军" in text
    with pytest.raises(PlanFormatError) as err:
        parse_plan(text)
    assert (
        err.value.line == line_no(text, "邯郸市 席小军")
        and "“邯郸市”不是山西省的已知单位" in err.value.message
    )


# --------------------------------------------------------------------------- Excel and Word


def test_the_workbook_made_from_the_plan_reads_as_the_same_tasks():
    assert same_tasks(shanxi(), read_plan(make_xlsx(), "清单.xlsx")) == []


def test_the_word_table_made_from_the_plan_reads_as_the_same_tasks():
    assert same_tasks(shanxi(), read_plan(make_docx(), "清单.docx")) == []


def test_headers_are_recognised_in_any_order_by_their_synonyms():
    order = [8, 0, 2, 4, 5, 1, 3, 6, 7, 9]
    names = [
        "完成时限",
        "编号",
        "问题描述",
        "整改措施",
        "牵头单位",
        "问题类别",
        "整改目标",
        "配合单位",
        "责任人（可选）",
        "备注",
    ]
    rows = [[row[i] for i in order] for row in table_rows()]
    plan = read_plan(make_xlsx(rows, headers=names, title="山西省整改任务清单"), "x.xlsx")
    assert same_tasks(shanxi(), plan) == [] and plan.title == "山西省整改任务清单"


def test_measures_one_per_line_without_numbers_are_one_measure_each():
    rows = [list(r) for r in table_rows()]
    rows[0][4] = "压减产能\n扩大范围\n2017 年 8 月底前完成甲项目"
    task = read_plan(make_xlsx(rows), "x.xlsx").tasks[0]
    assert [m.text for m in task.measures] == ["压减产能", "扩大范围", "2017 年 8 月底前完成甲项目"]
    assert task.measures[2].milestones[0].isoformat() == "2017-08-31"


def test_a_category_heading_row_and_merged_category_cells_are_read():
    rows, current = [], None
    for row in table_rows():
        row = list(row)
        if row[1] != current:
            current = row[1]
            rows.append(["一、" + current] + [""] * 9)
        row[1] = ""
        rows.append(row)
    assert same_tasks(shanxi(), read_plan(make_xlsx(rows), "x.xlsx")) == []


@pytest.mark.parametrize(
    "change, place, needle",
    [
        ((4, 0, 7), "第 6 行 A 列（序号）", "序号应为 5"),
        ((2, 8, "2017 年 13 月底前"), "第 4 行 I 列（整改时限）", "不存在"),
        ((2, 5, "石家庄市委、市政府"), "第 4 行 F 列（责任单位）", "不是山西省的市"),
        ((3, 5, ""), "第 5 行", "缺少“责任单位”"),
        ((1, 4, "1.甲\n（2）乙"), "第 3 行 E 列（整改措施）", "编号方式前后不一"),
    ],
)
def test_a_bad_cell_is_refused_at_its_sheet_row_and_column(change, place, needle):
    rows = [list(r) for r in table_rows()]
    index, column, value = change
    rows[index][column] = value
    with pytest.raises(PlanFormatError) as err:
        read_plan(make_xlsx(rows), "x.xlsx")
    assert err.value.where.startswith(f"工作表“整改任务清单”{place}") and needle in err.value.detail


def test_a_bad_cell_of_the_word_table_is_refused_at_its_table_row_and_column():
    rows = [list(r) for r in table_rows()]
    rows[2][8] = "2017 年 2 月 30 日前"
    with pytest.raises(PlanFormatError) as err:
        read_plan(make_docx(rows), "x.docx")
    assert err.value.where == "表格 1 第 4 行 第 9 列（整改时限）" and "不存在" in err.value.detail


def test_a_workbook_without_the_required_headers_is_refused_naming_them():
    headers = ("序号", "督察反馈问题", "整改措施", "单位", "整改时限")
    with pytest.raises(PlanFormatError, match="缺少 责任单位"):
        read_plan(make_xlsx([[1, "甲", "1.乙", "省环保厅", "2017 年底前"]], headers=headers), "x.xlsx")


def test_a_file_that_is_no_workbook_is_refused():
    with pytest.raises(PlanFileError, match="不是有效的 Excel"):
        read_plan(b"PK\x03\x04 not really a zip", "x.xlsx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(PlanFileError, match="缺少 xl/workbook.xml"):
        read_plan(buf.getvalue(), "x.xlsx")
    with pytest.raises(PlanFileError, match="另存为 .xlsx"):
        read_plan(b"\xd0\xcf\x11\xe0 old excel", "x.xls")


def test_a_zip_bomb_is_refused_from_its_directory_before_it_is_unpacked():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(PlanFileError, match="解压后达 60 MB，超过 20 MB"):
        read_plan(data, "bomb.xlsx")


def test_an_over_size_file_is_refused():
    with pytest.raises(PlanFileError, match="超过 1 MB 的上限"):
        read_plan(b"x" * (1024 * 1024 + 1), "big.xlsx", limits=Limits(max_bytes=1024 * 1024))


def test_a_word_row_merged_across_the_table_opens_a_category():
    import docx

    document = docx.Document(io.BytesIO(make_docx()))
    table = document.tables[0]
    heading = table.add_row()
    heading.cells[0].merge(heading.cells[9])
    heading.cells[0].text = "五、关于新的方面的问题"
    values = [
        61,
        "",
        "新问题",
        "目标",
        "1.措施，2018 年底前完成",
        "省环保厅",
        "",
        "省环保厅 王五",
        "2018 年底前",
        "",
    ]
    for cell, value in zip(table.add_row().cells, values, strict=True):
        cell.text = str(value)
    out = io.BytesIO()
    document.save(out)
    plan = read_plan(out.getvalue(), "x.docx")
    assert plan.categories[-1].title == "关于新的方面的问题" and len(plan.categories) == 5
    assert (plan.tasks[-1].number, plan.tasks[-1].category) == (61, 5)
    assert [(o.name, o.unit) for o in plan.tasks[-1].officials] == [("王五", "省环保厅")]
