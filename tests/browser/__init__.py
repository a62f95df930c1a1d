"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Fixtures (``tests/browser/conftest.py``): ``browser`` (session), ``browser_log`` and ``page`` (per test).
Helpers for the tests themselves, importable as ``from tests.browser import log_in, shot, ...``:

- ``visit(page, path, status=200)``: open a path of the live server and check the answer's status;
- ``log_in(page, username, password="demo")``: log in through the real login form;
- ``switch_language(page, "zh-hans" | "en")``: press a language button in the top bar;
- ``shot(page, name)``: full-page screenshots at laptop and phone width, checking that nothing is wider
  than the phone screen.
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"laptop": LAPTOP, "phone": PHONE}


def artifacts_dir() -> Path:
    """$OPSFLOW_ARTIFACTS (default artifacts/), which CI keeps."""
    folder = Path(os.environ.get("OPSFLOW_ARTIFACTS") or REPO / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshots_dir() -> Path:
    """The artifacts' screenshots/ folder."""
    folder = artifacts_dir() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def visit(page, path: str, *, status: int = 200):
    """Open ``path`` (relative to the live server) and return the response, checking its final status."""
    response = page.goto(path)
    assert response is not None, f"{path}: no response"
    assert response.status == status, f"{path}: answered {response.status}, expected {status}"
    return response


def log_in(page, username: str, password: str = "demo") -> None:
    """Log in through the real form at /accounts/login/ (demo users come from the ``org`` fixture)."""
    page.context.clear_cookies()
    visit(page, "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert "/accounts/login/" not in page.url, f"logging in as {username!r} failed: still on {page.url}"


def switch_language(page, code: str) -> None:
    """Press the top bar's language button for ``code`` ("en" or "zh-hans") and wait for the new page."""
    button = page.locator(f"form.lang-switch button[name=language][value={code}]")
    with page.expect_navigation():
        button.click()
    lang = page.locator("html").get_attribute("lang")
    assert lang == code, f"the page is in {lang!r} after choosing {code!r}"


def shot(page, name: str, *, check_overflow: bool = True) -> dict[str, Path]:
    """Write full-page PNGs ``<name>-laptop.png`` (1366x768) and ``<name>-phone.png`` (390x844).

    The page is left at the size it had. At phone width it must not scroll sideways (a layout defect)
    unless ``check_overflow`` is false.
    """
    folder = screenshots_dir()
    before = page.viewport_size
    paths = {}
    try:
        for label, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            # let the layout (and any chart resizing on window resize) settle at the new width
            page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))")
            if page.locator(".js-plotly-plot").count():
                page.wait_for_timeout(400)  # plotly redraws responsive charts a moment after a resize
            paths[label] = folder / f"{name}-{label}.png"
            page.screenshot(path=paths[label], full_page=True)
            if check_overflow and label == "phone":
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, f"{name}: the page is {overflow}px wider than a 390px phone screen"
    finally:
        if before:
            page.set_viewport_size(before)
    return paths
