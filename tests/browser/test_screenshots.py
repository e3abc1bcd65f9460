"""Screenshots of the main pages for the README, taken from the demo ledger on the demo's date.

The data is what `make run` serves: ``load_demo`` (the late-2017 ledger mid-flight and the
dispatch jobs' messages and bulletins), with the ledger's clock pinned to 2017-12-01 so the
warning levels, the week and the chart read as they did then. The pictures go to
docs/screenshots/ only with UPDATE_SCREENSHOTS=1; otherwise to a temporary folder.
"""

import datetime
import struct

import pytest
from playwright.sync_api import expect

from demo.ledger import DEMO_PASSWORD
from tasks.models import SignOffRequest, Task
from tests.browser.conftest import PHONE, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_TODAY = datetime.date(2017, 12, 1)


@pytest.fixture
def demo(demo_ledger, settings):
    """The demo ledger and messages (``load_demo``, built once per test process: tests/conftest.py),
    served with the ledger's date pinned to the demo's (as `make run` does)."""
    settings.RECTIFY_TODAY = DEMO_TODAY


def png_size(path):
    with open(path, "rb") as handle:
        header = handle.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_it_takes_screenshots_of_the_main_pages(open_page, demo, screenshot_dir):
    page = open_page()
    log_in(page, "office", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="整改总览")).to_be_visible()
    expect(page.locator(".lead")).to_contain_text("截至 2017年12月1日（第48周（11月27日—12月3日））")
    expect(page.locator(".chart svg polyline")).to_have_count(1)
    shots = [screenshot(page, screenshot_dir, "dashboard")]

    page.goto("/ledger/?sort=urgency")
    expect(page.get_by_role("status").first).to_contain_text("共")
    shots.append(screenshot(page, screenshot_dir, "ledger"))

    task = Task.objects.get(number=37)  # 晋中市: signed off, looked at again and reopened
    page.goto(f"/tasks/{task.pk}/")
    expect(page.locator(".timeline").first).to_contain_text("重新整改")
    shots.append(screenshot(page, screenshot_dir, "task"))

    page.goto("/queue/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "临汾市"
    )  # task 10, checked by its unit, waits for the office
    shots.append(screenshot(page, screenshot_dir, "queue"))

    page.goto("/supervision/")
    expect(page.locator("main")).to_contain_text("挂牌督办")
    expect(page.locator("main")).to_contain_text("临汾市人民政府分管副市长")  # the demo's summons
    shots.append(screenshot(page, screenshot_dir, "supervision"))

    page.goto("/bulletins/")  # the office's 月通报: drafts to publish, published ones, making a draft
    expect(page.get_by_role("heading", name="生成月通报草稿")).to_be_visible()
    shots.append(screenshot(page, screenshot_dir, "bulletins"))

    page.goto("/deliveries/")  # every message's delivery on every channel
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shots.append(screenshot(page, screenshot_dir, "deliveries"))

    page.goto("/bulletins/2017-11/")  # the demo's November bulletin, a draft for the office to publish
    expect(page.locator(".doc-title")).to_have_text("关于2017年11月中央环保督察反馈问题整改进展情况的通报")
    shots.append(screenshot(page, screenshot_dir, "bulletin-document"))

    sheet = SignOffRequest.objects.filter(status="approved").order_by("office_checked_at").first()
    page.goto(f"/signoffs/{sheet.pk}/")
    expect(page.locator("main")).to_contain_text("单位负责人（签字）")
    shots.append(screenshot(page, screenshot_dir, "signoff-form"))

    desk = open_page()
    log_in(desk, "jinzhong", DEMO_PASSWORD)
    expect(desk.get_by_role("heading", level=1)).to_contain_text("我的任务 · 晋中市")
    shots.append(screenshot(desk, screenshot_dir, "desk"))

    desk.goto("/inbox/")
    expect(desk.locator("main")).to_contain_text("2017-W48 周调度")
    shots.append(screenshot(desk, screenshot_dir, "inbox"))

    phone = open_page(viewport=PHONE)
    log_in(phone, "jinzhong", DEMO_PASSWORD)
    shots.append(screenshot(phone, screenshot_dir, "desk-phone"))

    public = open_page()
    public.goto("/public/")
    expect(public.locator("#task-1")).to_be_visible()
    expect(public.locator("main")).to_contain_text("2017-10 月通报")
    shots.append(screenshot(public, screenshot_dir, "public"))

    for path in shots:
        width, height = png_size(path)
        assert width in (1280, 390) and height >= 844, path
