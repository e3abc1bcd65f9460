"""A sign-off from the liaison's report to the public page, and the refusals on the way, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tasks.models import Assignment
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(plan, liaison, unit_leader, office, outsider):
    return {"liaison": liaison, "unit_leader": unit_leader, "office": office, "outsider": outsider}


def test_it_signs_off_from_report_to_public_page(open_page, people, tmp_path):
    target = Assignment.objects.get(task__number=17, unit__name="晋中市")  # 晋中市 is task 17's only unit
    evidence = tmp_path / "整治验收报告.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% acceptance report\n")

    liaison = open_page()
    log_in(liaison, "alice")
    expect(liaison).to_have_url(re.compile(r"/desk/$"))
    liaison.get_by_role("link", name="任务17：报送进展").click()
    report = liaison.locator("#report")
    report.get_by_label("本周进展").fill("完成全部散煤清洁化替代，验收合格。")
    report.get_by_label("完成比例（%）").fill("100")
    report.get_by_label("措施1进展").fill("已完成")
    report.get_by_label("佐证材料").set_input_files(str(evidence))
    report.get_by_role("button", name="报送").click()
    expect(liaison.get_by_role("status")).to_contain_text("进展已报送")
    expect(liaison.locator(".timeline")).to_contain_text("整治验收报告.pdf")

    signoff = liaison.locator("#signoff")
    signoff.get_by_label("整改情况说明").fill("整改任务全部完成，申请销号。")
    signoff.get_by_label("佐证材料").set_input_files(str(evidence))
    signoff.get_by_role("button", name="提交销号申请").click()
    expect(liaison.get_by_role("status")).to_contain_text("销号申请已提交")

    leader = open_page()
    log_in(leader, "bob")
    expect(leader).to_have_url(re.compile(r"/queue/$"))
    item = leader.locator(".card-list > li", has_text="任务17 · 晋中市")
    expect(item).to_contain_text("整治验收报告.pdf")
    item.get_by_label("通过").check()
    item.get_by_label("审核意见").fill("材料齐全，同意报省督察办。")
    item.get_by_role("button", name="提交审核结论").click()
    expect(leader.get_by_role("status")).to_contain_text("单位审核通过")

    office = open_page()
    log_in(office, "olga")
    office.goto("/queue/")
    item = office.locator(".card-list > li", has_text="任务17 · 晋中市")
    expect(item).to_contain_text("材料齐全")
    item.get_by_label("通过").check()
    item.get_by_role("button", name="提交审核结论").click()
    expect(office.get_by_role("status")).to_contain_text("已销号")

    office.goto("/ledger/?q=晋中市&sort=task")
    row = office.locator("tbody tr", has=office.get_by_role("link", name="任务17 · 晋中市 台账"))
    expect(row).to_contain_text("已销号")

    office.goto("/disclosures/")  # the public reads what the office publishes (每周公开)
    office.get_by_role("button", name="打开草稿").click()
    office.get_by_role("button", name="审核无误，发布").click()
    expect(office.get_by_role("status").first).to_contain_text("每周公开已发布")

    public = open_page()
    public.goto("/public/?q=" + target.task.problem[:10])
    expect(public.locator("#task-17")).to_contain_text("已销号")
    expect(public.locator("body")).not_to_contain_text("整治验收报告.pdf")
    target.refresh_from_db()
    assert target.status == "signed_off"


def test_it_shows_the_chinese_error_for_a_bad_percentage(open_page, people):
    page = open_page(user=people["liaison"])
    target = Assignment.objects.get(task__number=17, unit__name="晋中市")
    page.goto(f"/assignments/{target.pk}/")
    report = page.locator("#report")
    report.get_by_label("本周进展").fill("推进中")
    report.get_by_label("完成比例（%）").fill("150")
    report.get_by_role("button", name="报送").click()
    expect(page.locator("#report")).to_contain_text("完成比例 150 超出范围，应在 0 到 100 之间")
    expect(page.get_by_label("完成比例（%）")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("本周进展")).to_have_value("推进中")
    assert not target.reports.exists()


def test_it_refuses_a_liaison_another_units_assignment(open_page, people):
    other = Assignment.objects.get(task__number=10, unit__name="临汾市")
    page = open_page(user=people["liaison"])
    response = page.goto(f"/assignments/{other.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在或无权查看")
    expect(page.locator("body")).not_to_contain_text(other.task.problem[:15])
