"""The office's weekly disclosure (每周公开) and the dashboard's statistics in a real browser, without the
admin: open the week's draft, edit a task's wording, publish; the public page shows what was published
(and no liaison's percentage), searches, filters by city and opens a task's history; the dashboard's tiles
and the province view lead to the rows they count."""

import re

import pytest

from tasks.models import Assignment
from tasks.services import ledger
from tests.browser.conftest import screenshot
from tests.helpers import row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.today()]


def test_the_office_reviews_and_publishes_the_weekly_disclosure(
    open_page, plan, office, liaison, screenshot_dir
):
    ledger.submit_report(row(17).pk, actor=liaison, week="2017-W48", text="推进", percent=73)
    page = open_page(user=office)
    page.goto("/dashboard/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="每周公开").click()
    page.wait_for_load_state()
    assert page.get_by_label("公开周（ISO 周）").input_value() == "2017-W48"
    page.get_by_role("button", name="打开草稿").click()
    page.wait_for_load_state()
    assert page.get_by_text("2017-W48 每周公开草稿已生成").is_visible()
    assert page.get_by_text("截至 2017年12月1日").is_visible()
    wording = page.get_by_label(re.compile(r"^任务1 公开说明$"))
    wording.fill("各责任单位正在按方案推进整改。")
    screenshot(page, screenshot_dir, "disclosure")
    page.get_by_role("button", name="保存本页公开说明").click()
    page.wait_for_load_state()
    assert page.get_by_text("已保存 1 项公开说明").is_visible()
    page.get_by_role("button", name="审核无误，发布").click()
    page.wait_for_load_state()
    assert page.get_by_text("2017-W48 每周公开已发布").is_visible()
    assert page.get_by_role("button", name="审核无误，发布").count() == 0  # frozen

    public = open_page()  # a visitor, not signed in
    public.goto("/public/")
    assert public.get_by_text("截至 2017年12月1日").first.is_visible()
    assert public.get_by_text("各责任单位正在按方案推进整改。").is_visible()
    assert "73%" not in public.content()
    public.get_by_label("检索任务").fill("各责任单位正在按方案推进")
    public.get_by_role("button", name="检索").click()
    public.wait_for_load_state()
    assert public.get_by_text("共 1 项整改任务").is_visible()
    public.get_by_role("link", name="清除").click()
    public.wait_for_load_state()
    public.get_by_label("市", exact=True).select_option("晋中市")
    public.get_by_role("button", name="检索").click()
    public.wait_for_load_state()
    count = int(re.search(r"共 (\d+) 项整改任务", public.content()).group(1))
    assert count == Assignment.objects.filter(unit__name="晋中市", task__is_public=True).count()
    public.locator("#task-17").get_by_role("link").click()
    public.wait_for_load_state()
    assert public.get_by_role("heading", name="历次公开（按周）").is_visible()
    screenshot(public, screenshot_dir, "public-task")
    assert public.get_by_text("截至 2017年12月1日").first.is_visible() and "73%" not in public.content()


def test_the_dashboard_tiles_and_the_city_tiles_lead_to_the_rows_they_count(
    open_page, plan, office, screenshot_dir
):
    page = open_page(user=office)
    page.goto("/dashboard/")
    tile = page.locator(".figures a.k-link").filter(has_text="按计划推进")
    shown = int(tile.locator(".n").inner_text())
    tile.click()
    page.wait_for_load_state()
    assert "bucket=on_track" in page.url
    assert page.get_by_text(f"共 {shown} 项台账").is_visible()
    page.goto("/dashboard/")
    province = page.locator("section[aria-labelledby=province-title]")
    province.screenshot(path=str(screenshot_dir / "province.png"))  # the grid cartogram of the cities
    city = page.get_by_role("list", name="各市整改状态").get_by_role("link", name=re.compile("^太原市："))
    total = int(re.search(r"(\d+) 项台账", city.get_attribute("aria-label")).group(1))
    city.click()
    page.wait_for_load_state()
    assert page.get_by_text(f"共 {total} 项台账").is_visible()
    assert page.get_by_text("市：太原市（含所辖县区、市直部门）").is_visible()
