"""The pilot pages in Chromium on the demo pilot: the pilot page with template 3, a stand-up that
opens a draft, and the report, in English and Chinese, on a laptop and a phone."""

import pytest

from pilots.models import Pilot, StandUp
from tests.browser import log_in, shot, switch_language, visit

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_world")]


def test_manager_reads_the_pilot_and_records_a_stand_up(page):
    pilot = Pilot.objects.get()
    log_in(page, "manager")
    visit(page, f"/pilots/{pilot.pk}/")
    assert page.locator("h1").inner_text().startswith("Regional sales team pilot")
    rows = page.locator("table.template3 tbody tr")
    assert rows.count() == 2
    assert "Merge order information and the review entry into one system." in rows.nth(0).inner_text()
    assert "Add automatic stock validation." in rows.nth(1).inner_text()
    shot(page, "pilot-en")

    page.locator("#standups summary").click()
    page.fill("#standups textarea[name=problems]", "Stock confirmation waits for the morning delivery.")
    page.fill("#standups input[name=held_on]", "")
    page.click("#standups button[type=submit]")
    assert page.locator("#standups .errorlist").count() >= 1  # the date is required; the text stays
    assert page.locator("#standups textarea[name=problems]").input_value() == (
        "Stock confirmation waits for the morning delivery."
    )
    before = StandUp.objects.count()
    page.fill("#standups input[name=held_on]", "2026-11-27")
    page.click("#standups button[type=submit]")
    page.wait_for_url(f"**/pilots/{pilot.pk}/#standups")
    assert StandUp.objects.count() == before + 1

    switch_language(page, "zh-hans")
    assert "试点反馈" in page.locator("#feedback h2").inner_text()
    shot(page, "pilot-zh-hans")


def test_the_pilot_report_in_both_languages(page):
    pilot = Pilot.objects.get()
    log_in(page, "director")
    visit(page, f"/pilots/{pilot.pk}/report/")
    figures = page.locator("table.report-figures tbody tr")
    assert figures.first.inner_text().startswith("Average processing time")
    assert "↓" in figures.first.inner_text()
    shot(page, "pilot-report-en")
    switch_language(page, "zh-hans")
    assert page.locator("h1").inner_text() == "试点反馈报告"
    shot(page, "pilot-report-zh-hans")
    visit(page, f"/pilots/{pilot.pk}/report/?print=1")
    shot(page, "pilot-report-print-zh-hans")
