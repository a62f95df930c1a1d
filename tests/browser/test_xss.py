"""Script text typed into free-text fields is shown as text and never runs, under the Content-Security-
Policy; Swagger UI and the admin site work under the same policy (any CSP violation is a console error,
which fails the test through the ``page`` fixture)."""

import pytest

from tests.browser import log_in, visit
from tests.security import free_text

pytestmark = pytest.mark.browser

# Each part would set window.__xss if the browser ran it: an inline script, an event handler, an SVG
# onload, a javascript: link, and plotly's own HTML-like label markup.
PAYLOAD = (
    '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    '<svg onload="window.__xss=3"></svg><a href="javascript:window.__xss=4">x</a>'
)


@pytest.fixture(autouse=True)
def demo(demo_world):
    free_text.plant(PAYLOAD)


def test_script_text_in_free_text_fields_never_runs(page, browser_log):
    log_in(page, "admin")
    for path in free_text.pages():
        response = visit(page, path)
        csp = response.header_value("content-security-policy") or ""
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
        if page.locator("[data-chart]").count():
            page.wait_for_selector("[data-chart] .js-plotly-plot", timeout=10_000)
        assert page.evaluate("() => window.__xss") is None, f"{path}: the payload ran"
        assert page.locator("img[src='x']").count() == 0, path
        assert page.locator("main a[href^='javascript:']").count() == 0, path
    # the payload is there, as text
    visit(page, free_text.pages()[1])
    assert "<script>window.__xss=1</script>" in page.locator("main").inner_text()


def test_swagger_ui_and_admin_work_under_the_policy(page):
    log_in(page, "admin")
    visit(page, "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)  # the schema was fetched and drawn
    visit(page, "/admin/")
    visit(page, "/admin/processes/process/")
    visit(page, "/admin/processes/process/add/")
    page.wait_for_timeout(300)  # the admin's scripts (prepopulated fields, collapse) have run
