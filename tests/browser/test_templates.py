"""Templates 1, 3 and 4 filled through the pages like ops staff do: a field wrong on purpose shows its
error with nothing typed lost, the fix saves, and the saved table shows the rows (template 2 is in
test_workflows.py)."""

import re

import pytest

from tests.browser import log_in, shot, switch_language, visit

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_world")]


def test_template1_current_state_analysis_with_its_steps(page):
    from processes.models import CurrentStateAnalysis, ImprovementProject, Process

    project = ImprovementProject.objects.get(name_en="Order and complaint processes")
    # a third process to analyse: the project covers order processing and complaint handling already
    returns = Process.objects.create(
        code="returns", name_en="Returns handling", name_zh="退货处理", department=project.department
    )
    project.processes.add(returns)
    log_in(page, "director")
    visit(page, f"/projects/{project.pk}/analyses/new/")
    page.select_option("#id_process", label="Returns handling")
    page.fill("#id_owner", "Warehouse, Qiang Zhao")
    page.fill("#id_pain_points_en", "Refunds wait for the warehouse check")
    page.select_option("#id_risk", "high")
    page.click("button[data-add=steps]")
    page.click("button[data-add=steps]")
    rows = page.locator("[data-formset=steps] > [data-row]")
    rows.nth(0).locator("input[name$='-name_en']").fill("Customer sends the parcel back")
    rows.nth(0).locator("input[name$='-hours']").fill("-1")  # wrong on purpose
    rows.nth(1).locator("input[name$='-name_en']").fill("Warehouse checks the parcel")
    rows.nth(1).locator("input[name$='-hours']").fill("24")
    page.click("form button[type=submit].btn--primary")
    assert "Not saved. Please correct the fields marked below." in page.content()
    rows = page.locator("[data-formset=steps] > [data-row]")
    assert rows.nth(1).locator("input[name$='-name_en']").input_value() == "Warehouse checks the parcel"
    assert page.locator("#id_pain_points_en").input_value() == "Refunds wait for the warehouse check"
    shot(page, "template1-errors", check_overflow=False)
    rows.nth(0).locator("input[name$='-hours']").fill("48")
    page.click("form button[type=submit].btn--primary")
    page.wait_for_load_state()
    analysis = CurrentStateAnalysis.objects.get(process=returns)
    assert [s.name_en for s in analysis.steps.order_by("position")] == [
        "Customer sends the parcel back",
        "Warehouse checks the parcel",
    ]
    visit(page, f"/projects/{project.pk}/template1/")
    table = page.locator("main").inner_text()
    assert "Returns handling" in table and "Warehouse checks the parcel" in table
    assert "Order processing" in table  # the seed's rows are still there
    shot(page, "template1-en")
    switch_language(page, "zh-hans")
    assert "退货处理" in page.locator("main").inner_text()
    shot(page, "template1-zh-hans")


def test_template3_pilot_feedback_from_a_team_member(page):
    from pilots.models import FeedbackItem, Pilot

    pilot = Pilot.objects.get()
    log_in(page, "sales")
    visit(page, f"/pilots/{pilot.pk}/")
    page.locator("#feedback summary").click()
    form = page.locator("#feedback form")
    form.locator("select[name=department]").select_option(label="Regional sales team East")
    form.locator("textarea[name=suggestion]").fill("Print the packing list with the order")
    form.locator("select[name=responsible_department]").select_option(label="Warehouse")
    form.locator("input[name=due_days]").fill("3")
    form.locator("button[type=submit]").click()  # the problem is missing
    assert page.locator("#feedback .errorlist").count() >= 1
    assert page.locator("#feedback textarea[name=suggestion]").input_value() == "Print the packing list with the order"
    page.locator("#feedback textarea[name=problem]").fill("Packers look the order up again")
    page.locator("#feedback form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*#feedback$"))
    row = page.locator("table.template3 tbody tr").last
    assert "Packers look the order up again" in row.inner_text()
    assert FeedbackItem.objects.filter(pilot=pilot).count() == 3
    shot(page, "template3-en")


def test_template4_effect_evaluation(page):
    from metrics.models import Evaluation

    log_in(page, "manager")
    visit(page, "/metrics/evaluations/new/")
    page.fill("#id_title", "Order processing after the pilot")
    page.select_option("#id_process", label="Order processing")
    page.fill("#id_baseline_start", "2026-07-01")
    page.fill("#id_baseline_end", "2026-09-30")
    page.fill("#id_evaluation_start", "2026-10-31")
    page.fill("#id_evaluation_end", "2026-10-01")  # before its start, on purpose
    page.click("button[data-add=rows]")
    row = page.locator("[data-formset=rows] > [data-row]").first
    row.locator("select[name$='-indicator']").select_option(label="Average processing time")
    row.locator("select[name$='-target_kind']").select_option("absolute")
    row.locator("input[name$='-target_value']").fill("4")
    page.click("form button[type=submit].btn--primary")
    assert "The evaluation period ends before it starts." in page.content()
    assert page.locator("#id_title").input_value() == "Order processing after the pilot"
    before = Evaluation.objects.count()
    page.fill("#id_evaluation_start", "2026-10-01")
    page.fill("#id_evaluation_end", "2026-10-31")
    page.click("form button[type=submit].btn--primary")
    page.wait_for_url(re.compile(r".*/metrics/evaluations/\d+/$"))
    assert Evaluation.objects.count() == before + 1
    table = page.locator("table").first.inner_text()
    assert "Average processing time" in table
    shot(page, "template4-en")
    switch_language(page, "zh-hans")
    assert "平均处理时长" in page.locator("table").first.inner_text()
    shot(page, "template4-zh-hans")
