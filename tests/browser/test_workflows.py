"""Whole workflows in the browser on the demo data: template 2, approval, the inbox, the dashboards."""

import re

import pytest

from processes.models import StandardVersion, WorkItem
from tests.browser import log_in, shot, switch_language, visit

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_world")]


def test_specialist_fills_template_2_sees_errors_and_saves(page):
    log_in(page, "specialist")
    visit(page, "/standards/processes/new/")
    page.fill("#id_code", "returns")
    page.fill("#id_name_en", "Returns handling")
    page.fill("#id_name_zh", "退货处理")
    page.select_option("#id_department", label="Sales")
    page.click("form button[type=submit].btn--primary")
    assert re.search(r"/standards/versions/\d+/edit/$", page.url)
    page.fill("#id_goal_en", "Every return refunded within 3 working days")
    page.fill("#id_scope_en", "Online-shop returns")
    page.click("button[data-add=steps]")
    page.click("button[data-add=steps]")
    steps = page.locator("[data-formset=steps] > [data-row]")
    assert steps.count() == 2
    first, second = steps.nth(0), steps.nth(1)
    first.locator("input[name$='-name_en']").fill("Check the parcel")
    first.locator("select[name$='-department']").select_option(label="Warehouse")
    first.locator("input[name$='-time_limit']").fill("-2")  # wrong on purpose
    second.locator("input[name$='-name_en']").fill("Refund the customer")
    second.locator("select[name$='-department']").select_option(label="Sales")
    second.locator("input[name$='-time_limit']").fill("1")
    second.locator("select[name$='-time_unit']").select_option("working_days")
    second.locator("button[data-move=up]").click()  # refund first, then the parcel check
    assert page.locator("[data-formset=steps] > [data-row]").nth(0).locator(
        "input[name$='-name_en']"
    ).input_value() == ("Refund the customer")
    page.click("button[name=save]")
    assert "The standard was not saved" in page.content()
    assert "A time limit must be more than 0" in page.content()
    shot(page, "template2-errors", check_overflow=False)
    # nothing typed was lost; fix the limit and save
    bad = page.locator("input[name$='-time_limit']").filter(has=page.locator("xpath=self::*[@value='-2']"))
    rows = page.locator("[data-formset=steps] > [data-row]")
    assert rows.count() == 2
    for index in range(2):
        field = rows.nth(index).locator("input[name$='-time_limit']")
        if field.input_value() == "-2":
            field.fill("2")
    assert bad is not None
    page.click("button[name=save]")
    assert re.search(r"/standards/versions/\d+/$", page.url)
    table = page.locator("table.template2").inner_text()
    assert table.index("Refund the customer") < table.index("Check the parcel")
    assert "≤ 1 working day" in table and "≤ 2 h" in table
    shot(page, "template2-saved")


def test_manager_approves_a_submitted_standard(page):
    from processes.models import User
    from processes.services import standards

    # (order processing has the pilot's draft open in the demo: take the complaint process, whose
    # owner department, Customer Service, the operations director manages)
    published = StandardVersion.objects.get(process__code="complaint-handling", status="published")
    draft = standards.version_new_draft(version=published, user=User.objects.get(username="specialist"))
    standards.version_submit(version=draft, user=User.objects.get(username="specialist"))
    log_in(page, "director")
    visit(page, f"/standards/versions/{draft.pk}/")
    page.click("form[action$='/approve/'] button")
    assert "Approved; it can now be published." in page.content()
    page.click("form[action$='/publish/'] button")
    assert "Published: this is now the current standard." in page.content()
    draft.refresh_from_db()
    assert draft.status == "published"


def test_inbox_claim_and_complete_and_escalation_reaches_the_supervisor(page):
    log_in(page, "sales")
    visit(page, "/work/")
    shot(page, "inbox")
    assert "overdue" in page.locator("table").first.inner_text() or "overdue" in page.content()
    page.click("a:text('Sales reviews the order') >> nth=-1")
    item_url = page.url
    page.click("form[action$='/claim/'] button")
    assert "The work is yours now." in page.content()
    checks = page.locator("input[name=checks]")
    for index in range(checks.count()):
        checks.nth(index).check()
    page.click("form[action$='/complete/'] button")
    assert "/work/" in page.url
    pk = int(re.search(r"/items/(\d+)/", item_url).group(1))
    assert WorkItem.objects.get(pk=pk).status == "done"
    # the demo's waiting order escalated to the sales supervisor
    log_in(page, "manager")
    visit(page, "/work/notifications/")
    assert "Overdue (level 1): Sales reviews the order" in page.content()
    shot(page, "notifications")


@pytest.mark.parametrize("which", ["dashboard", "effect-table"])
def test_dashboards_draw_their_charts(page, which):
    from metrics.models import Evaluation

    path = "/metrics/" if which == "dashboard" else f"/metrics/evaluations/{Evaluation.objects.get().pk}/"
    log_in(page, "manager")
    visit(page, path)
    page.wait_for_selector("[data-chart-target] .main-svg")
    points = page.locator("[data-chart-target] .main-svg .point, [data-chart-target] .main-svg path.point")
    bars = page.locator("[data-chart-target] .main-svg .bars path, [data-chart-target] .main-svg .points path")
    assert points.count() + bars.count() > 0
    shot(page, which)
    switch_language(page, "zh-hans")
    page.wait_for_selector("[data-chart-target] .main-svg")
    shot(page, which + "-zh")
