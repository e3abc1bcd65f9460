"""The weekly ledger report as an Excel workbook.

Sheets, in order: 汇总 (figures per category and per unit), 整改台账 (one row per
assignment), 逾期清单 (overdue assignments) and 未报送单位 (units without the week's
report), then the sheets the apps above add (``add_sheet``: dispatch's 领导批示, the
instructions and replies written by the week's end). The rows are read once; 整改台账 and 逾期清单 are streamed as they come and
the two small sheets are written from totals gathered on the way.

Percentages: 完成比例 is the integer 0–100 with the number format ``0"%"`` (the cell
holds 65 and shows 65%), so a liaison types 80 to mean 80%; rates on 汇总 are
fractions (0.65) with the format ``0.0%``.

The hidden columns 台账编号, 版本 and 报送周 on 整改台账 are the row's stamp the upload
(``reports.upload``) checks.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from reports.excel import Book, Column, SheetWriter
from reports.rows import LedgerRow, Source, ledger_rows
from tasks import clock
from tasks.choices import Level, Status, UnitKind
from tasks.models.levels import rule_text
from tasks.models.plan import unit_sort_key
from tasks.policy import UNIT, role_of
from tasks.weeks import parse_week, week_range, week_title
from tasks.weeks import today as local_today

SUMMARY_SHEET = "汇总"
LEDGER_SHEET = "整改台账"
OVERDUE_SHEET = "逾期清单"
MISSING_SHEET = "未报送单位"

LEDGER_COLUMNS = [
    Column("序号", 6, "center"),
    Column("问题类别", 14),
    Column("督察反馈问题", 40),
    Column("整改目标", 30),
    Column("整改措施", 50),
    Column("责任单位", 11, "center"),
    Column("责任人", 12),
    Column("整改时限", 12, "date"),
    Column("本周进展", 36),
    Column("累计进展", 40),
    Column("完成比例", 8, "pct_int"),
    Column("状态", 10, "center"),
    Column("预警", 6, "center"),
    Column("预警原因", 24),
    Column("销号日期", 12, "date"),
    Column("台账编号", 9, "int", hidden=True),
    Column("版本", 6, "int", hidden=True),
    Column("报送周", 10, "center", hidden=True),
]
LEDGER_HEADERS = [c.header for c in LEDGER_COLUMNS]
# Where the upload reads its columns (1-based), by header.
COL = {header: index for index, header in enumerate(LEDGER_HEADERS, 1)}

OVERDUE_COLUMNS = [
    Column("序号", 6, "center"),
    Column("责任单位", 11, "center"),
    Column("问题类别", 14),
    Column("督察反馈问题", 50),
    Column("原定期限", 12, "date"),
    Column("现期限", 12, "date"),
    Column("逾期天数", 8, "int"),
    Column("状态", 10, "center"),
    Column("完成比例", 8, "pct_int"),
    Column("最近报送周", 11, "center"),
]

MISSING_COLUMNS = [
    Column("责任单位", 14, "center"),
    Column("单位类型", 10, "center"),
    Column("应报送台账数", 10, "int"),
    Column("未报送台账数", 10, "int"),
    Column("未报送任务序号", 50),
]

SUMMARY_STATUS = list(Status)
SUMMARY_HEADERS = [
    "合计",
    *[s.label for s in SUMMARY_STATUS],
    "红色预警",
    "黄色预警",
    "绿色",
    "到期应完成",
    "按期完成",
    "按期完成率",
]
SUMMARY_KINDS = ["text", *["int"] * (len(SUMMARY_HEADERS) - 1), "percent"]  # name, counts, rate

INSTRUCTIONS = (
    "填写说明：联络员在“整改台账”表中填写“本周进展”和“完成比例”（0–100 的整数）后整表上传；"
    "请勿改动其他列、隐藏列和表头。"
)


@dataclass
class Tally:
    """Counts of one group of rows: by status, by level, and the on-time rate.

    On-time rate (按期完成率): of the assignments whose ORIGINAL due date falls on or
    before the week's last day, the share signed off on or before that date.
    """

    total: int = 0
    status: Counter = field(default_factory=Counter)
    level: Counter = field(default_factory=Counter)
    due: int = 0
    on_time: int = 0

    def add(self, row: LedgerRow, week_end: datetime.date):
        self.total += 1
        self.status[row.status] += 1
        self.level[row.level] += 1
        if row.due_date and row.due_date <= week_end:
            self.due += 1
            if row.signed_off_on and row.signed_off_on <= row.due_date:
                self.on_time += 1

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    def values(self) -> list:
        return [
            self.total,
            *[self.status[s] for s in SUMMARY_STATUS],
            self.level[Level.RED],
            self.level[Level.YELLOW],
            self.level[Level.GREEN],
            self.due,
            self.on_time,
            "—" if self.on_time_rate is None else self.on_time_rate,
        ]


@dataclass
class UnitMissing:
    kind: str
    open: int = 0
    missing: list = field(default_factory=list)


@dataclass
class WeekReport:
    """What a written workbook holds, for callers and tests."""

    week: str
    start: datetime.date
    end: datetime.date
    scope: str
    rows: int = 0
    overdue: int = 0
    totals: Tally = field(default_factory=Tally)
    by_category: dict = field(default_factory=dict)
    by_unit: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)
    sources: Counter = field(default_factory=Counter)

    def add(self, row: LedgerRow):
        self.rows += 1
        self.sources[row.source] += 1
        self.totals.add(row, self.end)
        self.by_category.setdefault((row.category_number, row.category), Tally()).add(row, self.end)
        self.by_unit.setdefault((row.unit_kind, row.unit), Tally()).add(row, self.end)
        if row.is_open:
            unit = self.missing.setdefault(row.unit, UnitMissing(row.unit_kind))
            unit.open += 1
            if not row.reported_this_week:
                unit.missing.append(row.task_number)


def scope_label(user, unit=None) -> str:
    if unit is not None:
        return unit.name
    if role_of(user) in UNIT:
        return user.membership.unit.name
    return "全部责任单位"


# Sheets an app above adds to every weekly workbook (reports may not import it): each provider is
# called as ``provider(user, until=<the Monday after the week, 00:00>, unit=unit)`` and returns
# ``(sheet name, columns, rows of values)`` in a fixed number of queries. dispatch adds 领导批示.
_extra_sheets: list = []


def add_sheet(provider) -> None:
    if provider not in _extra_sheets:
        _extra_sheets.append(provider)


def write_weekly_workbook(
    stream, *, week: str, user, unit=None, plan=None, today: datetime.date | None = None, progress=None
) -> WeekReport:
    """Write the week's report for what ``user`` may see (optionally one unit) to ``stream``.

    ``progress(rows written)`` is called every ``PROGRESS_EVERY`` ledger rows (the background export's bar).
    """
    today = today or local_today()
    parse_week(week)
    rows = ledger_rows(week, user, unit=unit, plan=plan, today=today)
    if progress is not None:
        rows = _counted(rows, progress)
    scope = scope_label(user, unit) + (f"，{plan.title}" if plan is not None else "")
    until = timezone.make_aware(
        datetime.datetime.combine(week_range(week)[1] + datetime.timedelta(days=1), datetime.time.min)
    )
    extra = [provider(user, until=until, unit=unit) for provider in _extra_sheets]
    return write_rows(stream, week=week, rows=rows, scope=scope, today=today, extra=extra)


PROGRESS_EVERY = 500  # rows between two progress calls


def _counted(rows, progress):
    written = 0
    for row in rows:
        yield row
        written += 1
        if written % PROGRESS_EVERY == 0:
            progress(written)
    progress(written)


def write_rows(stream, *, week: str, rows, scope: str, today: datetime.date, extra=()) -> WeekReport:
    """Write the workbook from any iterable of ``LedgerRow`` (the bench feeds fabricated ones)."""
    start, end = week_range(week)
    report = WeekReport(week=week, start=start, end=end, scope=scope)
    title = f"中央环保督察反馈问题整改台账（{start.year}年{week_title(week)}，{scope}）"

    book = Book(stream, title=title)
    summary = book.sheet(SUMMARY_SHEET, print_title=title, freeze=False, autofilter=False)
    ledger = book.sheet(LEDGER_SHEET, LEDGER_COLUMNS, print_title=title)
    overdue = book.sheet(
        OVERDUE_SHEET, OVERDUE_COLUMNS, print_title=f"逾期清单（{week_title(week)}，{scope}）"
    )
    missing = book.sheet(
        MISSING_SHEET, MISSING_COLUMNS, print_title=f"未报送单位（{week_title(week)}，{scope}）"
    )
    for sheet in (ledger, overdue, missing):
        sheet.header()

    as_of = min(today, end)
    for row in rows:
        report.add(row)
        _write_ledger_row(ledger, row, week)
        if row.is_overdue:
            report.overdue += 1
            _write_overdue_row(overdue, row, as_of)

    _write_missing(missing, report)
    _write_summary(summary, report, title)
    sheets = [ledger, overdue, missing]
    for name, columns, values in extra:
        sheet = book.sheet(name, columns, print_title=f"{name}（{week}，{scope}）")
        sheet.header()
        for line in values:
            sheet.row(line)
        sheets.append(sheet)
    for sheet in sheets:
        sheet.close_filter(sheet.rows_written + 1)
    book.close()
    return report


def _write_ledger_row(sheet: SheetWriter, row: LedgerRow, week: str):
    values = [
        row.task_number,
        row.category,
        row.problem,
        row.goal,
        row.measures,
        row.unit,
        row.officials,
        row.effective_due or row.deadline_text,
        row.week_text,
        row.history,
        row.percent,
        row.status_label,
        None,
        row.level_reason,
        row.signed_off_on,
        row.assignment_id,
        row.version,
        week,
    ]
    cells = [sheet.cell(value, column.kind) for value, column in zip(values, LEDGER_COLUMNS)]
    cells[COL["预警"] - 1] = sheet.level_cell(row.level, row.level_label)
    sheet.append_cells(cells)


def _write_overdue_row(sheet: SheetWriter, row: LedgerRow, as_of: datetime.date):
    days = max(0, (as_of - row.effective_due).days) if row.effective_due else None
    values = [
        row.task_number,
        row.unit,
        row.category,
        row.problem,
        row.due_date,
        row.effective_due,
        days,
        row.status_label,
        row.percent,
        week_title(row.last_report_week) if row.last_report_week else None,
    ]
    sheet.append_cells([sheet.cell(value, column.kind) for value, column in zip(values, OVERDUE_COLUMNS)])


def source_note(report: WeekReport) -> str:
    """Where the week's figures come from, in words (汇总's 数据口径 line)."""
    end = f"{report.end:%Y-%m-%d}"
    frozen, rebuilt = report.sources[Source.SNAPSHOT], report.sources[Source.AS_OF]
    if not report.rows or report.sources[Source.LIVE] == report.rows:
        return "导出时的台账（本周尚未结束，状态和预警按导出时计）"
    parts = []
    if frozen:
        parts.append(f"{'全部' if frozen == report.rows else f'{frozen} 行'}取自周调度冻结的快照")
    if rebuilt:
        parts.append(
            f"{'本周无调度快照，' if not frozen else f'其余 {rebuilt} 行无调度快照，'}"
            f"状态、预警、整改时限和销号日期按操作记录还原至 {end} 周末；"
            "本周进展和完成比例按该周及以前各周的报送（含周后补报）"
        )
    return "；".join(parts) + "。隐藏列“版本”为导出时的版本"


def _write_missing(sheet: SheetWriter, report: WeekReport):
    for name, unit in sorted(
        report.missing.items(), key=lambda item: (-len(item[1].missing), unit_sort_key(item[0], item[1].kind))
    ):
        if unit.missing:
            numbers = "、".join(str(n) for n in sorted(set(unit.missing)))
            sheet.row([name, UnitKind(unit.kind).label, unit.open, len(unit.missing), numbers])


DATE_WIDTH = 12  # a yyyy-mm-dd date in bold SimSun 10 pt, with room (narrower shows "###" in LibreOffice)


def _write_summary(sheet: SheetWriter, report: WeekReport, title: str):
    # 按问题类别 / 按责任单位 and the figures' columns; the cover's lines span them all (merged, wrapped,
    # each row as tall as its text), so the period and the long notes are never cut nor "###".
    widths = [34, *[DATE_WIDTH] * len(SUMMARY_HEADERS)]  # the period's dates sit in B and D
    sheet.widths(widths)
    last = len(widths)
    sheet.spanning_row([sheet.cell(title, title=True)], first=1, last=last, font_size=14)
    generated = timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M")
    sheet.row(["统计周期", report.start, "至", report.end], ["text", "date", "center", "date"], bold=True)
    for label, value in (
        ("报送周", f"{report.start.year}年{week_title(report.week)}"),
        ("统计范围", report.scope),
        ("生成时间", generated),
        ("数据口径", source_note(report)),
        ("预警规则", rule_text()),
    ):
        sheet.spanning_row([sheet.cell(label, bold=True), sheet.cell(value)], first=2, last=last)
    sheet.spanning_row([sheet.cell(INSTRUCTIONS)], first=1, last=last)
    sheet.blank()

    sheet.header(["按问题类别", *SUMMARY_HEADERS])
    for (number, name), tally in sorted(report.by_category.items()):
        sheet.row([f"{number}. {name}", *tally.values()], SUMMARY_KINDS)
    sheet.row(["合计", *report.totals.values()], SUMMARY_KINDS, bold=True)
    sheet.blank()

    sheet.header(["按责任单位", *SUMMARY_HEADERS])
    for (_kind, name), tally in sorted(
        report.by_unit.items(), key=lambda item: unit_sort_key(item[0][1], item[0][0])
    ):
        sheet.row([name, *tally.values()], SUMMARY_KINDS)
    sheet.row(["合计", *report.totals.values()], SUMMARY_KINDS, bold=True)
