"""The monthly bulletin (月通报) as a Word document in the form of a government 通报.

Built from the document's fields (``dispatch.document.document_of``: title, 文号, 正文, issuer,
date, 印发范围) and the figures' ``by_unit`` (the table of units), nothing else. The layout
follows the usual form of an official document (GB/T 9704): A4, the issuer's mark in red over
the 文号 and a red rule, the title in 小标宋 二号, the 正文 in 仿宋 三号 with headings
(一、二、…) in 黑体, the issuer and date at the foot, the units' table as 附件, and the
印发范围 between two rules at the end (版记). The fonts are named for Word and LibreOffice,
which substitute what a machine does not have.
"""

import copy
import io
import re

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

RED = RGBColor(0xD0, 0x00, 0x00)
TITLE_FONT, BODY_FONT, HEADING_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体"
HEADING = re.compile(r"^[一二三四五六七八九十]+、")
UNIT_COLUMNS = (
    "排名",
    "责任单位",
    "台账数",
    "已销号",
    "按计划推进",
    "逾期",
    "问题反弹",
    "按期完成率",
    "按期报送率",
    "本月催办",
)


def _font(run, name: str, size: float, *, bold=False, color=None):
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _paragraph(doc, text="", *, font=BODY_FONT, size=16, align=None, bold=False, color=None, indent=False):
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(28)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    if text:
        _font(paragraph.add_run(text), font, size, bold=bold, color=color)
    return paragraph


def _rule(paragraph, color="D00000", where="bottom", size=12):
    """A line under (or over) a paragraph: the red rule under the 文号, the 版记's black rules."""
    borders = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{where}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), color)
    borders.append(line)
    paragraph._p.get_or_add_pPr().append(borders)


def _percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def unit_rows(data: dict) -> list[list[str]]:
    """The units' table: one row per unit in ranking order (unranked last, "—")."""
    return [
        [
            "—" if u.get("rank") is None else str(u["rank"]),
            str(u.get("unit", "")),
            str(u.get("total", 0)),
            str(u.get("signed_off", 0)),
            str(u.get("on_track", 0)),
            str(u.get("overdue", 0)),
            str(u.get("reopened", 0)),
            _percent(u.get("on_time_rate")),
            _percent(u.get("reporting_rate")),
            str(u.get("urges", 0)),
        ]
        for u in data.get("by_unit", [])
    ]


SIGNING_COLUMNS = ("责任单位", "本月催办", "本月交办", "本月签收", "逾期未签收", "平均签收用时（小时）")


def signing_rows(data: dict) -> list[list[str]]:
    """The 催办 and 签收 table: the units with an urge or a handover in the month, in ranking order."""
    return [
        [
            str(u.get("unit", "")),
            str(u.get("urges", 0)),
            str(u.get("handed", 0)),
            str(u.get("acknowledged", 0)),
            str(u.get("unacknowledged_overdue", 0)),
            "—" if u.get("ack_hours") is None else str(u["ack_hours"]),
        ]
        for u in data.get("by_unit", [])
        if u.get("urges") or u.get("handed") or u.get("acknowledged") or u.get("unacknowledged_overdue")
    ]


def _grid(doc, header, rows) -> None:
    """A centred grid: the header row in 黑体, the rows in 仿宋, 9 pt, each cell one run.

    The first row of each kind is built through python-docx; the later body rows are copies of
    the first one's XML with their texts put in (python-docx sets the font of each run through
    four element look-ups, about 5 ms a row: 2 s for the 380 units of a county-scale ledger)."""
    table = doc.add_table(rows=0, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    model = None  # the first full body row's <w:tr>: a run, so one <w:t>, in each cell
    for r, values in enumerate([list(header), *rows]):
        plain = len(values) == len(header) and not any(map(_SPECIAL.search, values))
        if model is not None and plain:
            tr = copy.deepcopy(model)
            for t, value in zip(tr.iter(qn("w:t")), values):
                t.text = value
            table._tbl.append(tr)
            continue
        # one row at a time: ``table.cell(r, c)`` walks the whole table on each call
        row = table.add_row()
        for cell, value in zip(row.cells, values):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(paragraph.add_run(value), HEADING_FONT if r == 0 else BODY_FONT, 9)
        if model is None and r > 0 and plain and all(values):
            model = row._tr
            for t in model.iter(qn("w:t")):
                t.set(qn("xml:space"), "preserve")  # a copy's text may start or end with a space


_SPECIAL = re.compile(r"[\t\n\r]")  # a tab or a line break: python-docx writes them as elements


def build_bulletin_docx(document: dict, data: dict) -> bytes:
    """The .docx bytes of the 通报: ``document`` from ``dispatch.document.document_of``, ``data`` the figures."""
    doc = Document()
    doc.core_properties.title = document["title"]
    doc.core_properties.author = document["issuer"]
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.PORTRAIT
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    _paragraph(doc, document["issuer"], font=TITLE_FONT, size=30, align=WD_ALIGN_PARAGRAPH.CENTER, color=RED)
    number = _paragraph(
        doc, document["number"] or "（文号发布时编定）", size=16, align=WD_ALIGN_PARAGRAPH.CENTER
    )
    _rule(number)
    _paragraph(doc)
    _paragraph(doc, document["title"], font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc)
    _paragraph(doc, f"{document['distribution']}：")
    for line in document["body"].split("\n"):
        line = line.strip()
        if not line:
            continue
        if HEADING.match(line):
            _paragraph(doc, line, font=HEADING_FONT, indent=True)
        else:
            _paragraph(doc, line, indent=True)
    _paragraph(doc)
    _paragraph(doc, "附件：各责任单位整改进展情况表", indent=True)
    _paragraph(doc)
    _paragraph(doc, document["issuer"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, document["date"] or "（发布日期）", align=WD_ALIGN_PARAGRAPH.RIGHT)

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _paragraph(doc, "附件", font=HEADING_FONT)
    _paragraph(doc, "各责任单位整改进展情况表", font=TITLE_FONT, size=18, align=WD_ALIGN_PARAGRAPH.CENTER)
    _grid(doc, UNIT_COLUMNS, unit_rows(data))
    _paragraph(
        doc,
        "注：按期完成率为原定期限在本月底前的任务中按期销号的比例；按期报送率为本月应报周报中按时报送的比例。",
        size=10,
    )
    signing = signing_rows(data)
    if signing:
        _paragraph(doc)
        _paragraph(
            doc, "各责任单位催办与签收情况", font=HEADING_FONT, size=12, align=WD_ALIGN_PARAGRAPH.CENTER
        )
        _grid(doc, SIGNING_COLUMNS, signing)
        _paragraph(
            doc,
            "注：新交办台账、领导批示、问题反弹须由责任单位签收；逾期未签收为月末仍未签收且已超过签收时限的事项。",
            size=10,
        )

    _paragraph(doc)
    imprint = _paragraph(doc, f"印发范围：{document['distribution']}", size=14)
    _rule(imprint, color="000000", where="top", size=8)
    footer = _paragraph(doc, f"{document['issuer']}　　{document['date'] or '（发布日期）'}印发", size=14)
    _rule(footer, color="000000", where="bottom", size=8)

    stream = io.BytesIO()
    doc.save(stream)
    return stream.getvalue()
