"""Browser tests: Debian's headless Chromium driven by Playwright against pytest-django's live server.

The browser is Debian's chromium-headless-shell where it is installed (CI installs it), else the
full chromium in headless mode. The shell is the same Blink with none of the desktop browser around
it: the 15 browser tests pass in both and took about 35 % less CPU time in the shell (17 s against
26 s, one process, a 2-core machine).

Playwright's sync API runs an event loop in the test thread, so Django's async-safety
check is switched off for these tests. Without either browser the tests skip (CI
installs them, and tests/conftest.py fails a CI run that lacks one).
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BROWSERS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
CHROMIUM = next((path for path in BROWSERS if os.path.exists(path)), None)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct-horse-battery"
LAPTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium():
    if CHROMIUM is None:
        pytest.skip("no Chromium is installed (apt-get install chromium-headless-shell)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """A function giving a fresh browser page (own cookies) on the live server; closed after the test.

    With ``user`` the page starts signed in as that user: the session ``tests.helpers.client_for`` writes
    (what ``login()`` leaves in one), its cookie given to the browser. That is for tests whose subject is not
    signing in; test_keyboard.py and the CSP test of the login page sign in through the form (log_in)."""
    contexts = []

    def make(viewport=LAPTOP, user=None):
        context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
        context.set_default_timeout(15_000)
        if user is not None:
            context.add_cookies([session_cookie(user, live_server.url)])
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def session_cookie(user, url):
    from django.conf import settings

    from tests.helpers import client_for

    client = client_for(user)
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": url}


def log_in(page, username, password=PASSWORD):
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


@pytest.fixture
def screenshot_dir(tmp_path_factory):
    """docs/screenshots/ with UPDATE_SCREENSHOTS=1 (to refresh the README's pictures), else a temporary folder:
    the pictures are still taken, so the pages are still exercised, but a test run leaves the checkout clean."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


def screenshot(page, directory: Path, name: str, max_height=1600) -> Path:
    """The top of the page (up to ``max_height`` pixels) as <directory>/<name>.png."""
    size = page.viewport_size
    height = min(page.evaluate("document.documentElement.scrollHeight"), max_height)
    clip = {"x": 0, "y": 0, "width": size["width"], "height": max(height, size["height"])}
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, clip=clip)
    return path
