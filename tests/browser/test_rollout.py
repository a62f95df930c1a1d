"""The rollout in the browser on the demo data: the plan page (timetable, coverage, training), a
training session, and the monitoring page with its chart, in English and Chinese, laptop and phone."""

import pytest

from pilots.models import RolloutPlan
from tests.browser import log_in, shot, switch_language, visit

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def demo(demo_world):
    from pilots.demo import rollout as demo_rollout

    demo_rollout.load()


def test_manager_reads_the_rollout_plan_in_english_and_chinese(page):
    plan = RolloutPlan.objects.get(name_en="Order processing: rollout of the new standard")
    log_in(page, "manager")
    visit(page, "/rollouts/")
    assert page.locator("table a", has_text="Order processing: rollout of the new standard").is_visible()
    shot(page, "rollout-list-en")

    visit(page, f"/rollouts/{plan.pk}/")
    timetable = page.locator("#timetable").inner_text()
    assert "HR organises training" in timetable and "IT updates the process nodes" in timetable
    assert page.locator("#timetable tr.is-overdue").count() >= 2  # done late, and open past due
    coverage = page.locator("#coverage").inner_text()
    assert "Sales" in coverage and "Not yet" in coverage
    assert "Execution staff" in page.locator("#training-coverage + .table-wrap").inner_text()
    shot(page, "rollout-plan-en")

    # a milestone sent with mistakes comes back with its errors and what was typed
    page.click("#add-milestone summary")
    page.fill("#add-milestone input[name=title_en]", "Customer service reads the new SOP")
    page.click("#add-milestone button[type=submit]")
    assert page.locator("#add-milestone[open] .errorlist").count() >= 1
    assert page.locator("#add-milestone input[name=title_en]").input_value() == "Customer service reads the new SOP"
    shot(page, "rollout-plan-errors-en")

    switch_language(page, "zh-hans")
    assert "订单处理：新标准推广" in page.locator("h1").inner_text()
    assert "人力资源部组织培训" in page.locator("#timetable").inner_text()
    shot(page, "rollout-plan-zh-hans")


def test_training_session_and_monitoring_pages(page):
    plan = RolloutPlan.objects.get(name_en="Order processing: rollout of the new standard")
    session = plan.sessions.get(tier="execution")
    log_in(page, "manager")
    visit(page, f"/rollouts/{plan.pk}/sessions/{session.pk}/")
    assert page.locator("#material a", has_text="SOP").is_visible()
    assert page.locator("#attendance tbody tr").count() == 3
    shot(page, "rollout-session-en")

    visit(page, f"/rollouts/{plan.pk}/monitoring/")
    page.wait_for_selector(".js-plotly-plot")
    rows = page.locator("#reviews tbody tr")
    assert rows.count() >= 5
    assert "Weekly review" in rows.first.inner_text() and "Daily tracking" in rows.last.inner_text()
    # the demo's reviews: the older ones closed with conclusions, the last two still in the inbox
    assert page.locator("#reviews .chip", has_text="Closed").count() >= 1
    assert page.locator("#reviews details.mini-form").count() == 2
    shot(page, "rollout-monitoring-en")

    switch_language(page, "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shot(page, "rollout-monitoring-zh-hans")
    visit(page, f"/rollouts/{plan.pk}/sessions/{session.pk}/")
    shot(page, "rollout-session-zh-hans")
