"""导入整改方案 page: the office uploads a plan list, sees the dry run, confirms with a one-time token."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.models import AuditEntry, Measure, Plan, Task, Unit
from tasks.plan_sources.columns import TEMPLATE_HEADERS
from tests.plan_files import make_docx, make_xlsx, table_rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]
URL, CONFIRM, TEMPLATE = "/plans/import/", "/plans/import/confirm/", "/plans/template.xlsx"
TITLE = "回头看整改任务清单"


def counts():
    return tuple(m.objects.count() for m in (Plan, Task, Measure, Unit, AuditEntry))


def small_rows(n=5):
    """A small plan naming no persons, one of its units new."""
    rows = []
    for i, row in enumerate(list(table_rows())[:n], 1):
        row = list(row)
        row[0], row[7] = i, ""
        rows.append(row)
    rows[-1][5] = "省生态环境厅"
    return rows


def upload(client, data, name="清单.xlsx", **extra):
    return client.post(URL, {"file": SimpleUploadedFile(name, data), **extra})


def token_of(response):
    form = response.context["confirm_form"]
    return {k: form.initial[k] for k in ("token", "filename")} | {"year": form.initial["year"] or ""}


def test_the_office_sees_the_form_and_downloads_the_template(client, office):
    client.force_login(office)
    page = client.get(URL)
    assert page.status_code == 200 and "整改任务清单模板" in page.content.decode()
    response = client.get(TEMPLATE)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book["整改任务清单"][1]] == list(TEMPLATE_HEADERS)
    assert "填写说明" in book.sheetnames


@pytest.mark.parametrize("who", ["liaison", "unit_leader", "leader"])
def test_only_the_office_may_open_upload_or_confirm(client, request, who):
    client.force_login(request.getfixturevalue(who))
    before = counts()
    assert client.get(URL).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert upload(client, make_xlsx(small_rows(), title=TITLE)).status_code == 403
    assert client.post(CONFIRM, {"token": "0" * 64, "filename": "a.xlsx"}).status_code == 403
    assert counts() == before


def test_signed_out_goes_to_the_login_page(client, plan):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_preview_shows_every_task_as_it_will_be_stored_and_writes_nothing(client, office):
    client.force_login(office)
    before = counts()
    response = upload(client, make_xlsx(small_rows(), title=TITLE))
    assert response.status_code == 200
    page = response.content.decode()
    preview = response.context["preview"]
    assert [t.number for t in preview.plan.tasks] == [1, 2, 3, 4, 5]
    assert preview.new_units == {"省生态环境厅"} and preview.existing_plan is None
    assert '省生态环境厅 <span class="status">新</span>' in page and "晋中市" in page
    assert "2017-12-31" in page and "限期完成" in page and "确认导入" in page
    assert counts() == before


def test_confirming_imports_once_audited_as_the_office(client, office):
    client.force_login(office)
    before = counts()
    fields = token_of(upload(client, make_xlsx(small_rows(), title=TITLE)))

    response = client.post(CONFIRM, fields, follow=True)

    plan = Plan.objects.get(title=TITLE)
    assert "已导入" in response.content.decode()
    assert plan.tasks.count() == 5 and not plan.tasks.filter(officials__isnull=False).exists()
    assert Unit.objects.filter(name="省生态环境厅", kind="department").exists()
    entry = AuditEntry.objects.get(action="import_plan", object_id=str(plan.pk), model="tasks.plan")
    assert entry.actor == office and entry.after["source_file"] == "清单.xlsx"
    again = counts()
    reused = client.post(CONFIRM, fields)
    assert reused.status_code == 400 and "预览已失效" in reused.content.decode()
    assert counts() == again and again[0] == before[0] + 1


def test_a_token_works_only_for_the_user_who_previewed(client, office, make_user):
    client.force_login(office)
    fields = token_of(upload(client, make_xlsx(small_rows(), title=TITLE)))
    client.force_login(make_user("office2", "office"))
    before = counts()
    response = client.post(CONFIRM, fields)
    assert response.status_code == 400 and "预览已失效或不属于您" in response.content.decode()
    assert counts() == before


def test_a_word_table_previews_like_the_workbook(client, office):
    client.force_login(office)
    response = upload(client, make_docx(small_rows(), title=TITLE), name="清单.docx")
    assert response.status_code == 200 and len(response.context["preview"].plan.tasks) == 5


def bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return buf.getvalue()


@pytest.mark.parametrize(
    "data, name, needle",
    [
        (b"just some text, not a workbook", "清单.xlsx", "不是有效的 Excel"),
        (None, "bomb.xlsx", "解压后达 60 MB"),
        (b"MZ\x90\x00", "清单.exe", "请上传 Excel（.xlsx）、Word（.docx）或文本（.txt）"),
        (b"", "清单.xlsx", "文件是空的"),
    ],
    ids=["not-a-workbook", "zip-bomb", "wrong-kind", "empty"],
)
def test_a_file_that_cannot_be_read_is_refused_in_chinese(client, office, data, name, needle):
    client.force_login(office)
    before = counts()
    response = upload(client, bomb() if data is None else data, name=name)
    assert response.status_code == 400 and needle in response.content.decode()
    assert counts() == before


def test_an_over_size_file_is_refused(client, office, settings):
    settings.PLAN_UPLOAD_MAX_BYTES = 10_000
    client.force_login(office)
    data = make_xlsx(title=TITLE)
    response = upload(client, data)
    assert response.status_code == 400
    assert f"文件大小 {round(len(data) / 1024)} KB，超过 10 KB 的上限" in response.content.decode()


def test_a_bad_cell_is_refused_at_its_place_and_nothing_is_staged(client, office, settings):
    rows = small_rows()
    rows[2][8] = "2017 年 13 月底前"
    client.force_login(office)
    response = upload(client, make_xlsx(rows, title=TITLE))
    assert response.status_code == 400
    assert (
        "工作表“整改任务清单”第 5 行 I 列（整改时限）：日期“2017 年 13 月底”不存在"
        in response.content.decode()
    )
    assert not (settings.MEDIA_ROOT / "plan-uploads").exists()


def test_a_bad_year_is_a_form_error(client, office):
    client.force_login(office)
    response = upload(client, make_xlsx(small_rows(), title=TITLE), year="17")
    assert response.status_code == 400 and "年份应在 2000–2100 之间" in response.content.decode()


def test_the_preview_runs_the_same_queries_for_5_and_60_tasks(client, office, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(office)
    sizes = []
    for n in (5, 60):
        rows = [list(r) for r in table_rows()][:n]
        with CaptureQueriesContext(connection) as ctx:
            assert upload(client, make_xlsx(rows, title=TITLE)).status_code == 200
        sizes.append(len(ctx.captured_queries))
    # session, user, role, the province's units, the preview's units, a plan of that title
    assert sizes[0] == sizes[1] <= 8
