"""The weekly workbook in the admin: the office's download button and the upload check."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from reports.weekly import COL, write_weekly_workbook
from tasks.models import Assignment, AuditEntry, ProgressReport

PAGE = "/admin/reports/weeklyworkbook/"


def rows_of(response):
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(workbook["整改台账"].iter_rows(min_row=2, values_only=True))


def filled_sheet(liaison, percent=50):
    stream = io.BytesIO()
    write_weekly_workbook(stream, week="2017-W36", user=liaison, today=datetime.date(2017, 9, 6))
    workbook = load_workbook(io.BytesIO(stream.getvalue()))
    sheet = workbook["整改台账"]
    sheet.cell(row=2, column=COL["本周进展"], value="已完成排查")
    sheet.cell(row=2, column=COL["完成比例"], value=percent)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("晋中市.xlsx", out.getvalue())


def test_the_admin_index_links_to_the_weekly_workbook_for_the_office(client, office):
    client.force_login(office)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert PAGE in response.content.decode()


def test_the_page_offers_the_download_for_a_week_and_unit(client, office):
    client.force_login(office)

    page = client.get(PAGE).content.decode()

    assert "下载 Excel" in page and 'name="week"' in page and "晋中市" in page


def test_the_download_button_gives_every_units_rows_or_one_units(client, office):
    client.force_login(office)

    everything = client.get(PAGE + "download/", {"week": "2017-W36"})
    one = client.get(PAGE + "download/", {"week": "2017-W36", "unit": "长治市"})

    assert everything.status_code == 200 and len(rows_of(everything)) == Assignment.objects.count()
    assert {row[5] for row in rows_of(one)} == {"长治市"}


def test_a_bad_week_goes_back_to_the_page_with_the_reason(client, office):
    client.force_login(office)

    response = client.get(PAGE + "download/", {"week": "第36周"}, follow=True)

    assert response.redirect_chain[-1][0] == PAGE
    assert "格式不正确" in response.content.decode()


def test_the_office_previews_a_liaisons_sheet_without_changing_anything(client, office, liaison):
    client.force_login(office)
    before = (ProgressReport.objects.count(), AuditEntry.objects.count())

    response = client.post(PAGE + "check/", {"file": filled_sheet(liaison)})

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 行有变化" in page and "0% → 50%" in page and "已完成排查" in page
    assert (ProgressReport.objects.count(), AuditEntry.objects.count()) == before


def test_a_bad_sheet_lists_its_problems_with_their_places(client, office, liaison):
    client.force_login(office)

    response = client.post(PAGE + "check/", {"file": filled_sheet(liaison, percent=120)})

    assert response.status_code == 400
    assert "工作表“整改台账”第 2 行 K 列：完成比例 120 超出 0–100" in response.content.decode()


def test_people_outside_the_admin_cannot_reach_the_page(client, liaison):
    client.force_login(liaison)

    response = client.get(PAGE + "download/", {"week": "2017-W36"})

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
