"""A liaison's filled-in weekly sheet goes back in: preview, apply, and every refusal located."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from reports import upload
from reports.weekly import COL, write_weekly_workbook
from tasks.models import Assignment, AuditEntry, ProgressReport
from tasks.services import ledger
from tasks.services.errors import InvalidInput
from tests.helpers import people

pytestmark = pytest.mark.usefixtures("module_people")

WEEK = "2017-W36"
URL = "/api/reports/weekly/import/"


def exported(user, week=WEEK):
    stream = io.BytesIO()
    write_weekly_workbook(stream, week=week, user=user, today=datetime.date(2017, 9, 6))
    return load_workbook(io.BytesIO(stream.getvalue()))


def row_of(workbook, task_number, unit="晋中市"):
    for cells in workbook["整改台账"].iter_rows(min_row=2):
        if cells[0].value == task_number and cells[5].value == unit:
            return cells[0].row
    raise AssertionError(f"no row for task {task_number}")


def put(workbook, row, header, value):
    workbook["整改台账"].cell(row=row, column=COL[header], value=value)


def as_file(workbook, name="周报表.xlsx"):
    stream = io.BytesIO()
    workbook.save(stream)
    return SimpleUploadedFile(name, stream.getvalue(), content_type="application/octet-stream")


def send(api, user, file, dry_run=False):
    url = URL + ("?dry_run=1" if dry_run else "")
    return api(user).post(url, {"file": file}, format="multipart")


def ledger_state():
    """Everything an upload could change."""
    return (
        list(
            Assignment.objects.order_by("pk").values_list(
                "pk", "status", "version", "percent", "last_report_week_start"
            )
        ),
        ProgressReport.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture(scope="module")
def downloaded(module_people, django_db_blocker) -> bytes:
    """晋中市's sheet of the week as alice downloads it, written once for the module (its people's
    scene, ``module_people``); each test opens its own copy."""
    with django_db_blocker.unblock():
        [alice] = people("alice")
        stream = io.BytesIO()
        write_weekly_workbook(stream, week=WEEK, user=alice, today=datetime.date(2017, 9, 6))
    return stream.getvalue()


@pytest.fixture
def filled(liaison, downloaded):
    """晋中市's sheet with task 3's row filled in: 本周进展 and 50%."""
    assert liaison.username == "alice"
    workbook = load_workbook(io.BytesIO(downloaded))
    row = row_of(workbook, 3)
    put(workbook, row, "本周进展", "替代锅炉已停运两台")
    put(workbook, row, "完成比例", 50)
    return workbook, row


def test_a_preview_lists_exactly_the_edited_row_and_changes_nothing(api, liaison, filled):
    workbook, row = filled
    before = ledger_state()

    response = send(api, liaison, as_file(workbook), dry_run=True)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["applied"] is False and body["week"] == WEEK
    assert body["rows"] == Assignment.objects.filter(unit__name="晋中市").count()
    [change] = body["changes"]
    assert (change["row"], change["task_number"], change["unit"]) == (row, 3, "晋中市")
    assert (change["percent_before"], change["percent_after"]) == (0, 50)
    assert (change["text_before"], change["text_after"]) == ("", "替代锅炉已停运两台")
    assert ledger_state() == before


def test_applying_files_exactly_that_change_as_a_progress_report(api, liaison, filled):
    workbook, _row = filled
    task3 = Assignment.objects.get(task__number=3, unit__name="晋中市")
    others = [s for s in ledger_state()[0] if s[0] != task3.pk]
    audit_before = AuditEntry.objects.count()

    response = send(api, liaison, as_file(workbook))

    assert response.status_code == 200, response.json()
    assert response.json()["applied"] is True
    report = ProgressReport.objects.get()
    assert (report.assignment_id, report.week, report.text, report.percent, report.author) == (
        task3.pk,
        WEEK,
        "替代锅炉已停运两台",
        50,
        liaison,
    )
    task3.refresh_from_db()
    assert (task3.status, task3.percent, task3.version) == ("in_progress", 50, 2)
    assert task3.last_report_week_start == datetime.date(2017, 9, 4)
    assert [s for s in ledger_state()[0] if s[0] != task3.pk] == others
    actions = list(AuditEntry.objects.filter(pk__gt=0).order_by("id").values_list("action", flat=True))[
        audit_before:
    ]
    assert actions == ["report", "create_report"]


def test_uploading_the_same_sheet_again_changes_nothing(api, liaison, filled):
    workbook, _row = filled
    send(api, liaison, as_file(workbook))
    again = exported(liaison)  # re-downloaded: the report is now part of the sheet
    before = ledger_state()

    response = send(api, liaison, as_file(again))

    assert response.status_code == 200
    assert response.json()["changes"] == []
    assert ledger_state() == before


def test_an_untouched_sheet_has_no_changes(api, liaison):
    response = send(api, liaison, as_file(exported(liaison)), dry_run=True)

    assert response.status_code == 200
    assert response.json()["changes"] == [] and response.json()["unchanged"] > 0


# --- refusals: each names its place and leaves the ledger as it was -----------------------


def refused(api, liaison, file, column=None, row=None, text=""):
    before = ledger_state()
    response = send(api, liaison, file)
    assert response.status_code == 400, response.content
    body = response.json()
    problem = body["problems"][0]
    assert text in problem["message"], body
    if column:
        assert (problem["sheet"], problem["row"], problem["column"]) == ("整改台账", row, column), body
        assert f"工作表“整改台账”第 {row} 行 {column} 列：" in body["detail"]
    assert ledger_state() == before
    return body


def test_a_percentage_out_of_range_is_refused_at_its_cell(api, liaison, filled):
    workbook, row = filled
    put(workbook, row, "完成比例", 120)

    body = refused(api, liaison, as_file(workbook), "K", row, "完成比例 120 超出 0–100")
    assert body["detail"] == f"工作表“整改台账”第 {row} 行 K 列：完成比例 120 超出 0–100"


@pytest.mark.parametrize("value", ["大约一半", 50.5, -1, "²", "-²"])
def test_a_percentage_that_is_not_a_whole_number_in_range_is_refused(api, liaison, filled, value):
    workbook, row = filled
    put(workbook, row, "完成比例", value)

    refused(api, liaison, as_file(workbook), "K", row, "完成比例")


def test_a_row_of_another_unit_is_refused(api, liaison, filled):
    workbook, row = filled
    linfen = Assignment.objects.get(task__number=10, unit__name="临汾市")
    put(workbook, row, "台账编号", linfen.pk)

    refused(api, liaison, as_file(workbook), "F", row, "临汾市的台账，不属于本单位")


def test_an_unknown_row_is_refused(api, liaison, filled):
    workbook, row = filled
    put(workbook, row, "台账编号", 987654)

    refused(api, liaison, as_file(workbook), "P", row, "台账编号 987654 不存在")


def test_a_row_changed_since_download_is_refused_as_stale(api, liaison, filled):
    workbook, row = filled
    task3 = Assignment.objects.get(task__number=3, unit__name="晋中市")
    ledger.submit_report(task3.pk, actor=liaison, week=WEEK, text="网页上先报了", percent=30)

    refused(api, liaison, as_file(workbook), "Q", row, "下载后已被他人更新，请重新下载后填写")


def test_a_stale_but_untouched_row_is_skipped(api, liaison, unit_leader, office, filled):
    workbook, _row = filled
    other = (
        Assignment.objects.filter(unit__name="晋中市", due_date__isnull=False).exclude(task__number=3).first()
    )
    extension = ledger.request_extension(
        other.pk,
        actor=liaison,
        new_due_date=other.effective_due_date + datetime.timedelta(days=200),
        reason="工程量大，年内难以全部完成",
    )
    ledger.decide_extension(extension.pk, actor=unit_leader, approve=True)
    ledger.decide_extension(
        extension.pk, actor=office, approve=True
    )  # bumps the version, not the row's values

    response = send(api, liaison, as_file(workbook), dry_run=True)

    assert Assignment.objects.get(pk=other.pk).version == 2
    assert response.status_code == 200, response.json()
    assert [c["task_number"] for c in response.json()["changes"]] == [3]


def test_a_changed_percentage_without_a_progress_text_is_refused(api, liaison):
    workbook = exported(liaison)
    row = row_of(workbook, 3)
    put(workbook, row, "完成比例", 30)

    refused(api, liaison, as_file(workbook), "I", row, "请填写本周进展")


def test_a_file_that_is_not_a_workbook_is_refused(api, liaison):
    body = refused(
        api, liaison, SimpleUploadedFile("周报表.xlsx", b"%PDF-1.4 not a workbook"), text="不是 Excel 工作簿"
    )
    assert body["problems"][0]["sheet"] is None


def test_a_zip_that_is_not_a_workbook_is_refused(api, liaison):
    import zipfile

    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("hello.txt", "hi")
    refused(api, liaison, SimpleUploadedFile("x.xlsx", stream.getvalue()), text="不是 Excel 工作簿")


def test_a_file_over_the_byte_limit_is_refused(api, liaison, filled, monkeypatch):
    workbook, _row = filled
    monkeypatch.setattr(upload, "MAX_BYTES", 1024)

    refused(api, liaison, as_file(workbook), text="文件过大")


def test_a_sheet_over_the_row_limit_is_refused(api, liaison, filled, monkeypatch):
    workbook, _row = filled
    monkeypatch.setattr(upload, "MAX_ROWS", 3)

    refused(api, liaison, as_file(workbook), text="超过 3 行上限")


def test_a_sheet_with_wrong_headers_is_refused_at_the_header_cell(api, liaison, filled):
    workbook, _row = filled
    workbook["整改台账"]["K1"] = "完成率"

    refused(api, liaison, as_file(workbook), "K", 1, "表头应为“完成比例”，实为“完成率”")


def test_a_workbook_without_the_ledger_sheet_is_refused(api, liaison, filled):
    workbook, _row = filled
    workbook["整改台账"].title = "台账"

    refused(api, liaison, as_file(workbook), text="找不到工作表“整改台账”")


def test_every_problem_is_listed_and_a_good_row_is_not_applied_beside_a_bad_one(api, liaison, filled):
    workbook, row = filled
    other = row + 1  # the unit's next assignment
    put(workbook, other, "完成比例", 101)
    put(workbook, other + 1, "台账编号", "abc")

    body = refused(api, liaison, as_file(workbook), "K", other, "超出 0–100")
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(other, "K"), (other + 1, "P")]


def test_a_refusal_by_the_ledger_midway_rolls_back_the_rows_already_filed(api, liaison, filled, monkeypatch):
    workbook, row = filled
    put(workbook, row + 1, "本周进展", "第二行")
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise InvalidInput("完成比例 50 超出范围", field="percent")
        return ledger.submit_report(*args, **kwargs)

    monkeypatch.setattr(upload, "submit_report", second_fails)

    refused(api, liaison, as_file(workbook), "K", row + 1, "超出范围")
    assert len(calls) == 2


def test_only_a_liaison_applies_but_office_and_leaders_may_preview(
    api, office, leader, unit_leader, liaison, filled
):
    workbook, _row = filled
    before = ledger_state()

    by_office, by_unit_leader = (
        send(api, office, as_file(workbook)),
        send(api, unit_leader, as_file(workbook)),
    )
    assert by_office.status_code == 403 and "您的角色（督察办）只能预览" in by_office.json()["detail"]
    assert (
        by_unit_leader.status_code == 403
        and "您的角色（单位负责人）只能预览" in by_unit_leader.json()["detail"]
    )
    assert "督察办" not in by_unit_leader.json()["detail"]  # names the caller's role, not others'
    preview = send(api, office, as_file(workbook), dry_run=True)
    assert preview.status_code == 200 and len(preview.json()["changes"]) == 1
    assert send(api, leader, as_file(workbook), dry_run=True).status_code == 200
    assert ledger_state() == before


def test_an_upload_without_a_file_is_refused(api, liaison):
    response = api(liaison).post(URL, {}, format="multipart")

    assert response.status_code == 400
    assert "请选择" in response.json()["detail"]


# --- preview, then confirm with the token; the browser's pages ---------------------------


def test_a_preview_token_applies_the_same_file_once(api, liaison, filled):
    workbook, _row = filled
    token = send(api, liaison, as_file(workbook), dry_run=True).json()["token"]

    applied = api(liaison).post(URL, {"token": token}, format="multipart")
    again = api(liaison).post(URL, {"token": token}, format="multipart")

    assert applied.status_code == 200 and applied.json()["applied"] is True
    assert ProgressReport.objects.get().text == "替代锅炉已停运两台"
    assert again.status_code == 400 and "预览已失效" in again.json()["detail"]
    assert ProgressReport.objects.count() == 1


def test_a_token_is_good_only_for_the_user_who_previewed(api, liaison, make_user, filled):
    workbook, _row = filled
    token = send(api, liaison, as_file(workbook), dry_run=True).json()["token"]
    colleague = make_user("ann", "liaison", "晋中市")

    response = api(colleague).post(URL, {"token": token}, format="multipart")

    assert response.status_code == 400 and "预览已失效或不属于您" in response.json()["detail"]
    assert ProgressReport.objects.count() == 0


def test_the_desk_forms_preview_and_confirm_pages(client, liaison, filled):
    workbook, _row = filled
    client.force_login(liaison)

    preview = client.post(URL + "?dry_run=1", {"file": as_file(workbook)}, HTTP_ACCEPT="text/html")
    page = preview.content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    confirmed = client.post(URL, {"token": token}, HTTP_ACCEPT="text/html")

    assert preview.status_code == 200 and "1 行将报送" in page and "确认报送" in page
    assert confirmed.status_code == 200 and "已报送 2017-W36 的进展 1 项" in confirmed.content.decode()
    assert ProgressReport.objects.count() == 1


def test_the_desk_form_shows_every_problem_on_a_page(client, liaison, filled):
    workbook, row = filled
    put(workbook, row, "完成比例", 120)
    client.force_login(liaison)

    response = client.post(URL, {"file": as_file(workbook)}, HTTP_ACCEPT="text/html")

    assert response.status_code == 400
    assert f"工作表“整改台账”第 {row} 行 K 列：完成比例 120 超出 0–100" in response.content.decode()


def test_a_signed_out_browser_goes_to_the_login_page_and_back_to_the_desk(client, filled):
    workbook, _row = filled

    page = client.post(URL, {"file": as_file(workbook)}, HTTP_ACCEPT="text/html")
    api_answer = client.post(URL, {"file": as_file(workbook)}, HTTP_ACCEPT="application/json")

    assert page.status_code == 302 and page["Location"] == "/login/?next=/desk/"
    assert api_answer.status_code == 401 and api_answer.json()["detail"].startswith("请先登录")
    assert ProgressReport.objects.count() == 0


def test_opening_the_upload_address_in_a_browser_leads_to_the_desk(client, liaison):
    client.force_login(liaison)

    page = client.get(URL, HTTP_ACCEPT="text/html")
    api_answer = client.get(URL, HTTP_ACCEPT="application/json")

    assert page.status_code == 302 and page["Location"] == "/desk/"
    assert api_answer.status_code == 405 and api_answer.json()["detail"] == "不支持该请求方法"


def test_a_form_without_its_csrf_token_gets_the_page_expired_explanation(liaison, filled):
    from django.test import Client

    workbook, _row = filled
    client = Client(enforce_csrf_checks=True)
    client.force_login(liaison)

    response = client.post(URL, {"file": as_file(workbook)}, HTTP_ACCEPT="text/html")
    page = response.content.decode()

    assert response.status_code == 403 and "页面已过期，请刷新后重试" in page
    assert "无权访问" not in page and "您的角色无权访问" not in page
    assert 'href="/login/"' not in page and "联络员" in page  # still signed in, as the header says
    assert ProgressReport.objects.count() == 0


def test_a_form_without_a_file_says_so_without_the_field_name(client, api, liaison):
    client.force_login(liaison)

    page = client.post(URL, {}, HTTP_ACCEPT="text/html")
    answer = api(liaison).post(URL, {}, format="multipart")

    assert page.status_code == 400 and "请选择要上传的周报表文件" in page.content.decode()
    assert "字段" not in page.content.decode() and "file" not in page.content.decode().split("<h1>")[1]
    assert answer.status_code == 400 and answer.json()["errors"] == {"file": ["请选择要上传的周报表文件"]}


# --- a week the dispatch froze; the live ledger; every problem at once ---------------------


def test_a_sheet_of_a_week_the_dispatch_froze_is_refused_at_its_week_cell(api, liaison, filled):
    from dispatch.services import freeze_week

    workbook, _row = filled
    first = 2  # the sheet's first ledger row
    freeze_week(WEEK)

    body = refused(api, liaison, as_file(workbook), "R", first, "2017-W36 已于周调度时冻结")
    assert "请下载本周的表格报送" in body["detail"]
    assert send(api, liaison, as_file(workbook), dry_run=True).status_code == 400  # the preview says so too


def test_a_sheet_of_a_week_not_frozen_is_accepted_and_its_export_shows_the_change(api, liaison, filled):
    from dispatch.services import freeze_week
    from reports.models import WeeklySnapshot

    workbook, row = filled
    freeze_week("2017-W35")  # another week frozen does not matter
    assert not WeeklySnapshot.objects.filter(week=WEEK).exists()

    assert send(api, liaison, as_file(workbook)).status_code == 200
    again = exported(liaison)
    sheet = again["整改台账"]

    assert (sheet.cell(row, COL["本周进展"]).value, sheet.cell(row, COL["完成比例"]).value) == (
        "替代锅炉已停运两台",
        50,
    )
    assert (
        send(api, liaison, as_file(workbook), dry_run=True).json()["changes"] == []
    )  # not "changed since download"


def test_an_untouched_sheet_of_a_past_week_has_no_changes_against_the_live_ledger(api, liaison):
    task3 = Assignment.objects.get(task__number=3, unit__name="晋中市")
    ledger.submit_report(task3.pk, actor=liaison, week="2017-W37", text="下一周的进展", percent=70)
    stream = io.BytesIO()
    write_weekly_workbook(stream, week=WEEK, user=liaison, today=datetime.date(2017, 11, 30))  # W36 is past
    workbook = load_workbook(io.BytesIO(stream.getvalue()))

    response = send(api, liaison, as_file(workbook), dry_run=True)

    assert response.status_code == 200, response.json()
    assert response.json()["changes"] == []
    assert (
        workbook["整改台账"].cell(row_of(workbook, 3), COL["版本"]).value == task3.version + 1
    )  # the live version


def test_cell_problems_and_unknown_or_foreign_rows_are_reported_together(api, liaison, filled):
    workbook, row = filled
    linfen = Assignment.objects.get(task__number=10, unit__name="临汾市")
    put(workbook, row, "完成比例", 120)
    put(workbook, row + 1, "台账编号", 987654)
    put(workbook, row + 2, "台账编号", linfen.pk)
    put(workbook, row + 2, "完成比例", "一半")

    body = refused(api, liaison, as_file(workbook), "K", row, "完成比例 120 超出 0–100")

    assert [(p["row"], p["column"]) for p in body["problems"]] == [
        (row, "K"),
        (row + 1, "P"),
        (row + 2, "F"),
        (row + 2, "K"),
    ]
    assert "台账编号 987654 不存在" in body["problems"][1]["message"]
    assert "（共 4 处问题）" in body["detail"]


def test_a_frozen_week_is_reported_beside_the_sheets_other_problems(api, liaison, filled):
    from dispatch.services import freeze_week

    workbook, row = filled
    put(workbook, row, "完成比例", 120)
    freeze_week(WEEK)

    body = refused(api, liaison, as_file(workbook), "R", 2, "已于周调度时冻结")

    assert (row, "K") in [(p["row"], p["column"]) for p in body["problems"]]
