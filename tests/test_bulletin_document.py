"""The monthly bulletin as a 通报: its page for the office, the 正文 it edits, the 文号 publishing gives,
the .docx read back with python-docx and its PDF read back as text (LibreOffice, pdftotext)."""

import io
import re
import shutil
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from accountability.models import ListedSupervision, Summons
from dispatch.bulletin import make_bulletin, publish_bulletin
from dispatch.models import Bulletin
from reports.bulletin_docx import BODY_FONT, build_bulletin_docx, unit_rows
from reports.convert import convert
from tasks.models import Assignment, AuditEntry, Unit
from tests.helpers import client_for, on, people
from tests.test_web_downloads import october_published

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

NOVEMBER_TITLE = "关于2017年11月中央环保督察反馈问题整改进展情况的通报"
SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


@pytest.fixture(scope="module")
def bulletins(module_db, module_people, django_db_blocker):
    """October 2017 published (``october_published``: its 文号 〔2017〕1号, a sign-off of a public task and
    one kept out of 信息公开); November a draft with an overdue row, a listed supervision and a summons.
    Built once for the module (``module_db``): each test reads or changes it in its own savepoint."""
    with django_db_blocker.unblock():
        return _november_draft(october_published())


def _november_draft(scene: dict) -> dict:
    [office] = people("olga")
    late = Assignment.objects.filter(unit__name="临汾市").order_by("task__number").first()
    with on("2017-11-10"):
        ListedSupervision.objects.create(
            assignment=late, reason="进展滞后", deadline="2017-12-31", listed_by=office
        )
        Summons.objects.create(
            unit=Unit.objects.get(name="临汾市"),
            held_on="2017-11-09",
            attendees="李四 副市长",
            reason="整改滞后",
            created_by=office,
        )
    with on("2017-12-01"):
        make_bulletin("2017-11")
    return {**scene, "late": late.task.number}


def docx_text(response) -> tuple[str, list[list[str]]]:
    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables]
    return text, tables


def pdf_text(content: bytes) -> str:
    """The PDF's text with spaces removed (pdftotext spaces out digits among Chinese characters)."""
    if shutil.which("pdftotext"):
        result = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, timeout=60)
        text = result.stdout.decode()
    else:
        text = convert(content, ".pdf", "txt:Text").decode()
    return re.sub(r"\s+", "", text)


def test_the_draft_page_shows_the_document_and_the_office_may_edit_it(bulletins, office):
    body = client_for(office).get("/bulletins/2017-11/").content.decode()

    assert NOVEMBER_TITLE in body and "（文号发布时编定）" in body
    assert '<textarea name="body"' in body and "发布月通报" in body
    # the draft is written from the month's figures: totals, the listing, the summons, a lagging unit
    total = Assignment.objects.count()
    assert f"全省整改台账共 {total} 项" in body
    assert f"本月挂牌督办 1 项：任务{bulletins['late']}（临汾市" in body
    assert "本月约谈 1 次：临汾市（2017年11月9日）" in body
    assert "李四" not in body  # units, never people


def test_leaders_read_the_document_but_units_and_strangers_do_not(bulletins, leader, liaison, unit_leader):
    body = client_for(leader).get("/bulletins/2017-11/").content.decode()
    assert NOVEMBER_TITLE in body and "<textarea" not in body and "发布月通报" not in body
    for user in (liaison, unit_leader):
        assert client_for(user).get("/bulletins/2017-11/").status_code == 403
        assert client_for(user).get("/bulletins/2017-11/docx/").status_code == 403
    assert client_for().get("/bulletins/2017-11/")["Location"].startswith("/login/")
    assert client_for(leader).get("/bulletins/2099-01/").status_code == 404


def test_the_office_edits_the_text_audited_and_a_bad_edit_changes_nothing(bulletins, office, leader):
    client = client_for(office)
    response = client.post(
        "/bulletins/2017-11/", {"body": "一、总体进展\n本月整改总体平稳。", "distribution": "各市人民政府"}
    )
    assert response.status_code == 302
    stored = Bulletin.objects.get(month="2017-11").data["document"]
    assert stored == {"body": "一、总体进展\n本月整改总体平稳。", "distribution": "各市人民政府"}
    entry = AuditEntry.objects.filter(action="edit_bulletin").get()
    assert entry.actor == office and entry.after["body"].endswith("本月整改总体平稳。")

    empty = client.post("/bulletins/2017-11/", {"body": "  ", "distribution": "各市人民政府"})
    assert empty.status_code == 400 and "正文不能为空" in empty.content.decode()
    refused = client_for(leader).post("/bulletins/2017-11/", {"body": "改", "distribution": "x"})
    assert refused.status_code == 403 and "月通报由省督察办发布" in refused.content.decode()
    assert Bulletin.objects.get(month="2017-11").data["document"] == stored
    assert AuditEntry.objects.filter(action="edit_bulletin").count() == 1


def test_publishing_numbers_the_document_for_the_year_and_fixes_its_text(bulletins, office):
    client = client_for(office)
    client.post(
        "/bulletins/2017-11/", {"body": "一、总体进展\n修改后的正文。", "distribution": "各市人民政府"}
    )
    with on("2017-12-02"):
        response = client.post("/bulletins/2017-11/publish/")
    assert response.status_code == 302
    page = client.get("/bulletins/2017-11/").content.decode()
    assert "晋督察办〔2017〕2号" in page and "修改后的正文。" in page and "<textarea" not in page
    entry = AuditEntry.objects.filter(action="publish_bulletin").order_by("-id").first()
    assert entry.after["number"] == "晋督察办〔2017〕2号" and "〔2017〕2号" in entry.note

    again = client.post("/bulletins/2017-11/publish/")
    assert again.status_code == 400 and "该月通报已发布" in again.content.decode()
    late_edit = client.post("/bulletins/2017-11/", {"body": "再改", "distribution": "x"})
    assert late_edit.status_code == 400
    assert Bulletin.objects.get(month="2017-11").data["document"]["body"] == "一、总体进展\n修改后的正文。"
    # a new year starts at 1
    with on("2018-01-01"):
        december, _, _ = make_bulletin("2017-12")
        publish_bulletin(december, office)
    assert "晋督察办〔2018〕1号" in client.get("/bulletins/2017-12/").content.decode()


def test_the_docx_reads_back_as_a_tongbao(bulletins, office):
    text, tables = docx_text(client_for(office).get("/bulletins/2017-10/docx/"))

    assert "关于2017年10月中央环保督察反馈问题整改进展情况的通报" in text
    assert "晋督察办〔2017〕1号" in text
    assert "一、总体进展" in text and "本月经省督察办审核销号" in text
    assert "印发范围：各市人民政府" in text and "2017年11月1日" in text
    header, *units = tables[0]
    assert header[:2] == ["排名", "责任单位"] and "按期完成率" in header
    assert {row[1] for row in units} == set(Assignment.objects.values_list("unit__name", flat=True))


def test_the_public_reads_the_published_document_only(bulletins):
    text, _tables = docx_text(client_for().get("/public/bulletins/2017-10/docx/"))
    assert "晋督察办〔2017〕1号" in text
    assert f"任务{bulletins['shown']}（晋中市）" in text and f"任务{bulletins['hidden']}（" not in text
    people = [n for pair in get_user_model().objects.values_list("username", "first_name") for n in pair if n]
    assert not [name for name in people if name in text]
    for url in (
        "/public/bulletins/2017-11/docx/",
        "/public/bulletins/2017-11/pdf/",
        "/public/bulletins/x/docx/",
    ):
        assert client_for().get(url).status_code == 404
    page = client_for().get("/public/bulletins/2017-10/").content.decode()
    assert (
        'href="/public/bulletins/2017-10/docx/"' in page and 'href="/public/bulletins/2017-10/pdf/"' in page
    )


@needs_soffice
def test_the_pdf_reads_back(bulletins, office):
    response = client_for(office).get("/bulletins/2017-10/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "关于2017年10月中央环保督察反馈问题整改进展情况的通报" in text
    assert "晋督察办〔2017〕1号" in text and "印发范围" in text and "晋中市" in text


def test_without_libreoffice_the_pdf_is_a_chinese_503(bulletins, office, monkeypatch):
    monkeypatch.setattr("reports.convert.soffice", lambda: None)
    response = client_for(office).get("/bulletins/2017-10/pdf/")
    assert response.status_code == 503 and "未安装 LibreOffice" in response.content.decode()


FAKE_SOFFICE = """#!/bin/sh
# writes document.pdf saying whether its profile was there already, and fills the profile
for arg; do
  case "$arg" in -env:UserInstallation=file://*) profile="${arg#-env:UserInstallation=file://}";; esac
  last="$prev"; prev="$arg"
done
outdir="$last"
mkdir -p "$outdir"
if [ -f "$profile/user/registrymodifications.xcu" ]; then echo copied > "$outdir/document.pdf"
else echo fresh > "$outdir/document.pdf"; fi
mkdir -p "$profile/user" && echo settings > "$profile/user/registrymodifications.xcu"
"""


def test_later_conversions_start_from_a_copy_of_the_first_ones_profile(tmp_path, monkeypatch):
    """LibreOffice fills an empty profile on its first start; the process keeps its first good run's
    profile and hands each later run a copy; when the copy is gone, a run fills a new one."""
    from reports import convert as module

    program = tmp_path / "soffice"
    program.write_text(FAKE_SOFFICE)
    program.chmod(0o755)
    monkeypatch.setattr(module, "soffice", lambda: str(program))
    monkeypatch.setattr(module, "_template", None)

    assert module.to_pdf(b"docx") == b"fresh\n"
    template = module._template
    assert (template / "user" / "registrymodifications.xcu").read_text() == "settings\n"
    assert [module.to_pdf(b"docx") for _ in range(2)] == [b"copied\n", b"copied\n"]
    assert module._template == template  # one template per process
    shutil.rmtree(template)
    assert module.to_pdf(b"docx") == b"fresh\n"
    assert module.to_pdf(b"docx") == b"copied\n"
    shutil.rmtree(template.parent, ignore_errors=True)


def _count(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


def test_the_bulletin_page_runs_a_fixed_number_of_queries(bulletins, office, liaison):
    urls = ["/bulletins/2017-11/", "/bulletins/2017-11/docx/"]
    client = client_for(office)
    few = {url: _count(client, url) for url in urls}
    bulletin = Bulletin.objects.get(month="2017-11")
    units = bulletin.data["by_unit"]
    bulletin.data = {**bulletin.data, "by_unit": units * 5, "overdue": bulletin.data["overdue"] * 5}
    bulletin.save()
    late = list(Assignment.objects.filter(unit__name="临汾市").order_by("task__number")[1:6])
    with on("2017-11-12"):
        for a in late:
            ListedSupervision.objects.create(
                assignment=a, reason="滞后", deadline="2017-12-31", listed_by=office
            )
            Summons.objects.create(
                unit=a.unit, held_on="2017-11-11", attendees="某", reason="滞后", created_by=office
            )
    assert {url: _count(client, url) for url in urls} == few


def test_every_row_of_a_long_units_table_keeps_its_text_and_the_tables_font():
    """The later rows of a table are copies of the first one's XML with their own texts: each cell
    still holds its unit's figure in 仿宋 9 pt, centred, and a text with a space at either end, a
    tab or no text at all reads back as it went in."""
    units = [
        {"rank": i, "unit": f"模拟县{i}", "total": i * 3, "on_time_rate": None if i % 2 else i / 400}
        for i in range(1, 301)
    ]
    units[7]["unit"], units[8]["unit"], units[9]["unit"] = " 太谷区 ", "榆次\t区", ""
    content = build_bulletin_docx(
        {
            "title": "通报",
            "issuer": "省整改办",
            "number": "",
            "body": "一、总体情况",
            "distribution": "各市",
            "date": "",
        },
        {"by_unit": units},
    )
    table = Document(io.BytesIO(content)).tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[1:] == unit_rows({"by_unit": units})
    assert [row[1] for row in rows[8:11]] == [" 太谷区 ", "榆次\t区", ""]
    assert rows[300][:3] == ["300", "模拟县300", "900"] and rows[299][7] == "—" and rows[300][7] == "75.0%"
    for row in table.rows[1:]:
        for cell in row.cells:
            paragraph = cell.paragraphs[0]
            assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
            for run in paragraph.runs:
                assert (run.font.name, run.font.size, run.font.bold) == (BODY_FONT, Pt(9), False)
                assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == BODY_FONT
