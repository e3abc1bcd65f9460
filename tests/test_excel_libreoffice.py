"""The workbooks open in headless LibreOffice: every sheet converts to CSV without error.

CI installs LibreOffice (and conftest stops the run if it is missing there); on a
machine without ``soffice`` these tests are skipped with the reason.
"""

import csv
import datetime
import io
import shutil
import subprocess
from types import SimpleNamespace

import pytest

from reports.bulletin_xlsx import build_bulletin_workbook
from reports.convert import run_soffice
from reports.weekly import write_weekly_workbook
from tasks.models import Assignment
from tasks.services import ledger
from tests.test_excel_bulletin import DATA

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

# CSV, comma, double quote, UTF-8, first line as is, ..., and -1: every sheet to its own file.
CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


def convert(path, tmp_path) -> dict[str, list[list[str]]]:
    """Run LibreOffice on the workbook (``reports.convert``); the CSV rows of each sheet, by sheet name."""
    out = tmp_path / "out"
    run_soffice(path, CSV_ALL_SHEETS, out, profile=tmp_path / "profile")
    sheets = {}
    for file in sorted(out.glob("*.csv")):
        name = file.stem.removeprefix(path.stem + "-")
        sheets[name] = list(csv.reader(io.StringIO(file.read_text(encoding="utf-8"))))
    assert sheets, "LibreOffice wrote nothing"
    return sheets


def test_the_weekly_workbook_converts_in_libreoffice_with_text_kept_as_text(office, liaison, tmp_path):
    task3 = Assignment.objects.get(task__number=3, unit__name="晋中市")
    ledger.submit_report(task3.pk, actor=liaison, week="2017-W36", text="=1+1", percent=65)
    path = tmp_path / "weekly.xlsx"
    with open(path, "wb") as stream:
        write_weekly_workbook(stream, week="2017-W36", user=office, today=datetime.date(2017, 9, 6))

    sheets = convert(path, tmp_path)

    assert set(sheets) == {"汇总", "整改台账", "逾期清单", "未报送单位", "领导批示"}
    ledger_sheet = sheets["整改台账"]
    assert ledger_sheet[0][:3] == ["序号", "问题类别", "督察反馈问题"]
    assert len(ledger_sheet) == 1 + 215
    row = next(r for r in ledger_sheet[1:] if r[0] == "3" and r[5] == "晋中市")
    assert row[8] == "=1+1"  # shown as text, not computed to 2
    assert row[10] == "65%"  # 65 with the format 0"%"
    assert row[7] == "2017-12-31"  # a real date in yyyy-mm-dd
    assert sheets["汇总"][1][:4] == ["统计周期", "2017-09-04", "至", "2017-09-10"]


def test_the_bulletin_workbook_converts_in_libreoffice(tmp_path):
    path = tmp_path / "bulletin.xlsx"
    path.write_bytes(build_bulletin_workbook(SimpleNamespace(month="2017-10", data=DATA)))

    sheets = convert(path, tmp_path)

    assert sheets["单位排名"][1][:2] == ["1", "晋中市"]
    assert sheets["单位排名"][1][-1] == "75.0%"
    assert sheets["未报送情况"][1][0] == '=HYPERLINK("http://evil")'


def pdf_text(content: bytes, tmp_path) -> str:
    """The workbook printed to PDF by LibreOffice (``reports.convert``), read back by pdftotext."""
    from reports.convert import to_pdf

    pdf = tmp_path / "printed.pdf"
    pdf.write_bytes(to_pdf(content, ".xlsx"))
    result = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_weekly_cover_prints_its_period_and_notes_whole(office, tmp_path):
    stream = io.BytesIO()
    write_weekly_workbook(stream, week="2017-W36", user=office, today=datetime.date(2017, 9, 6))

    cover = pdf_text(stream.getvalue(), tmp_path).split("\f")[0]

    assert "###" not in cover
    assert "2017-09-04" in cover and "2017-09-10" in cover
    from reports.weekly import INSTRUCTIONS

    assert squeezed(INSTRUCTIONS) in squeezed(cover)  # the long note wraps inside its merged cells


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_bulletin_title_prints_whole(tmp_path):
    text = pdf_text(build_bulletin_workbook(SimpleNamespace(month="2017-10", data=DATA)), tmp_path)

    lines = [line for line in text.split("\f")[0].splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "中央" in line)
    # the title spans the sheet's columns (merged, wrapped): two lines at most, not a narrow column's five
    assert "中央环保督察反馈问题整改情况月通报（2017-10）" in squeezed("".join(lines[start : start + 2]))
    assert "###" not in text
