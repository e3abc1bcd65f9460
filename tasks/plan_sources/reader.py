"""Which reader a plan file goes to, and the checks on the file before any reader opens it."""

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import docx
import openpyxl
from openpyxl.utils import get_column_letter

from tasks.plan_parser import SHANXI, ParsedPlan, PlanFormatError, Province, parse_plan
from tasks.plan_sources.columns import TEMPLATE_SHEET, column_key, label
from tasks.plan_sources.decoding import decode_plan_text
from tasks.plan_sources.table import find_header, plan_from_rows

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 20 * 1024 * 1024  # a 60-task plan unpacks to well under 1 MB
MAX_ROWS = 2000
MAX_COLUMNS = 50  # cells beyond are not read (a sheet may claim 16,384 columns for free)


class PlanFileError(ValueError):
    """The file cannot be read as a plan at all (not a workbook, too large, a zip bomb)."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_BYTES
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    max_rows: int = MAX_ROWS


def human_size(n: int) -> str:
    """60 MB, 5.5 MB, 10 KB: how the refusals name a size."""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(n / 1024))} KB"


def open_zip(data: bytes, member: str, kind: str, limits: Limits) -> zipfile.ZipFile:
    """The zip of an .xlsx/.docx after checking its directory: the uncompressed sizes are summed
    from the directory before anything is unpacked, so a zip bomb is refused unread."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise PlanFileError(f"文件不是有效的 {kind} 文件（无法作为压缩包打开）") from None
    unpacked = sum(i.file_size for i in infos)
    if unpacked > limits.max_unpacked_bytes:
        raise PlanFileError(
            f"文件解压后达 {human_size(unpacked)}，超过 {human_size(limits.max_unpacked_bytes)} 的上限，未读取（疑为压缩炸弹）"
        )
    if member not in archive.namelist():
        raise PlanFileError(f"文件不是 {kind} 文件（缺少 {member}）")
    return archive


def _xlsx_rows(data: bytes, name: str, limits: Limits, province: Province, year: int | None) -> ParsedPlan:
    open_zip(data, "xl/workbook.xml", "Excel（.xlsx）", limits)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file; all mean the same
        raise PlanFileError("文件不是可读取的 Excel（.xlsx）工作簿") from None
    try:
        sheets = sorted(book.worksheets, key=lambda ws: ws.title != TEMPLATE_SHEET)
        for ws in sheets:
            rows = []
            ws.reset_dimensions()  # never trust the sheet's own claim of its size
            for row_no, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
                if row_no > limits.max_rows + 20:
                    raise PlanFileError(f"工作表“{ws.title}”超过 {limits.max_rows} 行，请分成几个文件导入")
                rows.append((row_no, [_cell_text(v) for v in row]))
            title = ws.title

            def where(row, col, title=title, rows=rows):
                return f"工作表“{title}”第 {row} 行" + (
                    "" if col is None else f" {_letter(col)} 列（{_header(rows, col)}）"
                )

            if ws.title == TEMPLATE_SHEET or find_header(rows, where) is not None:
                return plan_from_rows(
                    rows,
                    where=where,
                    title=PurePath(name).stem,
                    province=province,
                    year=year,
                    max_rows=limits.max_rows,
                    nowhere=f"工作表“{title}”",
                )
    finally:
        book.close()
    raise PlanFormatError(
        1, f"没有工作表“{TEMPLATE_SHEET}”，其他工作表中也找不到表头（列名见模板）", "工作簿"
    )


def _header(rows, col) -> str:
    for _, cells in rows[:10]:
        if col < len(cells) and column_key(cells[col]):
            return label(column_key(cells[col]))
    return "未识别的列"


def _letter(col: int) -> str:
    return get_column_letter(col + 1)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year} 年 {value.month} 月 {value.day} 日"
    return str(value)


def _docx_rows(data: bytes, name: str, limits: Limits, province: Province, year: int | None) -> ParsedPlan:
    open_zip(data, "word/document.xml", "Word（.docx）", limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - python-docx raises many kinds for a broken file; all mean the same
        raise PlanFileError("文件不是可读取的 Word（.docx）文档") from None
    rows, starts = [], []
    tables = document.tables
    for t_no, table in enumerate(tables, 1):
        table_rows = []
        for r_no, row in enumerate(table.rows, 1):
            if len(rows) + len(table_rows) > limits.max_rows + 20:
                raise PlanFileError(f"Word 表格超过 {limits.max_rows} 行，请分成几个文件导入")
            cells, seen = [], set()
            for cell in row.cells[:MAX_COLUMNS]:
                # a cell merged across columns repeats in each: its text counts once, in its first column
                repeat = id(cell._tc) in seen
                seen.add(id(cell._tc))
                cells.append("" if repeat else "\n".join(p.text for p in cell.paragraphs))
            table_rows.append((t_no * 100000 + r_no, cells))
        if find_header(table_rows, lambda r, c: _docx_where(r, c, [])) is not None:
            starts.append(t_no)
            rows.extend(
                table_rows if len(starts) == 1 else table_rows[1:]
            )  # a table split in two repeats its header
    if not rows:
        raise PlanFormatError(
            1, "文档中找不到清单表格（表头应写明 督察反馈问题、整改措施、责任单位、整改时限）", "Word 文档"
        )
    title = next((p.text.strip() for p in document.paragraphs if p.text.strip()), PurePath(name).stem)
    return plan_from_rows(
        rows,
        where=lambda r, c: _docx_where(r, c, rows),
        title=title,
        province=province,
        year=year,
        max_rows=limits.max_rows,
        nowhere="Word 表格",
    )


def _docx_where(row: int, col: int | None, rows) -> str:
    table, r = divmod(row, 100000)
    place = f"表格 {table} 第 {r} 行"
    return place if col is None else place + f" 第 {col + 1} 列（{_header(rows, col) if rows else ''}）"


def _tsv_rows(
    text: str, province: Province, year: int | None, name: str, limits: Limits
) -> ParsedPlan | None:
    """A table pasted as text (tab-separated, as Excel and WPS copy it), or None if it is not one."""
    lines = text.lstrip("\ufeff").splitlines()
    if not any("\t" in ln for ln in lines[:10]):
        return None
    rows, line_no = [], 1
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter="\t")
    for cells in reader:
        rows.append((line_no, cells))
        line_no = reader.line_num + 1
    header_cells = [c for _, cells in rows[:10] for c in cells]
    if sum(column_key(c) is not None for c in header_cells) < 3:
        return None

    def where(row, col):
        return f"第 {row} 行" + ("" if col is None else f" 第 {col + 1} 列（{_header(rows, col)}）")

    return plan_from_rows(
        rows, where=where, title=PurePath(name).stem, province=province, year=year, max_rows=limits.max_rows
    )


def read_plan(
    data: bytes,
    filename: str,
    *,
    province: Province = SHANXI,
    year: int | None = None,
    encoding: str | None = None,
    limits: Limits = Limits(),
) -> ParsedPlan:
    """The plan in ``data``: .xlsx, .docx, or text (a plan laid out like the 2017 PDF, or a pasted
    tab-separated table). PlanFileError if the file is unreadable, PlanFormatError where it is wrong."""
    if len(data) > limits.max_bytes:
        raise PlanFileError(f"文件大小 {human_size(len(data))}，超过 {human_size(limits.max_bytes)} 的上限")
    suffix = PurePath(filename).suffix.lower()
    if data.startswith(b"PK") or suffix in (".xlsx", ".docx", ".xls", ".doc"):
        if suffix in (".xls", ".doc") and not data.startswith(b"PK"):
            raise PlanFileError(
                f"不支持旧版 {suffix} 格式，请在 Excel 或 WPS 中另存为 .xlsx 或 .docx 后再导入"
            )
        if suffix == ".docx" or (suffix != ".xlsx" and b"word/" in data[:2000]):
            return _docx_rows(data, filename, limits, province, year)
        return _xlsx_rows(data, filename, limits, province, year)
    text, _ = decode_plan_text(data, encoding)
    if "\x00" in text:
        raise PlanFileError("文件不是文本（含有二进制内容），请上传 .xlsx、.docx 或文本文件")
    table = _tsv_rows(text, province, year, filename, limits)
    return table if table is not None else parse_plan(text, province=province, year=year)
