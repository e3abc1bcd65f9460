"""The office's bulletin chore in a real browser, without the admin: open the draft 通报, edit its 正文,
publish it, download the Word file and read it back with python-docx (the README's screenshot of the
document is taken from the demo in test_screenshots.py)."""

import io

import pytest
from docx import Document

from dispatch.bulletin import make_bulletin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_office_edits_publishes_and_downloads_the_tongbao(open_page, plan, office):
    make_bulletin("2017-11")
    page = open_page(user=office)
    page.goto("/dashboard/")
    page.get_by_role("link", name="2017-11 月通报").first.click()
    page.wait_for_load_state()
    assert page.get_by_role(
        "heading", name="关于2017年11月中央环保督察反馈问题整改进展情况的通报"
    ).is_visible()
    body = page.get_by_role("textbox", name="正文")
    body.fill(body.input_value() + "\n请各单位认真对照落实。")
    page.get_by_role("button", name="保存正文").click()
    page.wait_for_load_state()
    assert page.get_by_text("正文已保存").is_visible()
    assert page.get_by_text("请各单位认真对照落实。").first.is_visible()
    page.get_by_role("button", name="发布月通报").click()
    page.wait_for_load_state()
    number = page.locator(".doc-number").inner_text()
    assert number.startswith("晋督察办〔") and number.endswith("〕1号")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 2017-11 月通报（Word）").click()
    content = open(download.value.path(), "rb").read()  # noqa: SIM115 - a download's temporary file
    text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    assert number in text and "请各单位认真对照落实。" in text and "印发范围：" in text
