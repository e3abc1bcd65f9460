"""Plan files made from the parsed Shanxi plan, for the importer tests: the text in other layouts,
an Excel 清单 (openpyxl) and a Word table (python-docx), each carrying the same tasks."""

import io
from functools import cache
from pathlib import Path

from tasks.plan_parser import _int_to_cn, parse_plan

PLAN_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "plans" / "shanxi-2017.txt"
HEADERS = (
    "序号",
    "问题类别",
    "督察反馈问题",
    "整改目标",
    "整改措施",
    "责任单位",
    "配合单位",
    "责任人",
    "整改时限",
    "备注",
)


@cache
def shanxi():
    return parse_plan(PLAN_PATH.read_text(encoding="utf-8"))


def same_tasks(a, b, *, categories=True) -> list[int]:
    """Numbers of the tasks that differ between two parsed plans (the source line aside)."""
    from dataclasses import replace

    def key(t):
        return replace(t, line=0, category=t.category if categories else 0)

    differ = [x.number for x, y in zip(a.tasks, b.tasks, strict=False) if key(x) != key(y)]
    return differ if len(a.tasks) == len(b.tasks) else [-1, *differ]


def measure_label(style: str, n: int) -> str:
    return {"1.": f"{n}.", "1、": f"{n}、", "（1）": f"（{n}）", "（一）": f"（{_int_to_cn(n)}）"}[style]


def render_text(plan=None, *, measures="1.", flat=False, main=True) -> str:
    """The plan as text: categories and （一） tasks, or (flat) 一、 tasks without categories."""
    plan = plan or shanxi()
    out = []
    if main:
        aspects = "" if flat else f"{_int_to_cn(len(plan.categories))}个方面的"
        out += [plan.title, f"反馈我省{aspects}突出问题，共分解为 {len(plan.tasks)} 个具体整改任务。"]
        out += ["附件：整改任务清单"]
    for task in plan.tasks:
        if not flat and (task.number == 1 or plan.tasks[task.number - 2].category != task.category):
            cat = plan.categories[task.category - 1]
            out.append(f"{_int_to_cn(cat.number)}、{cat.title}")
        out.append(
            f"{_int_to_cn(task.number)}、{task.problem}"
            if flat
            else f"（{_int_to_cn(task.number)}）{task.problem}"
        )
        out.append(f"整改目标：{task.goal}")
        out.append("整改措施：")
        out += [measure_label(measures, m.number) + m.text for m in task.measures]
        out.append(f"责任单位：{task.responsible_text}")
        if task.cooperating_text:
            out.append(f"配合单位：{task.cooperating_text}")
        if task.officials_text:
            out += ["责任人：" + group for group in [task.officials_text.split("；")[0]]]
            out += task.officials_text.split("；")[1:]
        out.append(f"整改时限：{task.deadline_text}")
    return "\n".join(out) + "\n"


def table_rows(plan=None):
    plan = plan or shanxi()
    for task in plan.tasks:
        yield (
            task.number,
            plan.categories[task.category - 1].title,
            task.problem,
            task.goal,
            "\n".join(f"{m.number}.{m.text}" for m in task.measures),
            task.responsible_text,
            task.cooperating_text,
            task.officials_text,
            task.deadline_text,
            "",
        )


def make_xlsx(rows=None, *, headers=HEADERS, sheet="整改任务清单", title=None) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(list(headers))
    for row in table_rows() if rows is None else rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_docx(rows=None, *, headers=HEADERS, title="山西省整改任务清单") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(title)
    rows = list(table_rows() if rows is None else rows)
    table = document.add_table(rows=1, cols=len(headers))
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
