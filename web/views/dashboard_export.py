"""The dashboard's tables as Excel (``/dashboard/?export=xlsx``): the same figures the page shows,
read off the page's context, one sheet per table (``reports.tables`` writes them)."""

from reports.tables import Table, TableColumn
from web.exports import status_label


def _get(key):
    return lambda row: row.get(key) if isinstance(row, dict) else getattr(row, key, None)


def _buckets(heading: str) -> list[TableColumn]:
    return [
        TableColumn(heading, _get("name"), 30),
        TableColumn("台账", _get("total"), 9, "int"),
        TableColumn("已销号", _get("signed_off"), 9, "int"),
        TableColumn("按计划推进", _get("on_track"), 11, "int"),
        TableColumn("逾期", _get("overdue"), 9, "int"),
        TableColumn("问题反弹", _get("reopened"), 9, "int"),
    ]


def dashboard_tables(context) -> list[Table]:
    scope = context["plan"].title if context.get("plan") else ""
    return [
        Table("按问题类别", _buckets("问题类别"), context["by_category"], caption=scope),
        Table("按责任单位", _buckets("责任单位"), context["by_unit"], caption=scope),
        Table(
            "按期报送率（按责任单位）",
            [
                TableColumn("责任单位", _get("name"), 20),
                TableColumn("报送", _get("reports"), 9, "int"),
                TableColumn("迟报", _get("late"), 9, "int"),
                TableColumn("按期报送率", _get("rate"), 11, "percent"),
            ],
            context["reporting"],
            sheet="按期报送率",
        ),
        Table(
            "催办",
            [
                TableColumn("责任单位", _get("unit"), 20),
                TableColumn("待答复", _get("open"), 9, "int"),
                TableColumn("累计催办", _get("total"), 9, "int"),
            ],
            context["urges"],
        ),
        Table(
            "签收",
            [
                TableColumn("责任单位", _get("unit"), 20),
                TableColumn("待签收", _get("open"), 9, "int"),
                TableColumn("逾期未签收", _get("overdue"), 11, "int"),
                TableColumn("已签收", _get("done"), 9, "int"),
                TableColumn("平均签收用时（小时）", _get("mean_hours"), 14, "decimal"),
            ],
            context["acknowledgements"],
        ),
        Table(
            "逾期台账",
            [
                TableColumn("任务", lambda a: a.task.number, 8, "int"),
                TableColumn("问题", lambda a: a.task.problem, 48),
                TableColumn("责任单位", lambda a: a.unit.name, 14),
                TableColumn("期限", lambda a: a.effective_due, 12, "date"),
                TableColumn("状态", lambda a: status_label(a.status), 10, "center"),
                TableColumn("完成比例", lambda a: a.percent, 9, "pct_int"),
            ],
            context["overdue"],
            caption=f"逾期最久的 {len(context['overdue'])} 项",
        ),
    ]
