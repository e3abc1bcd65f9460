"""Cells and sheet layout shared by every workbook the reports app writes.

All workbooks are written in openpyxl's write-only mode: rows go to a temporary
file as they are appended, so memory stays flat however many rows there are.
Styles are built once here and reused by every cell (openpyxl keeps one style
record per distinct combination, not per cell).

Text is escaped against formula injection: a text cell that begins with
``= + - @`` (or a tab or a line end) is written as an explicit string cell
with Excel's "quote prefix" flag, so Excel and LibreOffice show the text and never
evaluate it, and the value itself is unchanged (a round trip gives the same text).
"""

import datetime
from copy import copy
from dataclasses import dataclass

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

# A font name, not a file: Excel and LibreOffice substitute their own CJK font
# for it (charset 134 = GB2312 tells Excel the text is Simplified Chinese).
FONT_NAME = "SimSun"
FONT = Font(name=FONT_NAME, size=10, charset=134)
BOLD = Font(name=FONT_NAME, size=10, bold=True, charset=134)
TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True, charset=134)

WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="top", wrap_text=True)
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_thin = Side(style="thin", color="999999")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")

LEVEL_FILLS = {
    "red": PatternFill("solid", fgColor="F8696B"),
    "yellow": PatternFill("solid", fgColor="FFEB84"),
    "green": PatternFill("solid", fgColor="63BE7B"),
}

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"  # rates (0.0–1.0) are real fractions shown as percentages
INTEGER_FORMAT = "0"
PERCENT_SHOWN = '0"%"'  # 完成比例: the integer 65 shown as 65%, so a liaison types 80 for 80%
NUMBER_FORMATS = {"int": INTEGER_FORMAT, "percent": PERCENT_FORMAT, "pct_int": PERCENT_SHOWN, "tenths": "0.0"}

PAPER_A3 = 8  # the SpreadsheetML paper size code for A3
EXCEL_MAX_CHARS = 32767  # Excel refuses longer cell text
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def clean_text(value) -> str:
    """Text Excel can hold: no XML-illegal control characters, at most 32,767 characters.

    Line ends become LF (XML would turn a bare CR into LF anyway on reading).
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > EXCEL_MAX_CHARS:
        text = text[: EXCEL_MAX_CHARS - 1] + "…"
    return text


def needs_escape(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = (
        "text"  # text (wrapped) | center | date | int | percent (a fraction) | pct_int (0–100) | tenths (0.0)
    )
    hidden: bool = False


class SheetWriter:
    """One write-only worksheet with a header row, column widths and print set-up.

    ``cell(value, kind)`` turns a Python value into a styled cell; ``row(values)``
    appends a row of values typed by the sheet's columns.
    """

    def __init__(
        self,
        workbook,
        title: str,
        columns: list[Column] | None = None,
        *,
        print_title: str = "",
        freeze: bool = True,
        autofilter: bool = True,
        header_row: int = 1,
    ):
        self.ws = workbook.create_sheet(title)
        self.columns = columns or []
        self.rows_written = 0
        self._styles = {}
        self._setup_print(print_title or title)
        if self.columns:
            for index, column in enumerate(self.columns, 1):
                dimension = self.ws.column_dimensions[get_column_letter(index)]
                dimension.width = column.width
                dimension.hidden = column.hidden
            last = get_column_letter(len(self.columns))
            if freeze:
                self.ws.freeze_panes = f"A{header_row + 1}"
            if autofilter:
                # The filter covers the whole data area; openpyxl writes it at close,
                # so the final row count is filled in by ``close_filter``.
                self._filter_columns = f"A{header_row}:{last}"
            self.ws.print_title_rows = f"{header_row}:{header_row}"

    def _setup_print(self, title: str):
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = PAPER_A3
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.oddHeader.center.text = clean_text(title).replace("&", "&&")
        ws.oddHeader.center.font = f"{FONT_NAME},Bold"
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"

    def _style(self, alignment, number_format: str, *, bold=False, fill=None, quote=False) -> StyleArray:
        """A copy of the style for this combination, built once per sheet.

        Setting a font or a border on a cell makes openpyxl hash the style object
        to find its index; doing that once per combination instead of once per
        cell is what keeps the export near the bare write-only loop's speed.
        """
        key = (id(alignment), number_format, bold, id(fill), quote)
        style = self._styles.get(key)
        if style is None:
            probe = WriteOnlyCell(self.ws)
            probe.font = BOLD if bold else FONT
            probe.border = BORDER
            probe.alignment = alignment
            probe.number_format = number_format
            if fill is not None:
                probe.fill = fill
            if quote:
                probe.quotePrefix = True
            style = self._styles[key] = probe._style
        return copy(style)

    def cell(self, value, kind: str = "text", *, bold: bool = False, fill=None, alignment=None):
        """A styled cell for ``value`` shown as ``kind`` (see ``Column``)."""
        number_format, quote = "General", False
        if value is None or value == "":
            value, align = None, WRAP
        elif isinstance(value, datetime.date) and kind == "date":
            value = value.date() if isinstance(value, datetime.datetime) else value
            number_format, align = DATE_FORMAT, CENTER
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number_format, align = NUMBER_FORMATS.get(kind, INTEGER_FORMAT), CENTER
        else:
            value = clean_text(value)
            quote = needs_escape(value)
            align = WRAP if kind == "text" else CENTER
        cell = Cell(
            self.ws,
            row=1,
            column=1,
            value=value,
            style_array=self._style(alignment or align, number_format, bold=bold, fill=fill, quote=quote),
        )
        if quote:
            cell.data_type = "s"  # never a formula, whatever openpyxl guessed from the leading "="
        return cell

    def header(self, headers: list[str] | None = None):
        cells = []
        for text in headers or [c.header for c in self.columns]:
            cells.append(self.cell(text, bold=True, fill=HEADER_FILL, alignment=HEADER_ALIGN))
        self.ws.append(cells)

    def row(self, values, kinds: list[str] | None = None, *, bold: bool = False):
        kinds = kinds or [c.kind for c in self.columns] or ["text"] * len(values)
        self.ws.append([self.cell(value, kind, bold=bold) for value, kind in zip(values, kinds)])
        self.rows_written += 1

    def level_cell(self, level: str, label: str):
        """A 预警 cell: the level's label (红/黄/绿) on its colour."""
        return self.cell(label, "center", fill=LEVEL_FILLS.get(level))

    def append_cells(self, cells):
        self.ws.append(cells)
        self.rows_written += 1

    def blank(self):
        self.ws.append([])

    def close_filter(self, last_row: int):
        """Set the autofilter over the rows written (call before the workbook is saved)."""
        area = getattr(self, "_filter_columns", None)
        if area and last_row >= 1:
            start, end = area.split(":")
            self.ws.auto_filter.ref = f"{start}:{end}{max(last_row, int(start[1:]) + 1)}"
