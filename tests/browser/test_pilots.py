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


def test_it_resolves_the_pilot_feedback_it_received_from_its_inbox_in_both_languages(page):
    """The receiving department's clerk: the feedback Sales raised is work in IT's inbox, and completing it
    asks for a resolution (required), which resolves the row of template 3 on the pilot page."""
    from pilots.choices import FeedbackStatus, PilotWorkKind
    from pilots.models import FeedbackItem

    feedback = FeedbackItem.objects.select_related("work_item").get(suggestion__startswith="Add automatic stock")
    item = feedback.work_item
    assert item.kind == PilotWorkKind.FEEDBACK and item.is_open
    log_in(page, "it")
    visit(page, "/work/")
    assert page.locator(f"a[href='/work/items/{item.pk}/']").count() >= 1  # in IT's inbox
    visit(page, f"/work/items/{item.pk}/")
    page.locator("form[action$='/claim/'] button").click()
    note = page.locator("#complete-note")
    assert (
        page.locator("label[for=complete-note]").inner_text() == "Resolution"
        and note.get_attribute("required") is not None
    )
    assert (
        "Manual stock reconciliation is error-prone." in page.locator(".item-details").inner_text()
    )  # what Warehouse saw
    assert page.locator(".eyebrow").inner_text().count("›") == 1  # Inbox › the pilot's feedback, nothing empty between
    shot(page, "work-item-feedback-en")
    switch_language(page, "zh-hans")
    assert page.locator("label[for=complete-note]").inner_text() == "处理结果"
    shot(page, "work-item-feedback-zh-hans")

    page.locator("form[action$='/complete/'] button[type=submit]").click()  # empty: the browser refuses
    assert FeedbackItem.objects.get(pk=feedback.pk).status == FeedbackStatus.ACCEPTED
    page.fill("#complete-note", "库存自动校验已上线。")
    page.locator("form[action$='/complete/'] button[type=submit]").click()
    page.wait_for_load_state()
    feedback.refresh_from_db()
    assert (feedback.status, feedback.resolution, feedback.resolved_by.username) == (
        FeedbackStatus.RESOLVED,
        "库存自动校验已上线。",
        "it",
    )


def test_the_manager_closes_a_rollout_monitoring_review_from_the_inbox(page):
    from pilots.choices import PilotWorkKind
    from pilots.models import MonitoringReview

    review = MonitoringReview.objects.filter(work_item__status__in=["open", "claimed"]).select_related("work_item")
    review = review.order_by("period_start").first()
    assert review is not None and review.work_item.kind == PilotWorkKind.MONITORING_REVIEW
    log_in(page, "manager")
    visit(page, f"/work/items/{review.work_item.pk}/")
    if page.locator("form[action$='/claim/'] button").count():
        page.locator("form[action$='/claim/'] button").click()
    assert page.locator("label[for=complete-note]").inner_text() == "Resolution"
    shot(page, "work-item-monitoring-review-en")
    switch_language(page, "zh-hans")
    assert page.locator("label[for=complete-note]").inner_text() == "处理结果"
    shot(page, "work-item-monitoring-review-zh-hans")
    page.fill("#complete-note", "Every department switched on time; keep the weekly cadence.")
    page.locator("form[action$='/complete/'] button[type=submit]").click()
    page.wait_for_load_state()
    review.refresh_from_db()
    assert review.closed_at is not None and review.conclusions.startswith("Every department switched")
