"""The workbooks open in headless LibreOffice: every sheet converts to CSV without error.

CI installs LibreOffice (and conftest stops the run if it is missing there); on a
machine without ``soffice`` these tests are skipped with the reason.
"""

import csv
import datetime
import io
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from reports.bulletin_xlsx import build_bulletin_workbook
from reports.convert import run_soffice
from reports.weekly import write_weekly_workbook
from tasks.models import Assignment
from tasks.services import ledger
from tests.helpers import people
from tests.test_excel_bulletin import DATA

SOFFICE = shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = [
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed"),
    pytest.mark.django_db,
    pytest.mark.cost(1.0),  # LibreOffice, twice for the module
    pytest.mark.usefixtures("module_people"),
]

# CSV, comma, double quote, UTF-8, first line as is, ..., and -1: every sheet to its own file.
CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


@pytest.fixture(scope="module")
def printed(module_people, django_db_blocker, tmp_path_factory) -> Path:
    """The office's weekly workbook (with a report whose text looks like a formula) and the October
    bulletin's, converted by LibreOffice (``reports.convert.run_soffice``) to CSV, every sheet, and to
    PDF: one run per target for both workbooks, two LibreOffice starts for the module instead of four."""
    folder = tmp_path_factory.mktemp("libreoffice")
    with django_db_blocker.unblock():
        office, liaison = people("olga", "alice")
        task3 = Assignment.objects.get(task__number=3, unit__name="晋中市")
        ledger.submit_report(task3.pk, actor=liaison, week="2017-W36", text="=1+1", percent=65)
        with open(folder / "weekly.xlsx", "wb") as stream:
            write_weekly_workbook(stream, week="2017-W36", user=office, today=datetime.date(2017, 9, 6))
    (folder / "bulletin.xlsx").write_bytes(
        build_bulletin_workbook(SimpleNamespace(month="2017-10", data=DATA))
    )
    sources = [folder / "weekly.xlsx", folder / "bulletin.xlsx"]
    run_soffice(sources, CSV_ALL_SHEETS, folder / "csv", profile=folder / "csv-profile")
    run_soffice(sources, "pdf", folder / "pdf", profile=folder / "pdf-profile")
    return folder


def sheets_of(printed: Path, name: str) -> dict[str, list[list[str]]]:
    """The CSV rows of each sheet of ``name``.xlsx as LibreOffice wrote them, by sheet name."""
    sheets = {
        file.stem.removeprefix(name + "-"): list(csv.reader(io.StringIO(file.read_text(encoding="utf-8"))))
        for file in sorted((printed / "csv").glob(f"{name}-*.csv"))
    }
    assert sheets, "LibreOffice wrote nothing"
    return sheets


def test_the_weekly_workbook_converts_in_libreoffice_with_text_kept_as_text(printed):
    sheets = sheets_of(printed, "weekly")

    assert set(sheets) == {"汇总", "整改台账", "逾期清单", "未报送单位", "领导批示"}
    ledger_sheet = sheets["整改台账"]
    assert ledger_sheet[0][:3] == ["序号", "问题类别", "督察反馈问题"]
    assert len(ledger_sheet) == 1 + 215
    row = next(r for r in ledger_sheet[1:] if r[0] == "3" and r[5] == "晋中市")
    assert row[8] == "=1+1"  # shown as text, not computed to 2
    assert row[10] == "65%"  # 65 with the format 0"%"
    assert row[7] == "2017-12-31"  # a real date in yyyy-mm-dd
    assert sheets["汇总"][1][:4] == ["统计周期", "2017-09-04", "至", "2017-09-10"]


def test_the_bulletin_workbook_converts_in_libreoffice(printed):
    sheets = sheets_of(printed, "bulletin")

    assert sheets["单位排名"][1][:2] == ["1", "晋中市"]
    assert sheets["单位排名"][1][-1] == "75.0%"
    assert sheets["未报送情况"][1][0] == '=HYPERLINK("http://evil")'


def pdf_text(printed: Path, name: str) -> str:
    """``name``.xlsx as LibreOffice printed it to PDF, read back by pdftotext."""
    result = subprocess.run(
        ["pdftotext", "-layout", str(printed / "pdf" / f"{name}.pdf"), "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_weekly_cover_prints_its_period_and_notes_whole(printed):
    cover = pdf_text(printed, "weekly").split("\f")[0]

    assert "###" not in cover
    assert "2017-09-04" in cover and "2017-09-10" in cover
    from reports.weekly import INSTRUCTIONS

    assert squeezed(INSTRUCTIONS) in squeezed(cover)  # the long note wraps inside its merged cells


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_bulletin_title_prints_whole(printed):
    text = pdf_text(printed, "bulletin")

    lines = [line for line in text.split("\f")[0].splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "中央" in line)
    # the title spans the sheet's columns (merged, wrapped): two lines at most, not a narrow column's five
    assert "中央环保督察反馈问题整改情况月通报（2017-10）" in squeezed("".join(lines[start : start + 2]))
    assert "###" not in text
