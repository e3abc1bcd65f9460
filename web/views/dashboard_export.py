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


def _trend(trend: dict) -> Table:
    """排名变化: a unit's rank in each of the last published bulletins, and its latest move."""
    months = trend.get("months") or []
    columns = [TableColumn("责任单位", _get("unit"), 20)]
    columns += [TableColumn(month, lambda r, i=i: r["ranks"][i], 9, "int") for i, month in enumerate(months)]
    columns.append(TableColumn("变化（名次，+为上升）", _get("move"), 12, "int"))
    return Table("排名变化（月通报）", columns, trend.get("rows") or [], sheet="排名变化")


def dashboard_tables(context) -> list[Table]:
    scope = context["plan"].title if context.get("plan") else ""
    return [
        Table("按问题类别", _buckets("问题类别"), context["by_category"], caption=scope),
        Table("按责任单位", _buckets("责任单位"), context["by_unit"], caption=scope),
        Table(
            "各单位统计（报送、催办、销号用时）",
            [
                TableColumn("责任单位", _get("name"), 20),
                TableColumn("台账", _get("total"), 8, "int"),
                TableColumn("已销号", _get("signed_off"), 8, "int"),
                TableColumn("逾期", _get("overdue"), 8, "int"),
                TableColumn("报送", _get("reports"), 8, "int"),
                TableColumn("迟报", _get("late"), 8, "int"),
                TableColumn("按期报送率", _get("rate"), 11, "percent"),
                TableColumn("上周未报送", _get("missed"), 10, "int"),
                TableColumn("被催办", _get("urges"), 8, "int"),
                TableColumn("平均销号用时（天）", _get("signoff_days"), 14, "decimal"),
            ],
            context["units"],
            caption=scope,
            sheet="各单位统计",
        ),
        _trend(context["trend"]),
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
