import re

import pytest

from processes.models import StandardVersion, WorkItem


def test_login_home_and_language_switch(page):
    page.open("/")
    assert "/accounts/login/" in page.url  # anonymous visitors land on the login page
    page.shot("login")
    page.login("sales")
    assert page.locator("h1").inner_text().startswith("Welcome, Min Wang")
    page.shot("home-en")
    page.switch_language("zh-hans")
    assert "改进项目的六个阶段" in page.content()
    assert page.locator("nav.sidenav").inner_text().count("阶段") >= 6
    assert "The six phases" not in page.content()
    page.shot("home-zh")
    page.switch_language("en")
    assert "The six phases of an improvement project" in page.content()


def test_phone_menu_is_folded_and_opens(page):
    page.login("sales")
    page.set_viewport_size({"width": 390, "height": 844})
    menu_link = page.locator("nav.sidenav a", has_text="Inbox")
    assert not menu_link.is_visible()
    page.click("nav.sidenav summary")
    assert menu_link.is_visible()


def test_specialist_fills_template_2_sees_errors_and_saves(page):
    page.login("specialist")
    page.open("/standards/processes/new/")
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
    assert "greater than or equal to 0" in page.content()
    page.shot("template2-errors", phone_too=False)
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
    page.shot("template2-saved")


def test_manager_approves_a_submitted_standard(page):
    from processes.models import User
    from processes.services import standards

    published = StandardVersion.objects.get(process__code="order-processing")
    draft = standards.version_new_draft(version=published, user=User.objects.get(username="specialist"))
    standards.version_submit(version=draft, user=User.objects.get(username="specialist"))
    page.login("manager")
    page.open(f"/standards/versions/{draft.pk}/")
    page.click("form[action$='/approve/'] button")
    assert "Approved; it can now be published." in page.content()
    page.click("form[action$='/publish/'] button")
    assert "Published: this is now the current standard." in page.content()
    draft.refresh_from_db()
    assert draft.status == "published"


def test_inbox_claim_and_complete_and_escalation_reaches_the_supervisor(page):
    page.login("sales")
    page.open("/work/")
    page.shot("inbox")
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
    page.login("manager")
    page.open("/work/notifications/")
    assert "Overdue (level 1): Sales reviews the order" in page.content()
    page.shot("notifications")


@pytest.mark.parametrize("which", ["dashboard", "effect-table"])
def test_dashboards_draw_their_charts(page, which):
    from metrics.models import Evaluation

    path = "/metrics/" if which == "dashboard" else f"/metrics/evaluations/{Evaluation.objects.get().pk}/"
    page.login("manager")
    page.open(path)
    page.wait_for_selector("[data-chart-target] .main-svg")
    points = page.locator("[data-chart-target] .main-svg .point, [data-chart-target] .main-svg path.point")
    bars = page.locator("[data-chart-target] .main-svg .bars path, [data-chart-target] .main-svg .points path")
    assert points.count() + bars.count() > 0
    page.shot(which)
    page.switch_language("zh-hans")
    page.wait_for_selector("[data-chart-target] .main-svg")
    page.shot(which + "-zh")
