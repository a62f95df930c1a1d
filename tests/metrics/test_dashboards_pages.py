"""The dashboards render for an empty database and for the demo, in English and Chinese; every chart
offers its numbers as a table and as CSV/XLSX; only people with the dashboards capability see them."""

import io
import re

import pytest
from openpyxl import load_workbook

from opsflow import demo

pytestmark = pytest.mark.django_db
PAGES = ("/metrics/", "/metrics/process/", "/metrics/pilot/")


def export_links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="(/metrics/charts/[^"]+)"', html)]


def test_dashboards_render_for_an_empty_database(client, users):
    client.force_login(users["manager"])
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
    assert "No processes yet." in client.get("/metrics/process/").content.decode()
    assert "No pilots you may see yet." in client.get("/metrics/pilot/").content.decode()
    overview = client.get("/metrics/").content.decode()
    assert overview.count("data-chart>") == 4 and "No data for this selection." in overview
    for link in export_links(overview):  # an empty chart still exports its header
        assert client.get(link).status_code == 200, link


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_dashboards_render_for_the_demo_with_every_chart_exported(client, users, language):
    demo.load_all()
    client.force_login(users["manager"])
    charts = 0
    for path in PAGES:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert html.count("data-chart>") >= 3, path
        assert html.count('<details class="chart__data">') == html.count("data-chart>")
        links = export_links(html)
        assert len(links) == 2 * html.count("data-chart>"), path  # CSV and XLSX for every chart
        charts += len(links) // 2
        for link in links:
            export = client.get(link, HTTP_ACCEPT_LANGUAGE=language)
            assert export.status_code == 200, link
            if link.split("?")[0].endswith(".xlsx"):
                workbook = load_workbook(io.BytesIO(export.content))
                assert len(workbook.worksheets) == 2  # the numbers, and the selection they come from
    assert charts == 4 + 4 + 3
    pilot = client.get("/metrics/pilot/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    if language == "en":
        assert "Regional sales team pilot" in pilot and "Sales reviews the order" in pilot
        assert "Mean time per step against the limit" in pilot
    else:
        assert "区域销售组试点" in pilot and "销售审核订单" in pilot


def test_the_effect_chart_exports_its_numbers(client, users):
    from metrics.models import Evaluation

    demo.load_all()
    evaluation = Evaluation.objects.get()
    client.force_login(users["sales"])  # ops staff may read an effect table (VIEW)
    html = client.get(f"/metrics/evaluations/{evaluation.pk}/").content.decode()
    (csv_link, xlsx_link) = export_links(html)
    body = client.get(csv_link).content.decode("utf-8-sig").splitlines()
    assert body[0] == "Indicator,Before,After,Change"
    assert "Average processing time (h),7.0,4.0,↓ 42.86%" in body
    assert client.get(xlsx_link).status_code == 200


def test_ops_staff_without_the_dashboards_capability_get_403(client, users):
    demo.load_all()
    client.force_login(users["sales"])
    for path in (*PAGES, "/metrics/charts/overview/backlog.csv", "/metrics/charts/pilot/cycle-time.xlsx"):
        assert client.get(path).status_code == 403, path
    client.logout()
    assert client.get("/metrics/pilot/").status_code == 302  # to the login page
    client.force_login(users["specialist"])
    assert client.get("/metrics/pilot/").status_code == 200


def test_unknown_charts_formats_and_foreign_filters(client, users, departments):
    demo.load_all()
    client.force_login(users["manager"])
    assert client.get("/metrics/charts/overview/nothing.csv").status_code == 404
    assert client.get("/metrics/charts/overview/backlog.pdf").status_code == 404
    assert client.get("/metrics/charts/elsewhere/backlog.csv").status_code == 404
    # a department outside the manager's scope (HR) is ignored rather than trusted
    hr = departments["hr"].pk
    page = client.get(f"/metrics/?department={hr}&days=9999&from=bad").content.decode()
    assert 'value="84" selected' in page


def test_the_menu_offers_the_pilot_dashboard(client, users):
    client.force_login(users["manager"])
    assert 'href="/metrics/pilot/"' in client.get("/metrics/").content.decode()
    client.force_login(users["sales"])
    assert 'href="/metrics/pilot/"' not in client.get("/").content.decode()


def test_dashboards_run_a_fixed_number_of_queries(client, users, django_assert_max_num_queries):
    demo.load_all()
    client.force_login(users["director"])
    client.get("/metrics/")  # warm the session and the user's roles
    for path, most in (("/metrics/", 20), ("/metrics/process/", 20), ("/metrics/pilot/", 20)):
        with django_assert_max_num_queries(most):
            assert client.get(path).status_code == 200
