"""Browser tests: real Debian Chromium driven by Playwright against a live server.

Every page a test opens is checked for JavaScript errors and for requests that leave the live server
(the product must work offline: no CDN). Screenshots go to $OPSFLOW_ARTIFACTS/screenshots (default
artifacts/screenshots), which CI keeps.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

# Playwright's sync API keeps an event loop running in this thread; the Django calls of the tests
# themselves are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("OPSFLOW_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts"))
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(
                    pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install chromium)")
                )


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield instance
        instance.close()


class Page:
    """A browser tab bound to the live server, recording console errors and foreign requests."""

    def __init__(self, page, base_url):
        self.page = page
        self.base = base_url
        self.errors = []
        self.foreign = []
        host = urlparse(base_url).hostname

        def console(msg):
            # a form sent back with its errors answers 400 on purpose; Chromium logs that as an error
            if msg.type == "error" and "status of 400" not in msg.text:
                self.errors.append(msg.text)

        page.on("console", console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

        def check(request):
            url = urlparse(request.url)
            if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in (host, "localhost", "127.0.0.1"):
                self.foreign.append(request.url)

        page.on("request", check)

    def __getattr__(self, name):
        return getattr(self.page, name)

    def open(self, path):
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        return response

    def login(self, username, password="demo"):
        self.page.context.clear_cookies()
        self.page.goto(self.base + "/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("form.form button[type=submit]")
        self.page.wait_for_load_state()
        assert "/accounts/login/" not in self.page.url, "login failed"

    def switch_language(self, code):
        self.page.click(f"button[name=language][value={code}]")
        self.page.wait_for_load_state()

    def shot(self, name, *, phone_too=True):
        folder = ARTIFACTS / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size(LAPTOP)
        self.page.screenshot(path=str(folder / f"{name}-laptop.png"), full_page=True)
        if phone_too:
            self.page.set_viewport_size(PHONE)
            self.page.wait_for_timeout(400)  # let responsive charts redraw at the new width
            self.page.screenshot(path=str(folder / f"{name}-phone.png"), full_page=True)
            overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            self.page.set_viewport_size(LAPTOP)
            assert overflow <= 1, f"{name}: the page is {overflow}px wider than a phone screen"


@pytest.fixture
def page(browser, live_server, transactional_db):
    from processes import demo

    demo.load_all()
    context = browser.new_context(viewport=LAPTOP, locale="en-US")
    tab = Page(context.new_page(), live_server.url)
    yield tab
    context.close()
    assert not tab.foreign, f"requests left the server: {tab.foreign}"
    assert not tab.errors, f"JavaScript errors: {tab.errors}"
