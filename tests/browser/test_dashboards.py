"""The pilot dashboard on the demo data in a real browser, in English and Chinese, at laptop and
phone width: plotly draws every chart with data points, and the numbers open under each chart."""

import pytest

from tests.browser import log_in, shot, switch_language, visit

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_world")]


def drawn_points(page) -> tuple[int, int]:
    """How many plots plotly drew, and how many bars and markers they hold."""
    page.wait_for_selector("[data-chart-target] .main-svg")
    plots = page.locator("[data-chart-target].js-plotly-plot")
    marks = page.locator("[data-chart-target] .main-svg .bars path, [data-chart-target] .main-svg .points path")
    return plots.count(), marks.count()


def test_pilot_dashboard_draws_pilot_against_control(page):
    log_in(page, "manager")
    visit(page, "/metrics/pilot/")
    assert "Regional sales team pilot" in page.locator("h1").inner_text()
    plots, marks = drawn_points(page)
    assert plots == 3 and marks >= 3 * 2  # pilot and control bars in each chart
    # every chart: its numbers as a table, and both downloads
    charts = page.locator("[data-chart]")
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert chart.locator("a[href*='.csv']").count() == 1 and chart.locator("a[href*='.xlsx']").count() == 1
    first = charts.nth(0)
    first.locator("summary").click()
    assert first.locator("table tbody tr").count() >= 2
    with page.expect_download() as download:
        first.locator("a[href*='.csv']").click()
    assert download.value.suggested_filename.startswith("pilot-cycle-time-")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar belongs at the top of the screenshot
    shot(page, "pilot-dashboard")
    switch_language(page, "zh-hans")
    assert "区域销售组试点" in page.locator("h1").inner_text()
    plots, marks = drawn_points(page)
    assert plots == 3 and marks >= 6
    assert "销售审核订单" in page.locator("[data-chart]").nth(1).inner_text()
    shot(page, "pilot-dashboard-zh")


@pytest.mark.parametrize("path", ["/metrics/", "/metrics/process/"])
def test_overview_and_process_dashboard_filters(page, path):
    log_in(page, "director")
    visit(page, path)
    plots, marks = drawn_points(page)
    assert plots == 4 and marks > 0
    page.select_option("#f-days", "182")
    page.select_option("#f-dept", label="Sales")
    if path == "/metrics/process/":
        page.select_option("#f-proc", label="Order processing")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "days=182" in page.url and "department=" in page.url
    plots, _marks = drawn_points(page)
    assert plots == 4
    assert "days=182" in page.locator("[data-chart] a[href*='.csv']").first.get_attribute("href")
    name = "overview" if path == "/metrics/" else "process-dashboard"
    shot(page, f"{name}-filtered")
