"""Cells and sheet layout shared by every workbook the reports app writes.

Workbooks are written with XlsxWriter in ``constant_memory`` mode (``Book``): each row goes
to the sheet's temporary file once the next row starts, so memory stays flat however many
rows there are, and a cell costs one call (no cell object, no style copied or hashed per
cell). Rows are written top to bottom; every combination of font, alignment, number format,
fill and quote prefix is one format, made once per workbook. openpyxl stays for reading
(the uploads, the tests).

Text is escaped against formula injection: a text cell that begins with
``= + - @`` (or a tab or a line end) is written as an explicit string cell
with Excel's "quote prefix" flag, so Excel and LibreOffice show the text and never
evaluate it, and the value itself is unchanged (a round trip gives the same text).
Every text is written as a string (never guessed as a formula, number or link).
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

import xlsxwriter

# A font name, not a file: Excel and LibreOffice substitute their own CJK font
# for it (charset 134 = GB2312 tells Excel the text is Simplified Chinese).
FONT_NAME = "SimSun"
FONT = {"font_name": FONT_NAME, "font_size": 10, "font_charset": 134}
BOLD = {**FONT, "bold": True}
TITLE_FONT = {**FONT, "font_size": 14, "bold": True}

WRAP = {"text_wrap": True, "valign": "top"}
CENTER = {"align": "center", "valign": "top", "text_wrap": True}
HEADER_ALIGN = {"align": "center", "valign": "vcenter", "text_wrap": True}
BORDER = {"border": 1, "border_color": "#999999"}  # thin, grey
HEADER_FILL = "D9E1F2"

LEVEL_FILLS = {"red": "F8696B", "yellow": "FFEB84", "green": "63BE7B"}  # solid fills, RGB

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"  # rates (0.0–1.0) are real fractions shown as percentages
INTEGER_FORMAT = "0"
PERCENT_SHOWN = '0"%"'  # 完成比例: the integer 65 shown as 65%, so a liaison types 80 for 80%
NUMBER_FORMATS = {
    "int": INTEGER_FORMAT,
    "decimal": "0.0",
    "percent": PERCENT_FORMAT,
    "pct_int": PERCENT_SHOWN,
}

PAPER_A3 = 8  # the SpreadsheetML paper size code for A3
EXCEL_MAX_CHARS = 32767  # Excel refuses longer cell text
HEADER_MAX_CHARS = 200  # Excel's page header holds 255 characters, codes included
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# The characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE): dropped.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def clean_text(value) -> str:
    """Text Excel can hold: no XML-illegal control characters, at most 32,767 characters.

    Line ends become LF (XML would turn a bare CR into LF anyway on reading).
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > EXCEL_MAX_CHARS:
        text = text[: EXCEL_MAX_CHARS - 1] + "…"
    return text


def display_width(text: str, font_size: float = 10) -> float:
    """How many column-width units ``text`` takes at ``font_size`` (a CJK character is two)."""
    units = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return units * font_size / 10


def needs_escape(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "text"  # text (wrapped) | center | date | int | decimal | percent | pct_int (0–100)
    hidden: bool = False


def _pixels(width: float) -> int:
    """The column width in pixels (7 per character) that Excel stores as ``width``, as openpyxl
    wrote it: XlsxWriter's ``set_column`` would add Excel's padding (40 becomes 40.71)."""
    return max(1, round(width * 7))


class Book:
    """One workbook written to ``stream`` (a file or file-like object) in constant-memory mode.

    ``sheet(...)`` adds a ``SheetWriter``; ``close()`` writes the file. Formats are shared
    by every sheet of the book.
    """

    def __init__(self, stream, *, title: str = ""):
        self.workbook = xlsxwriter.Workbook(
            stream,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.workbook.set_properties({"title": title, "author": "整改台账"})
        self._formats = {}

    def format(self, key: tuple):
        """The format for (alignment name, number format, font name, fill, quote prefix), made once."""
        fmt = self._formats.get(key)
        if fmt is None:
            alignment, number_format, font, fill, quote = key
            properties = {**_FONTS[font], **BORDER, **_ALIGNMENTS[alignment], "num_format": number_format}
            if fill:
                properties.update(pattern=1, bg_color=f"#{fill}")
            if quote:
                properties["quote_prefix"] = True
            fmt = self._formats[key] = self.workbook.add_format(properties)
        return fmt

    def sheet(self, title: str, columns: list[Column] | None = None, **options) -> "SheetWriter":
        return SheetWriter(self, title, columns, **options)

    def close(self):
        self.workbook.close()


CAPTION = {"valign": "vcenter"}  # not wrapped: a caption line runs on over the empty cells
_ALIGNMENTS = {"wrap": WRAP, "center": CENTER, "header": HEADER_ALIGN, "caption": CAPTION}
DEFAULT_WIDTH = 8.43  # Excel's default column width, in characters
_FONTS = {"plain": FONT, "bold": BOLD, "title": TITLE_FONT}


class _Formats(dict):
    """(alignment name, number format, font name, fill, quote) -> the book's format: one dict access a cell."""

    def __init__(self, book: Book):
        super().__init__()
        self.book = book

    def __missing__(self, key):
        fmt = self[key] = self.book.format(key)
        return fmt


class SheetWriter:
    """One worksheet with a header row, column widths and print set-up, written row by row.

    ``cell(value, kind)`` turns a Python value into a styled cell; ``row(values)`` writes a
    row of values typed by the sheet's columns; ``append_cells(cells)`` writes cells made
    by ``cell``.
    """

    def __init__(
        self,
        book: Book,
        title: str,
        columns: list[Column] | None = None,
        *,
        print_title: str = "",
        freeze: bool = True,
        autofilter: bool = True,
        header_row: int = 1,
    ):
        self.ws = book.workbook.add_worksheet(title)
        self.columns = columns or []
        self.kinds = [c.kind for c in self.columns]
        self.rows_written = 0
        self.next_row = 0  # 0-based: rows are written top to bottom
        self._formats = _Formats(book)
        self._filter_header = None
        self._widths = {}  # 0-based column -> width in characters, as set
        ws = self.ws
        self._write_text = ws.write_string
        self._write_number = ws.write_number
        self._write_date = ws.write_datetime
        self._write_blank = ws.write_blank
        self._setup_print(print_title or title)
        if self.columns:
            for index, column in enumerate(self.columns):
                self._widths[index] = column.width
                ws.set_column_pixels(
                    index, index, _pixels(column.width), None, {"hidden": True} if column.hidden else None
                )
            if freeze:
                ws.freeze_panes(header_row, 0)
            if autofilter:
                self._filter_header = header_row  # the filter's area is set at ``close_filter``
            ws.repeat_rows(header_row - 1)

    def _setup_print(self, title: str):
        ws = self.ws
        ws.set_landscape()
        ws.set_paper(PAPER_A3)
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.set_margins(left=0.4, right=0.4, top=1, bottom=1)
        text = clean_text(title)[:HEADER_MAX_CHARS].replace("&", "&&")
        ws.set_header(f'&C&"{FONT_NAME},Bold"{text}', margin=0.5)
        ws.set_footer("&C第 &P 页，共 &N 页", margin=0.5)

    def widths(self, widths: list[float]):
        """Set the first columns' widths (a sheet without ``Column``s, such as 汇总)."""
        for index, width in enumerate(widths):
            self._widths[index] = width
            self.ws.set_column_pixels(index, index, _pixels(width))

    def cell(
        self, value, kind: str = "text", *, bold: bool = False, fill=None, alignment=None, title=False
    ) -> tuple:
        """A styled cell for ``value`` shown as ``kind`` (see ``Column``): (writer, value, format).

        ``alignment``: "wrap", "center" or "header" instead of the kind's; ``fill``: an RGB
        colour; ``title``: the large bold font of a sheet's title.
        """
        number_format, quote = "General", False
        if value is None or value == "":
            write, value, align = self._write_blank, None, "wrap"
        elif isinstance(value, datetime.date) and kind == "date":
            value = value.date() if isinstance(value, datetime.datetime) else value
            write, number_format, align = self._write_date, DATE_FORMAT, "center"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            write, number_format, align = (
                self._write_number,
                NUMBER_FORMATS.get(kind, INTEGER_FORMAT),
                "center",
            )
        else:
            write, value = self._write_text, clean_text(value)
            quote = needs_escape(value)
            align = "wrap" if kind == "text" else "center"
        font = "title" if title else "bold" if bold else "plain"
        return write, value, self._formats[(alignment or align, number_format, font, fill, quote)]

    def header(self, headers: list[str] | None = None):
        self.append_cells(
            [
                self.cell(text, bold=True, fill=HEADER_FILL, alignment="header")
                for text in headers or [c.header for c in self.columns]
            ],
            count=False,
        )

    def row(self, values, kinds: list[str] | None = None, *, bold: bool = False):
        kinds = kinds or self.kinds or ["text"] * len(values)
        self.append_cells([self.cell(value, kind, bold=bold) for value, kind in zip(values, kinds)])

    def level_cell(self, level: str, label: str) -> tuple:
        """A 预警 cell: the level's label (红/黄/绿) on its colour."""
        return self.cell(label, "center", fill=LEVEL_FILLS.get(level))

    def append_cells(self, cells, *, count: bool = True):
        row = self.next_row
        for column, (write, value, fmt) in enumerate(cells):
            write(row, column, value, fmt)
        self.next_row += 1
        if count:
            self.rows_written += 1

    def blank(self):
        self.next_row += 1

    def spanning_row(self, cells, *, first: int, last: int, font_size: float = 10):
        """Write ``cells`` with the one in column ``first`` merged over the columns up to ``last``
        (1-based), its text wrapped and the row tall enough for it, so neither Excel nor LibreOffice
        cuts it or shows "###". The height is estimated from the text (CJK characters count double)
        because neither program re-measures a written row's wrapped text on opening."""
        row = self.next_row
        value = cells[first - 1][1]
        text = "" if value is None else str(value)
        width = sum(self._widths.get(index, DEFAULT_WIDTH) for index in range(first - 1, last))
        lines = max(
            1, sum(-(-display_width(part, font_size) // max(width - 1, 1)) or 1 for part in text.split("\n"))
        )
        self.ws.set_row(row, lines * font_size * 1.45 + 4)  # before the row's cells: constant-memory mode
        for column, (write, cell_value, fmt) in enumerate(cells):
            if column == first - 1 and last > first:
                self.ws.merge_range(row, column, row, last - 1, "" if cell_value is None else cell_value, fmt)
            else:
                write(row, column, cell_value, fmt)
        self.next_row += 1
        self.rows_written += 1

    def close_filter(self, last_row: int):
        """Set the autofilter over the rows written (1-based ``last_row``; before the book closes)."""
        header = self._filter_header
        if header and last_row >= 1 and self.columns:
            self.ws.autofilter(header - 1, 0, max(last_row, header + 1) - 1, len(self.columns) - 1)
