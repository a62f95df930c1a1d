"""Fixtures for browser tests: Debian's Chromium, driven by Playwright, against a live server.

- ``browser`` (session, i.e. once per test process): one headless Chromium.
- ``page`` (test): a fresh browser context (cookies, language) on the live server, laptop-sized
  (1366x768, English); ``page.goto("/path/")`` is relative to the live server. The test fails at
  teardown if the page logged a console error, threw a JavaScript error, or sent a request anywhere
  but the live server (the product must work offline: no CDN).
- ``browser_log`` (test): what ``page`` recorded; ``browser_log.allow(r"regex")`` accepts a console
  error the test causes on purpose.

Each test gets an empty database (``transactional_db``, which the live server needs to see the test's
data); request ``org`` (tests/conftest.py) for the demo users, whose password is ``demo``, or
``demo_world`` for everything ``make run`` shows.
Helpers to call from tests are in ``tests/browser/__init__.py``.
"""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import LAPTOP

CHROMIUM = shutil.which("chromium")
NO_CHROMIUM = "no chromium binary on PATH (Debian: apt-get install chromium fonts-wqy-microhei)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture
def demo_world(transactional_db):
    """The demo organisation, standards, runs, projects, pilot and evaluation (what ``make run`` shows)."""
    from opsflow import demo

    demo.load_all()


# One Chromium per test process (per xdist worker). Only one sync Playwright can run in a process:
# every browser test lives under tests/browser and uses this fixture.
@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps its event loop running in this thread from here on, and Django
    # refuses ORM calls from a thread with a running loop; the test code itself is synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class BrowserLog:
    """Console errors, uncaught JavaScript errors and requests that left the live server."""

    def __init__(self, server_url: str):
        self.port = urlsplit(server_url).port
        self.console_errors: list[tuple[str, str]] = []  # (text, URL of the script or resource)
        self.page_errors: list[str] = []
        self.foreign_requests: list[str] = []
        self.documents_with_errors: set[str] = set()
        self.allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        """Accept console errors matching ``pattern`` (a regex searched in the message)."""
        self.allowed.append(re.compile(pattern))

    def attach(self, context) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda error: self.page_errors.append(str(error.error)))
        context.on("request", self._request)
        context.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append((message.text, message.location.get("url", "")))

    def _request(self, request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and (url.hostname not in LOOPBACK or url.port != self.port):
            self.foreign_requests.append(request.url)

    def _response(self, response) -> None:
        # A page answering 4xx on purpose (a form sent back with its errors, a 403) makes Chromium log
        # "Failed to load resource"; the test checks a page's status itself. Subresources still count.
        if response.status >= 400 and response.request.resource_type == "document":
            self.documents_with_errors.add(response.url)

    def problems(self) -> list[str]:
        found = [f"request left the live server: {url}" for url in self.foreign_requests]
        found += [f"JavaScript error: {error}" for error in self.page_errors]
        for text, url in self.console_errors:
            if text.startswith("Failed to load resource") and url in self.documents_with_errors:
                continue
            if any(pattern.search(text) for pattern in self.allowed):
                continue
            found.append(f"console error: {text}" + (f" ({url})" if url else ""))
        return found


@pytest.fixture
def browser_log(live_server):
    return BrowserLog(live_server.url)


@pytest.fixture
def page(transactional_db, live_server, browser, browser_log):
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP, locale="en-US")
    context.set_default_timeout(10_000)
    browser_log.attach(context)
    tab = context.new_page()
    yield tab
    context.close()
    problems = browser_log.problems()
    if problems:
        pytest.fail("the browser saw problems:\n" + "\n".join(problems), pytrace=False)
