"""The pages' Excel downloads: the weekly workbook through a page that checks the week, and the bulletin workbooks
(published ones for the public without tasks kept out of 信息公开; drafts and every task for office and leaders)."""

import datetime
import io
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dispatch.bulletin import make_bulletin, publish_bulletin
from dispatch.models import Bulletin, Notification
from tasks.models import Assignment, Task
from tasks.services import ledger
from tests.helpers import client_for, on, people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = ["概况", "分类统计", "单位排名", "逾期清单", "未报送情况", "催办签收", "本月销号", "本月问题反弹"]


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX and "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


def rows(sheet):
    return list(sheet.iter_rows(min_row=2, values_only=True))


# The weekly workbook ---------------------------------------------------------------------------


def test_the_page_downloads_the_weekly_workbook_of_the_users_own_unit(liaison):
    response = client_for(liaison).get("/ledger/weekly.xlsx?week=2017-W40")

    assert "整改台账周报-2017-W40" in unquote(response["Content-Disposition"])
    sheet = workbook(response)["整改台账"]
    header = next(sheet.iter_rows(max_row=1, values_only=True))
    units = {row[header.index("责任单位")] for row in rows(sheet)}
    assert units == {"晋中市"}
    assert len(rows(sheet)) == Assignment.objects.filter(unit__name="晋中市").count()


@pytest.mark.parametrize(
    "week, message",
    [
        ("bad", "报送周“bad”格式不正确，应为如 2017-W36 的 ISO 周"),
        ("2017-W54", "报送周“2017-W54”不存在：2017 年没有第 54 周"),
        ("", "请填写报送周，如 2017-W36"),
    ],
)
def test_a_bad_week_is_a_chinese_form_error_on_a_page(office, week, message):
    response = client_for(office).get("/ledger/weekly.xlsx", {"week": week})

    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert message in body and 'role="alert"' in body
    assert f'value="{week}"' in body or not week  # the week the user typed is kept in the box
    assert "Django REST framework" not in body


def test_the_weekly_download_needs_a_sign_in(plan):
    response = client_for().get("/ledger/weekly.xlsx?week=2017-W40")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("page", ["/ledger/", "/desk/"])
def test_the_desk_and_ledger_download_through_the_page(liaison, page):
    body = client_for(liaison).get(page).content.decode()
    assert 'action="/ledger/weekly.xlsx"' in body and "/api/reports/weekly.xlsx" not in body
    assert 'name="week"' in body and " novalidate" in body


# The bulletin workbook -------------------------------------------------------------------------


def sign_off(assignment, liaison, unit_leader, office, day: str):
    with on(day):
        ledger.submit_report(assignment.pk, actor=liaison, week="2017-W41", text="完成整改", percent=100)
        ledger.request_signoff(
            assignment.pk,
            actor=liaison,
            summary="已完成",
            files=[SimpleUploadedFile("验收.pdf", b"%PDF-1.4 x", content_type="application/pdf")],
        )
        ledger.approve(assignment.pk, actor=unit_leader, opinion="属实")
        ledger.approve(assignment.pk, actor=office, opinion="同意销号")


def october_published() -> dict:
    """October 2017's bulletin published (文号 〔2017〕1号) after two sign-offs in 晋中市, the second of a
    task kept out of 信息公开; the people of ``module_people`` named 张伟. The tasks' numbers."""
    liaison, unit_leader, office = people("alice", "bob", "olga")
    get_user_model().objects.filter(username__in=["alice", "bob", "olga", "leo"]).update(first_name="张伟")
    shown, hidden = Assignment.objects.filter(unit__name="晋中市").order_by("task__number")[:2]
    Task.objects.filter(pk=hidden.task_id).update(is_public=False)
    sign_off(shown, liaison, unit_leader, office, "2017-10-18")
    sign_off(hidden, liaison, unit_leader, office, "2017-10-20")
    with on("2017-11-01"):
        october, _, _ = make_bulletin("2017-10")
        publish_bulletin(october, office)
    return {"shown": shown.task.number, "hidden": hidden.task.number}


@pytest.fixture(scope="module")
def bulletins(module_db, module_people, django_db_blocker):
    """October published (``october_published``), November a draft: built once for the module
    (``module_db``), each test reads or changes it in its own savepoint."""
    with django_db_blocker.unblock():
        scene = october_published()
        with on("2017-12-01"):
            make_bulletin("2017-11")
    return scene


def test_the_public_downloads_a_published_bulletins_workbook(bulletins):
    response = client_for().get("/public/bulletins/2017-10/xlsx/")

    assert "整改进展月通报-2017-10.xlsx" in unquote(response["Content-Disposition"])
    book = workbook(response)
    assert book.sheetnames == SHEETS
    figures = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True) if row[0]}
    assert figures["台账总数"] == Assignment.objects.count() and figures["已销号"] == 2
    assert rows(book["本月销号"]) == [(bulletins["shown"], "晋中市", datetime.datetime(2017, 10, 18))]


def test_the_public_workbook_names_nobody(bulletins):
    book = workbook(client_for().get("/public/bulletins/2017-10/xlsx/"))

    text = "\n".join(
        str(value) for sheet in book for row in sheet.iter_rows(values_only=True) for value in row if value
    )
    people = get_user_model().objects.values_list("username", "first_name")
    assert people and not [name for pair in people for name in pair if name and name in text]
    assert book.properties.creator == "整改台账"


def test_the_public_bulletin_page_leaves_out_tasks_kept_out_of_public_disclosure(bulletins):
    body = client_for().get("/public/bulletins/2017-10/").content.decode()

    assert f"任务{bulletins['shown']} · 晋中市" in body and f"任务{bulletins['hidden']} · 晋中市" not in body
    assert 'href="/public/bulletins/2017-10/xlsx/"' in body


@pytest.mark.parametrize(
    "url",
    ["/public/bulletins/2017-11/xlsx/", "/public/bulletins/2017-12/xlsx/", "/public/bulletins/bad/xlsx/"],
)
def test_a_draft_or_missing_bulletin_is_not_public(bulletins, url):
    assert client_for().get(url).status_code == 404


def test_office_and_leaders_download_drafts_and_every_task(bulletins, office, leader):
    for user in (office, leader):
        client = client_for(user)
        october = workbook(client.get("/bulletins/2017-10/xlsx/"))
        assert [row[0] for row in rows(october["本月销号"])] == [bulletins["shown"], bulletins["hidden"]]
        november = workbook(client.get("/bulletins/2017-11/xlsx/"))
        assert november.sheetnames == SHEETS
        assert client.get("/bulletins/2017-12/xlsx/").status_code == 404


def test_units_may_not_download_the_offices_copy(bulletins, liaison, unit_leader):
    for user in (liaison, unit_leader):
        assert client_for(user).get("/bulletins/2017-10/xlsx/").status_code == 403
    assert client_for().get("/bulletins/2017-10/xlsx/")["Location"].startswith("/login/")


def test_the_public_page_links_only_published_workbooks(bulletins):
    body = client_for().get("/public/").content.decode()
    assert 'href="/public/bulletins/2017-10/xlsx/"' in body and "/public/bulletins/2017-11/" not in body


def test_the_dashboard_lists_drafts_and_published_bulletins_with_their_workbooks(bulletins, office):
    body = client_for(office).get("/dashboard/").content.decode()
    assert 'href="/bulletins/2017-10/xlsx/"' in body and 'href="/bulletins/2017-11/xlsx/"' in body
    assert "草稿，待发布" in body


def test_the_offices_bulletin_messages_link_the_workbook(bulletins, office, liaison):
    assert Notification.objects.filter(user=office, kind="bulletin", period="2017-11").exists()
    body = client_for(office).get("/inbox/").content.decode()
    assert 'href="/bulletins/2017-11/xlsx/"' in body and 'href="/bulletins/2017-10/xlsx/"' in body
    Notification.objects.create(
        user=liaison, kind="bulletin", job="x", period="2017-10", subject="月通报", body="正文"
    )
    assert "/bulletins/2017-10/xlsx/" not in client_for(liaison).get("/inbox/").content.decode()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


def test_the_bulletin_downloads_run_a_fixed_number_of_queries(bulletins, office):
    urls = {
        "/public/bulletins/2017-10/xlsx/": client_for(),
        "/public/bulletins/2017-10/": client_for(),
        "/bulletins/2017-10/xlsx/": client_for(office),
    }
    few = {url: count_queries(client, url) for url, client in urls.items()}
    bulletin = Bulletin.objects.get(month="2017-10")
    many = [{"task_number": n, "unit": "晋中市", "at": "2017-10-20"} for n in range(1, 61)]
    bulletin.data = {**bulletin.data, "newly_signed_off": many, "newly_reopened": many, "overdue": many}
    bulletin.save()
    Task.objects.filter(number__lte=30).update(is_public=False)

    assert {url: count_queries(client, url) for url, client in urls.items()} == few
    # The public workbook: the bulletin, the tasks kept out of 信息公开, its publish entry (the audit code).
    # The office's: session, user, role, bulletin, its publish entry.
    assert few["/public/bulletins/2017-10/xlsx/"] == 3 and few["/bulletins/2017-10/xlsx/"] == 5
    public = workbook(client_for().get("/public/bulletins/2017-10/xlsx/"))
    assert [row[0] for row in rows(public["本月销号"])] == list(range(31, 61))
