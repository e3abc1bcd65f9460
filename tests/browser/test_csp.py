"""The Content-Security-Policy in a real browser: no page of the site, the admin or the API docs has
anything the policy blocks, the styles moved out of style attributes still draw, and the 销号单's print
button (a static script now) still prints."""

import pytest

from tests.browser.conftest import log_in
from tests.helpers import row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page) -> list[str]:
    """Every CSP violation the page reports, as Chromium logs them and as the DOM event."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return violations


def settle(page):
    """Wait until what the page loaded has been applied and reported. ``goto`` and a click's navigation
    return after the load event (every script, style sheet and image the page asked for); no page here
    fetches anything later, so a frame drawn and one task run after it are enough for a blocked style or
    script to have been reported (the 500 ms quiet of ``networkidle`` was waited out on every page)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)))")


def test_a_liaisons_pages_break_no_policy(open_page, plan, liaison):
    page = open_page(user=liaison)
    violations = watch(page)
    for url in ("/desk/", "/inbox/", f"/assignments/{row().pk}/", "/supervision/"):
        response = page.goto(url)
        assert response.status == 200 and page.url.endswith(url), url  # served, not the login page
        settle(page)
    assert violations == []


def test_no_page_breaks_the_policy_and_the_bars_still_draw(open_page, plan, office):
    page = open_page()
    violations = watch(page)
    for url in ("/login/", "/public/"):
        page.goto(url)
        settle(page)
    log_in(page, "olga")
    for url in (
        "/dashboard/",
        "/ledger/",
        "/account/security/",
        "/security/",
        "/admin/",
        "/admin/tasks/assignment/",
    ):
        page.goto(url)
        settle(page)
    page.goto("/dashboard/")
    # Each bucket's share of a bar is drawn by its w-<percent> class alone: together they fill the bar.
    bar = page.locator(".bar").first
    widths = bar.locator("span").evaluate_all("spans => spans.map(s => s.getBoundingClientRect().width)")
    assert max(widths) > 0 and abs(sum(widths) - bar.bounding_box()["width"]) < 3
    green = page.locator(".legend .b-signed").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert green not in ("rgba(0, 0, 0, 0)", "transparent")
    assert violations == []


def test_the_api_docs_run_under_the_policy(open_page, plan, office):
    page = open_page(user=office)
    violations = watch(page)
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)  # the script ran and drew the endpoints
    assert violations == []


def test_the_signoff_sheets_print_button_still_prints(open_page, people_signed_off, office):
    page = open_page(user=office)
    violations = watch(page)
    page.goto(people_signed_off)
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.printed === true")
    assert violations == []


@pytest.fixture
def people_signed_off(plan, liaison, unit_leader, office):
    """The 销号单 address of task 17 for 晋中市, signed off through the services."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tasks.models import SignOffRequest
    from tasks.services import ledger

    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W41", text="完成整改", percent=100)
    pdf = SimpleUploadedFile("验收.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    ledger.request_signoff(a.pk, actor=liaison, summary="整改已完成", files=[pdf])
    ledger.approve(a.pk, actor=unit_leader, opinion="同意")
    ledger.approve(a.pk, actor=office, opinion="同意销号")
    signoff = SignOffRequest.objects.get(assignment=a)
    return reverse("admin:tasks_signoffrequest_sheet", args=[signoff.pk])


def test_the_signoff_form_to_sign_prints_and_its_code_verifies_under_the_policy(
    open_page, people_signed_off, office
):
    """The 销号单 form (/signoffs/<id>/): its print button prints, and its 立即核验 link opens /verify/."""
    pk = people_signed_off.rstrip("/").split("/")[-2]
    page = open_page(user=office)
    violations = watch(page)
    assert page.goto(f"/signoffs/{pk}/").status == 200
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.printed === true")
    page.get_by_role("link", name="立即核验").click()
    page.wait_for_load_state()
    settle(page)
    assert page.get_by_role("heading", name="核验通过").is_visible()
    assert violations == []
