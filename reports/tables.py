"""Any table on a page as an Excel workbook: the rows the page shows, in its order, with its filters.

A page builds its rows once (its filterset or query builder) and hands them here with the
columns it shows; this module only writes. One sheet per table (a page with several tables,
the sign-off queue or 督办问责, writes several), in XlsxWriter's constant-memory mode
(``reports.excel.Book``) so the rows stream to a temporary file, with the shared cells of
``reports.excel`` (formula-like text escaped, dates as dates, the header frozen and filtered). A first line above the header
names what the sheet holds and the filters it was exported with.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reports.excel import Book, Column, clean_text

SHEET_TITLE_CHARS = 31  # Excel's limit on a sheet's name
FORBIDDEN_IN_TITLE = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


@dataclass(frozen=True)
class TableColumn:
    """A column of an exported table: its header and width, how its cells read, the value of a row."""

    header: str
    value: Callable[[Any], Any]
    width: float = 14
    kind: str = "text"  # see reports.excel.Column


@dataclass
class Table:
    """One sheet: a title, the columns and the rows (any iterable, read once)."""

    title: str
    columns: list[TableColumn]
    rows: Iterable[Any]
    caption: str = ""  # what the rows are, and the filters they were chosen with
    sheet: str = field(default="")

    def sheet_name(self) -> str:
        return clean_text(self.sheet or self.title).translate(FORBIDDEN_IN_TITLE)[:SHEET_TITLE_CHARS]


def write_tables(stream, tables: list[Table], *, exported_at: datetime.datetime | None = None) -> int:
    """Write ``tables`` as one workbook to ``stream`` (a binary file); return the number of rows written."""
    book = Book(stream)
    total = 0
    for table in tables:
        columns = [Column(c.header, c.width, c.kind) for c in table.columns]
        sheet = book.sheet(table.sheet_name(), columns, print_title=table.title, header_row=2)
        caption = table.title + (f"（{table.caption}）" if table.caption else "")
        if exported_at is not None:
            caption += f"　导出时间：{exported_at:%Y-%m-%d %H:%M}"
        sheet.append_cells([sheet.cell(caption, bold=True, alignment="caption")])
        sheet.header()
        for row in table.rows:
            sheet.row([column.value(row) for column in table.columns])
        total += sheet.rows_written
        sheet.close_filter(sheet.rows_written + 1)
    book.close()
    return total - len(tables)  # the caption lines are not rows
