"""The one column mapping of a plan's task list as a table (Excel 清单, Word table, a pasted table).

A header row is recognised by its names in any order; each column's first name is the template's.
The fields' names and synonyms come from the text parser (``FIELD_NAMES``), so a heading the text
accepts is a header the tables accept."""

import re

from tasks.plan_parser import FIELD_NAMES

COLUMNS = {
    "number": ("序号", "编号", "任务序号", "任务编号"),
    "category": ("问题类别", "问题分类", "类别", "问题类型"),
    "problem": ("督察反馈问题", "问题描述", "反馈问题", "存在问题", "督察发现问题", "问题"),
    "goal": FIELD_NAMES["goal"],
    "measures": FIELD_NAMES["measures"] + ("具体措施",),
    "responsible": FIELD_NAMES["responsible"],
    "cooperating": FIELD_NAMES["cooperating"],
    "officials": FIELD_NAMES["officials"],
    "deadline": FIELD_NAMES["deadline"],
    "note": ("备注",),
}
REQUIRED = ("problem", "measures", "responsible", "deadline")
TEMPLATE_SHEET = "整改任务清单"
TEMPLATE_HEADERS = tuple(names[0] for names in COLUMNS.values())
OPTIONAL = ("number", "category", "goal", "cooperating", "officials", "note")
_BY_NAME = {name: key for key, names in COLUMNS.items() for name in names}


def normalise(header) -> str:
    """'责 任 人\n（可选）' -> '责任人'."""
    text = re.sub(r"\s", "", str(header or ""))
    return re.sub(r"[（(][^）)]*[）)]$", "", text)


def column_key(header) -> str | None:
    return _BY_NAME.get(normalise(header))


def label(key: str) -> str:
    return COLUMNS[key][0]
