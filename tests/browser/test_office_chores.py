"""The office's and a unit leader's chores in Chromium without the admin: the 月通报 list, the
ledger's exports that follow the filters on screen (re-opened with openpyxl), the weekly workbook
of the unit chosen, and a unit leader's pages and exports with no 管理后台 in sight."""

import datetime
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from dispatch.bulletin import make_bulletin
from tasks.models import Assignment
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_DAY = datetime.date(2017, 12, 1)


@pytest.fixture
def demo_clock(settings):
    """As `make run` serves the demo: today and the ledger's clock on the demo's day."""
    settings.RECTIFY_TODAY = DEMO_DAY
    settings.RECTIFY_CLOCK_ON_TODAY = True


def downloaded(page, click):
    with page.expect_download() as download:
        click()
    return load_workbook(io.BytesIO(download.value.path().read_bytes()))  # the temporary file has no .xlsx


def test_the_office_publishes_from_the_list_and_exports_the_filtered_ledger(
    open_page, plan, office, demo_clock
):
    make_bulletin("2017-11")
    page = open_page()
    log_in(page, "olga")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="月通报").click()
    drafts = page.get_by_role("region", name=re.compile("待发布的草稿"))
    drafts.get_by_role("link", name="2017-11 月通报（草稿）").click()
    page.get_by_role("button", name="发布月通报").click()
    page.wait_for_load_state()
    page.goto("/bulletins/")
    published = page.get_by_role("region", name=re.compile("已发布"))
    expect(published).to_contain_text("2017-11 月通报 2017-12-01 发布")  # the demo's day, not the wall clock

    page.goto("/ledger/")
    page.get_by_label("责任单位").select_option(label="晋中市")
    page.get_by_label("排序").select_option(label="完成比例由低到高")
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_load_state()
    count = int(re.search(r"共 (\d+) 项", page.locator("#result-count").inner_text())[1])
    first_shown = page.locator("tbody tr").first.get_by_role("link").first.inner_text()

    book = downloaded(page, page.get_by_role("link", name="导出筛选结果（Excel）").click)
    rows = list(book["整改台账"].iter_rows(values_only=True))
    header, data = rows[1], rows[2:]
    assert "晋中市" in rows[0][0]  # the caption names the filter
    assert len(data) == count == Assignment.objects.filter(unit__name="晋中市").count()
    assert {r[header.index("责任单位")] for r in data} == {"晋中市"}
    assert f"任务{data[0][0]}" == first_shown
    percents = [r[header.index("完成比例")] for r in data]
    assert percents == sorted(percents)

    weekly = downloaded(page, page.get_by_role("button", name="下载周报表（Excel）").click)
    ledger_rows = list(weekly["整改台账"].iter_rows(min_row=2, values_only=True))
    units = {r[5] for r in ledger_rows if r[0] is not None}
    assert units == {"晋中市"}


def test_a_unit_leader_works_and_exports_without_the_admin(open_page, plan, unit_leader, office):
    page = open_page()
    log_in(page, "bob")
    expect(page.locator("header")).not_to_contain_text("管理后台")
    assert page.goto("/admin/").url.split("?")[0].endswith("/admin/login/")

    page.goto("/queue/")
    book = downloaded(page, page.get_by_role("link", name="导出本页表格（Excel）").click)
    assert book.sheetnames == ["待审核", "延期申请", "已销号"]

    page.goto("/supervision/")
    book = downloaded(page, page.get_by_role("link", name="导出本页表格（Excel）").click)
    assert book.sheetnames == ["挂牌督办", "近期摘牌", "约谈", "移交问责"]

    page.goto("/ledger/")
    book = downloaded(page, page.get_by_role("link", name="导出筛选结果（Excel）").click)
    rows = list(book["整改台账"].iter_rows(min_row=3, values_only=True))
    assert rows and {r[3] for r in rows} == {"晋中市"}  # 任务, 类别, 问题, 责任单位: their unit only
