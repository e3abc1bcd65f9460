"""The monthly bulletin (月通报) as a workbook, built from ``bulletin.data`` only.

``bulletin.data`` follows the dispatch app's schema (month, start, end, totals,
by_category, by_unit with rank and on_time_rate, overdue, missed_reports,
newly_signed_off, newly_reopened, previous, change). Sheets: 概况 (figures and
the change from last month), 分类统计, 单位排名, 逾期清单, 未报送情况, 本月销号 and
本月问题反弹. Dates are real dates; on-time rates are fractions shown as 0.0%.
"""

import datetime
import io

from reports.excel import TITLE_FONT, Book, Column
from tasks.choices import Status, UnitKind

BUCKETS = [
    ("total", "台账总数"),
    ("signed_off", "已销号"),
    ("on_track", "按计划推进"),
    ("overdue", "逾期"),
    ("reopened", "问题反弹"),
]
BUCKET_COLUMNS = [Column(label, 10, "int") for _key, label in BUCKETS]


def _date(value):
    """An ISO date string from the JSON as a date (a string that is not one stays text)."""
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return value


def _status(value) -> str:
    return Status(value).label if value in Status.values else str(value or "")


def _counts(item: dict) -> list:
    return [item.get(key, 0) for key, _label in BUCKETS]


def build_bulletin_workbook(bulletin, audit_code: str = "") -> bytes:
    """The bulletin's workbook as the bytes of an .xlsx file.

    ``audit_code`` is the audit chain's head as the bulletin was published
    (``dispatch.bulletin.audit_code``), printed on the overview sheet."""
    data = bulletin.data or {}
    month = data.get("month") or bulletin.month
    title = f"中央环保督察反馈问题整改情况月通报（{month}）"
    stream = io.BytesIO()
    workbook = Book(stream, title=title)

    _overview(workbook, data, title, month, audit_code)
    _table(
        workbook,
        "分类统计",
        title,
        [Column("序号", 6, "center"), Column("问题类别", 44), *BUCKET_COLUMNS],
        [[c.get("number"), _category_title(c, data), *_counts(c)] for c in data.get("by_category", [])],
    )
    _table(
        workbook,
        "单位排名",
        title,
        [
            Column("排名", 6, "center"),
            Column("责任单位", 14, "center"),
            Column("单位类型", 10, "center"),
            *BUCKET_COLUMNS,
            Column("按期完成率", 11, "percent"),
        ],
        [
            [
                "—" if u.get("rank") is None else u["rank"],
                u.get("unit"),
                UnitKind(u["kind"]).label if u.get("kind") in UnitKind.values else u.get("kind"),
                *_counts(u),
                "—" if u.get("on_time_rate") is None else u["on_time_rate"],
            ]
            for u in sorted(
                data.get("by_unit", []), key=lambda u: (u.get("rank") is None, u.get("rank") or 0)
            )
        ],
    )
    _table(
        workbook,
        "逾期清单",
        title,
        [
            Column("任务序号", 8, "center"),
            Column("责任单位", 14, "center"),
            Column("原定期限", 12, "date"),
            Column("现期限", 12, "date"),
            Column("状态", 12, "center"),
        ],
        [
            [
                o.get("task_number"),
                o.get("unit"),
                _date(o.get("due_date")),
                _date(o.get("effective_due")),
                _status(o.get("status")),
            ]
            for o in data.get("overdue", [])
        ],
    )
    _table(
        workbook,
        "未报送情况",
        title,
        [Column("责任单位", 14, "center"), Column("未报送周数", 10, "int"), Column("未报送的周", 60)],
        [
            [m.get("unit"), len(m.get("weeks", [])), "、".join(m.get("weeks", []))]
            for m in data.get("missed_reports", [])
        ],
    )
    _table(
        workbook,
        "催办签收",
        title,
        [
            Column("责任单位", 14, "center"),
            Column("本月催办", 10, "int"),
            Column("本月交办", 10, "int"),
            Column("本月签收", 10, "int"),
            Column("逾期未签收", 11, "int"),
            Column("平均签收用时（小时）", 14, "decimal"),
        ],
        [
            [
                u.get("unit"),
                u.get("urges", 0),
                u.get("handed", 0),
                u.get("acknowledged", 0),
                u.get("unacknowledged_overdue", 0),
                "—" if u.get("ack_hours") is None else u["ack_hours"],
            ]
            for u in data.get("by_unit", [])
            if u.get("urges") or u.get("handed") or u.get("acknowledged") or u.get("unacknowledged_overdue")
        ],
    )
    for sheet, key in (("本月销号", "newly_signed_off"), ("本月问题反弹", "newly_reopened")):
        _table(
            workbook,
            sheet,
            title,
            [Column("任务序号", 8, "center"), Column("责任单位", 14, "center"), Column("日期", 12, "date")],
            [[e.get("task_number"), e.get("unit"), _date(e.get("at"))] for e in data.get(key, [])],
        )

    workbook.close()
    return stream.getvalue()


def _overview(workbook, data: dict, title: str, month: str, audit_code: str = ""):
    sheet = workbook.sheet(
        "概况",
        [Column("项目", 16), Column("本月", 12, "int"), Column("上月", 12, "int"), Column("变化", 12, "int")],
        print_title=title,
        freeze=False,
        autofilter=False,
    )
    # merged over the four columns and wrapped: never cut
    sheet.spanning_row([sheet.cell(title, title=True)], first=1, last=4, font_size=TITLE_FONT["font_size"])
    sheet.row(
        ["统计期间", _date(data.get("start")), "至", _date(data.get("end"))],
        ["text", "date", "center", "date"],
    )
    sheet.row(["通报月份", month], ["text", "center"])
    if audit_code:
        sheet.row(["操作记录校验码", audit_code], ["text", "text"])
    sheet.blank()
    previous = data.get("previous") or {}
    change = data.get("change") or {}
    sheet.header(["项目", "本月", f"上月（{previous.get('month')}）" if previous else "上月", "变化"])
    totals = data.get("totals", {})
    for key, label in BUCKETS:
        sheet.row([label, totals.get(key), (previous.get("totals") or {}).get(key), change.get(key)])


def _table(workbook, name: str, title: str, columns: list[Column], rows: list[list]):
    sheet = workbook.sheet(name, columns, print_title=f"{title} · {name}")
    sheet.header()
    for values in rows:
        sheet.row(values)
    sheet.close_filter(sheet.rows_written + 1)


def _category_title(category: dict, data: dict) -> str:
    """A category's title, named with its plan when several plans stand side by side."""
    several = len(data.get("by_plan", [])) > 1
    return f"{category.get('plan')} · {category.get('title')}" if several else category.get("title")
