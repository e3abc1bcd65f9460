"""Screenshots of the main pages for the README, taken on every run from a ledger with some history."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from tasks.choices import Role
from tasks.models import Assignment, ProgressReport, SignOffRequest
from tasks.services import ledger
from tasks.weeks import today, week_of
from tests.browser.conftest import PHONE, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CITIES = ["晋中市", "临汾市", "太原市", "吕梁市", "晋城市", "阳泉市"]


def pdf():
    return SimpleUploadedFile("现场核查.pdf", b"%PDF-1.4 x", content_type="application/pdf")


@pytest.fixture
def history(make_user, unit_leader, office):
    """Weekly reports from six cities, sign-offs at every stage, an extension: built through the services."""
    liaisons = {city: make_user(f"liaison{i}", Role.LIAISON, city, full_name=f"{city}联络员") for i, city in enumerate(CITIES)}
    leaders = {city: make_user(f"leader{i}", Role.UNIT_LEADER, city) for i, city in enumerate(CITIES)}
    this_week, last_week = week_of(today()), week_of(today() - datetime.timedelta(days=7))
    signed = []
    for n, city in enumerate(CITIES):
        rows = list(Assignment.objects.filter(unit__name=city).order_by("task__number"))
        for i, row in enumerate(rows[: 8 + n]):
            week = this_week if (i + n) % 3 else last_week
            ledger.submit_report(row.pk, actor=liaisons[city], week=week, text="按计划推进整改，完成阶段任务。",
                                 percent=min(100, 30 + 10 * i), measure_notes={"1": "已完成排查"})
        for row in rows[: 2 + n % 3]:
            ledger.request_signoff(row.pk, actor=liaisons[city], summary="整改任务完成，经现场核查达到目标。", files=[pdf()])
            ledger.approve(row.pk, actor=leaders[city], opinion="同意")
            ledger.approve(row.pk, actor=office, opinion="准予销号")
            signed.append(row.pk)
        row = rows[5]
        ledger.request_signoff(row.pk, actor=liaisons[city], summary="按期完成整改，现场核查合格，申请销号。", files=[pdf()])
        if n % 2:
            ledger.approve(row.pk, actor=leaders[city], opinion="材料齐全，同意报省督察办。")
    # Spread the sign-offs over the last ten weeks, so the chart shows a history rather than a single day.
    for i, request in enumerate(SignOffRequest.objects.filter(assignment_id__in=signed).order_by("pk")):
        when = timezone.now() - datetime.timedelta(days=72 - 4 * i)
        SignOffRequest.objects.filter(pk=request.pk).update(
            requested_at=when - datetime.timedelta(days=3), unit_checked_at=when - datetime.timedelta(days=1),
            office_checked_at=when,
        )
        ProgressReport.objects.filter(assignment_id=request.assignment_id).update(created_at=when - datetime.timedelta(days=5))
    jinzhong = Assignment.objects.filter(unit__name="晋中市", due_date__isnull=False, status="in_progress").first()
    ledger.request_extension(jinzhong.pk, actor=liaisons["晋中市"], new_due_date=today() + datetime.timedelta(days=60),
                             reason="受冬季施工限制，申请延期。")
    return liaisons


def test_it_takes_screenshots_of_the_main_pages(open_page, history, office):
    page = open_page()
    log_in(page, "olga")
    expect(page.get_by_role("heading", name="整改总览")).to_be_visible()
    expect(page.locator(".chart svg polyline")).to_have_count(1)
    screenshot(page, "dashboard")

    page.goto("/ledger/?sort=urgency")
    expect(page.get_by_role("status").first).to_contain_text("共")
    screenshot(page, "ledger")

    task = Assignment.objects.get(task__number=3, unit__name="晋中市").task  # 晋中市 and 长治市; signed off in 晋中市
    page.goto(f"/tasks/{task.pk}/")
    expect(page.locator(".timeline").first).to_be_visible()
    screenshot(page, "task")

    page.goto("/queue/")
    screenshot(page, "queue")

    desk = open_page()
    log_in(desk, "liaison0")
    expect(desk.get_by_role("heading", level=1)).to_contain_text("我的任务 · 晋中市")
    screenshot(desk, "desk")

    phone = open_page(viewport=PHONE)
    log_in(phone, "liaison0")
    screenshot(phone, "desk-phone")

    public = open_page()
    public.goto("/public/")
    expect(public.locator("#task-1")).to_be_visible()
    screenshot(public, "public")
