"""The pages work from the keyboard alone: skip link first, then log in and reach a form without a mouse."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_and_filters_the_ledger_with_the_keyboard_only(open_page, liaison):
    page = open_page()
    page.goto("/login/")
    expect(page.get_by_label("用户名")).to_be_focused()  # the login form starts in the user name
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/desk/$"))
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("跳到正文")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto("/ledger/")
    page.get_by_label("状态").focus()
    page.keyboard.press("Tab")  # the filters are in reading order: status, then warning level
    expect(page.locator(":focus")).to_have_attribute("name", "level")
    page.get_by_label("搜索").focus()
    page.keyboard.type("晋中")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=%E6%99%8B%E4%B8%AD"))
    expect(page.get_by_role("status").first).to_contain_text("共")
