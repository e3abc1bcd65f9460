"""Every table downloads as Excel with the filters and sort on the screen (``?export=xlsx``).

The file is re-opened with openpyxl and compared with what the page lists; a text that looks
like a formula stays text; a unit's user exports only their unit; a bad filter is the page's
Chinese 400, no file.
"""

import io

import pytest
from openpyxl import load_workbook

from tasks import clock
from tasks.models import Assignment
from tasks.services import ledger
from tests.helpers import client_for, row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def table(sheet):
    """The sheet's caption line, its header and its rows (as tuples of values)."""
    rows = list(sheet.iter_rows(values_only=True))
    return rows[0][0], rows[1], rows[2:]


def shown(response):
    """The (task, unit) pairs a ledger page lists, in its order."""
    return [(a.task.number, a.unit.name) for a in response.context["page"].object_list]


def test_the_ledger_export_is_the_filtered_sorted_screen_every_page(office):
    client = client_for(office)
    query = "q=煤&sort=-percent&overdue="
    page = client.get(f"/ledger/?{query}")
    total = page.context["page"].paginator.count
    assert total > 0

    caption, header, rows = table(workbook(client.get(f"/ledger/?{query}&export=xlsx&page=2"))["整改台账"])

    assert "搜索" in caption or "煤" in caption
    assert header[:2] == ("任务", "类别") and "责任单位" in header
    unit_at = header.index("责任单位")
    assert len(rows) == total  # every row, not the page of fifty
    assert [(r[0], r[unit_at]) for r in rows][: len(shown(page))] == shown(page)


def test_a_unit_filter_exports_that_unit_only(office):
    client = client_for(office)
    unit = row(17).unit
    _, header, rows = table(workbook(client.get(f"/ledger/?unit={unit.pk}&export=xlsx")).active)
    names = {r[header.index("责任单位")] for r in rows}
    assert names == {"晋中市"} and len(rows) == Assignment.objects.filter(unit=unit).count()


def test_a_liaison_exports_their_own_unit_only(liaison):
    _, header, rows = table(workbook(client_for(liaison).get("/ledger/?export=xlsx")).active)
    assert {r[header.index("责任单位")] for r in rows} == {"晋中市"}


def test_a_bad_filter_is_the_pages_400_not_a_file(office):
    response = client_for(office).get("/ledger/?status=nonsense&export=xlsx")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")


def test_formula_like_text_stays_text(liaison, unit_leader, office, evidence_pdf):
    target = row(17)
    ledger.submit_report(target.pk, actor=liaison, week="2017-W48", text="推进", percent=100)
    ledger.request_signoff(
        target.pk, actor=liaison, summary='=HYPERLINK("http://x","点我")', files=[evidence_pdf()]
    )

    book = workbook(client_for(unit_leader).get("/queue/?export=xlsx"))
    sheet = book["待审核"]
    _, header, rows = table(sheet)
    at = header.index("整改情况说明")
    assert rows[0][at] == '=HYPERLINK("http://x","点我")'
    cell = sheet.cell(row=3, column=at + 1)
    assert cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize(
    ("who", "url", "sheets"),
    [
        ("office", "/queue/?export=xlsx", ["待审核", "延期申请", "已销号"]),
        ("office", "/reviews/?export=xlsx", ["待回头看", "未安排"]),
        ("office", "/supervision/?export=xlsx", ["挂牌督办", "近期摘牌", "约谈", "移交问责"]),
        ("liaison", "/supervision/?export=xlsx", ["挂牌督办", "近期摘牌", "约谈", "移交问责"]),
        ("liaison", "/inbox/?export=xlsx", ["收件箱"]),
        ("office", "/deliveries/?export=xlsx", ["投递记录"]),
        (
            "leader",
            "/dashboard/?export=xlsx",
            ["按问题类别", "按责任单位", "各单位统计", "排名变化", "催办", "签收", "逾期台账"],
        ),
    ],
)
def test_every_table_page_exports_its_tables(request, who, url, sheets):
    book = workbook(client_for(request.getfixturevalue(who)).get(url))
    assert book.sheetnames == sheets


def test_the_dashboard_export_holds_the_pages_figures(office):
    client = client_for(office)
    page = client.get("/dashboard/")
    _, header, rows = table(workbook(client.get("/dashboard/?export=xlsx"))["按责任单位"])
    assert header[:3] == ("责任单位", "台账", "已销号")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (u["name"], u["total"], u["signed_off"]) for u in page.context["by_unit"]
    ]
    _, header, rows = table(workbook(client.get("/dashboard/?export=xlsx"))["各单位统计"])
    at = header.index("按期报送率")
    assert [(r[0], r[1], r[at]) for r in rows] == [
        (u["name"], u["total"], u["rate"]) for u in page.context["units"]
    ]


def test_the_inbox_export_follows_the_unread_filter(liaison, office):
    from dispatch.models import Notification

    for n in range(3):
        Notification.objects.create(
            user=liaison, kind="report_chaser", job="t", period=str(n), subject=f"消息{n}", body="b"
        )
    Notification.objects.filter(user=liaison, period="0").update(read_at=clock.now())
    _, header, rows = table(workbook(client_for(liaison).get("/inbox/?unread=true&export=xlsx")).active)
    assert sorted(r[header.index("标题")] for r in rows) == ["消息1", "消息2"]


def test_the_pages_offer_the_export_with_their_query(office):
    page = client_for(office).get("/ledger/?q=煤&page=2").content.decode()
    assert 'href="/ledger/?q=%E7%85%A4&amp;export=xlsx"' in page
    for url in ("/queue/", "/reviews/", "/supervision/", "/inbox/", "/deliveries/", "/dashboard/"):
        assert "export=xlsx" in client_for(office).get(url).content.decode(), url
