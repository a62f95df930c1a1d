"""The shell every page shares: login, home, top bar languages, the menu (folded on phones)."""

import pytest

from tests.browser import LAPTOP, PHONE, log_in, shot, switch_language, visit

pytestmark = pytest.mark.browser


def test_anonymous_visitor_lands_on_the_login_page(page):
    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/")
    assert page.locator("h1").inner_text() == "Log in to OpsFlow"
    assert page.locator("nav.sidenav").count() == 0  # no menu before logging in
    shot(page, "login-en")

    switch_language(page, "zh-hans")
    assert page.locator("h1").inner_text() == "登录 OpsFlow"
    assert page.get_by_label("用户名").is_visible()
    shot(page, "login-zh-hans")


def test_sales_logs_in_sees_the_six_phases_in_english_and_chinese(page, org):
    log_in(page, "sales")
    assert page.url.endswith("/")
    assert page.locator("h1").inner_text() == "Welcome, Min Wang"
    assert page.get_by_role("heading", name="The six phases of an improvement project").is_visible()
    phases = page.locator("ol.phase-grid > li h3")
    assert phases.all_inner_texts() == [
        "Preparation",
        "Process mapping",
        "Standard setting",
        "Pilot run",
        "Full rollout",
        "Continuous optimization",
    ]
    menu = page.locator("nav.sidenav")
    assert "Inbox" in menu.inner_text()
    shot(page, "home-sales-en")

    switch_language(page, "zh-hans")
    assert page.get_by_role("heading", name="改进项目的六个阶段").is_visible()
    assert phases.count() == 6
    assert phases.first.inner_text() == "前期准备"
    menu_text = menu.inner_text()
    assert "待办" in menu_text  # Inbox
    assert "阶段 1：前期准备" in menu_text
    assert "The six phases" not in page.content()
    assert "Inbox" not in menu_text
    shot(page, "home-sales-zh-hans")

    switch_language(page, "en")
    assert page.get_by_role("heading", name="The six phases of an improvement project").is_visible()
    assert "Inbox" in menu.inner_text()


def test_menu_is_folded_behind_a_toggle_on_a_phone(page, org):
    log_in(page, "sales")
    toggle = page.locator("nav.sidenav summary")
    inbox = page.locator("nav.sidenav a", has_text="Inbox")
    assert not toggle.is_visible()  # on a laptop the menu is always open
    assert inbox.is_visible()

    page.set_viewport_size(PHONE)
    assert toggle.is_visible()
    assert toggle.inner_text() == "Menu"
    assert not inbox.is_visible()
    toggle.click()
    assert inbox.is_visible()
    shot(page, "menu-open-sales-en")
    inbox.click()
    page.wait_for_url("**/work/**")


def test_it_support_sees_every_department(page, org):
    log_in(page, "it")
    visit(page, "/organisation/")
    departments = org["departments"].values()
    headings = page.locator("section.org-dept h2")
    assert headings.count() == len(departments)
    text = " ".join(headings.all_inner_texts())
    for department in departments:
        assert department.name_en in text
    shot(page, "organisation-it-en")
    page.set_viewport_size(PHONE)
    assert _sideways_scrolling_tables(page) == [], "the people tables fit a phone without scrolling sideways"
    page.set_viewport_size(LAPTOP)

    switch_language(page, "zh-hans")
    assert page.locator("h1").inner_text() == "部门与人员"
    text = " ".join(headings.all_inner_texts())
    for department in departments:
        assert department.name_zh in text
    shot(page, "organisation-it-zh-hans")


def _sideways_scrolling_tables(page) -> list[int]:
    """How far each table scrolls sideways inside its wrapper, for those that do."""
    return page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].map(w => w.scrollWidth - w.clientWidth).filter(d => d > 1)"
    )
