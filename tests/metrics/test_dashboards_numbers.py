"""The numbers behind the dashboards' charts, exported as CSV/XLSX, equal hand-computed values for
known runs; the filters select what they say; formula-looking labels are neutralised in exports."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from pilots.services import pilot as pilots
from processes import access, demo
from processes.models import Department, StandardVersion
from processes.services import standards, work

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)  # a Tuesday morning, inside the pilot
MARCH = "days=custom&from=2026-03-01&to=2026-03-31"


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def known(org, users):
    """Order processing with v2 (review within 1.5 h) piloted by Sales East against Sales South.

    Minutes each manual step took (review, stock, hand-off), nobody claiming first (all waiting):
    pilot P1 60, 30, 30 (2 h), pilot P2 120, 30, 90 (4 h), control C1 150, 30, 20 (3 h 20).
    """
    sales = org["departments"]["sales"]
    east = Department.objects.create(code="sales-east", name_en="Sales East", name_zh="华东销售组", parent=sales)
    south = Department.objects.create(code="sales-south", name_en="Sales South", name_zh="华南销售组", parent=sales)
    for user in users.values():
        access.forget(user)
    demo.load_processes()
    current = StandardVersion.objects.get(process__code="order-processing", status="published")
    draft = standards.version_new_draft(version=current, user=users["specialist"], change_note="Faster review")
    review = draft.steps.get(position=2)
    standards.step_limit_change(
        version=draft, user=users["specialist"], key=review.key, time_limit="1.5", time_unit="hours"
    )
    standards.version_submit(version=draft, user=users["specialist"])
    standards.version_approve(version=draft, user=users["manager"])
    pilot = pilots.pilot_create(
        user=users["manager"],
        version=draft,
        name_en="East tries a faster review",
        departments=[east],
        control_departments=[south],
        starts_on=date(2026, 3, 9),
        ends_on=date(2026, 3, 20),
        owner=users["manager"],
    )
    pilot = pilots.pilot_start(pilot=pilot, user=users["manager"])
    who = [users["sales"], users["warehouse"], users["logistics"]]

    def run(department, minutes):
        run, _ = work.run_start(version=current, user=users["sales"], department=department, at=T0)
        t = T0
        for person, spent in zip(who, minutes, strict=True):
            item = run.items.get(kind="step", status__in=["open", "claimed"])
            t += timedelta(minutes=spent)
            work.item_complete(item=item, user=person, checks=item.step.checks, at=t)
        return run

    runs = {"P1": run(east, [60, 30, 30]), "P2": run(east, [120, 30, 90]), "C1": run(south, [150, 30, 20])}
    assert {r.pilot_link.arm for r in runs.values()} == {"pilot", "control"}
    return {"pilot": pilot, "current": current, "trial": draft, "runs": runs, "east": east, "south": south}


def test_pilot_charts_export_the_hand_computed_numbers(known, client, users):
    client.force_login(users["manager"])
    pk = known["pilot"].pk
    # mean of the two groups' means (3 h, 3 h 20) puts the mean in the fourth 1-hour bucket
    assert rows_of(client.get(f"/metrics/charts/pilot/cycle-time.csv?pilot={pk}")) == [
        ["Cycle time from (h)", "to (h)", "Runs: Pilot", "Runs: Control"],
        ["2.0", "3.0", "1", "0"],  # P1: 2 h
        ["3.0", "4.0", "0", "1"],  # C1: 3 h 20
        ["4.0", "5.0", "1", "0"],  # P2: 4 h
    ]
    assert rows_of(client.get(f"/metrics/charts/pilot/step-time.csv?pilot={pk}")) == [
        [
            "Step",
            "Limit (pilot standard)",
            "Limit (current standard)",
            "Mean time (h): Pilot",
            "Steps finished: Pilot",
            "Mean time (h): Control",
            "Steps finished: Control",
        ],
        ["2. Sales reviews the order", "≤ 1.5 h", "≤ 2 h", "1.5", "2", "2.5", "1"],  # (60 + 120) / 2 min
        ["3. Warehouse confirms stock", "≤ 1 h", "≤ 1 h", "0.5", "2", "0.5", "1"],
        ["4. Logistics hands off to the courier", "≤ 1 h", "≤ 1 h", "1.0", "2", "0.33", "1"],  # 20 min
    ]
    on_time = rows_of(client.get(f"/metrics/charts/pilot/step-on-time.csv?pilot={pk}"))
    assert on_time[1:] == [
        # pilot: P1 on time (60 <= 90 min), P2 late; control C1 late (150 > 120 min)
        ["2. Sales reviews the order", "2", "1", "50.0", "1", "0", "0.0"],
        ["3. Warehouse confirms stock", "2", "2", "100.0", "1", "1", "100.0"],
        ["4. Logistics hands off to the courier", "2", "1", "50.0", "1", "1", "100.0"],  # P2 took 90 min
    ]
    # the page shows the same numbers and the summary
    page = client.get(f"/metrics/pilot/?pilot={pk}").content.decode()
    assert "East tries a faster review" in page and "3.0 h / 3.33 h" in page and "-10.0%" in page


def test_overview_numbers_and_filters(known, client, users, departments):
    client.force_login(users["director"])
    trend = rows_of(client.get(f"/metrics/charts/overview/on-time.csv?{MARCH}"))
    # nine manual steps finished in the week of Monday 9 March; late: P2 review and hand-off, C1 review
    assert trend == [
        ["Week", "Steps finished", "With a time limit", "On time", "On-time rate (%)"],
        ["2026-03-09", "9", "9", "6", "66.7"],
    ]
    warehouse = departments["warehouse"].pk
    assert rows_of(client.get(f"/metrics/charts/overview/on-time.csv?{MARCH}&department={warehouse}"))[1] == [
        "2026-03-09",
        "3",
        "3",
        "3",
        "100.0",
    ]
    # another period holds none of them
    assert rows_of(client.get("/metrics/charts/overview/on-time.csv?days=custom&from=2026-04-01&to=2026-04-30")) == [
        ["Week", "Steps finished", "With a time limit", "On time", "On-time rate (%)"]
    ]
    phases = rows_of(client.get("/metrics/charts/overview/projects.csv"))
    assert phases[0] == ["Phase", "Projects"] and len(phases) == 8


def test_process_dashboard_numbers_before_after_and_department(known, client, users):
    client.force_login(users["director"])
    process = known["current"].process_id
    base = f"/metrics/charts/process/{{}}.csv?{MARCH}&process={process}"
    # only C1 ran the current standard (v1); the pilot's runs on the newer v2 are neither before nor after
    assert rows_of(client.get(base.format("cycle-time"))) == [
        ["Cycle time from (h)", "to (h)", "Runs before", "Runs after"],
        ["3.0", "4.0", "0", "1"],
    ]
    assert rows_of(client.get(base.format("step-time")))[1:] == [
        ["2. Sales reviews the order", "2.5", "0.0", "1"],
        ["3. Warehouse confirms stock", "0.5", "0.0", "1"],
        ["4. Logistics hands off to the courier", "0.33", "0.0", "1"],
    ]
    # every run of the process counts in the volume, whichever version it ran
    assert rows_of(client.get(base.format("volume")))[1:] == [["2026-03-09", "3", "3"]]
    east = f"&department={known['east'].pk}"
    assert rows_of(client.get(base.format("volume") + east))[1:] == [["2026-03-09", "2", "2"]]
    assert rows_of(client.get(base.format("cycle-time") + east))[1:] == []
    # Sales holds both teams
    sales = f"&department={known['east'].parent_id}"
    assert rows_of(client.get(base.format("volume") + sales))[1:] == [["2026-03-09", "3", "3"]]


def test_exports_neutralise_formula_looking_labels(known, client, users, departments):
    evil = '=HYPERLINK("http://example.invalid","click")'
    Department.objects.filter(pk=departments["warehouse"].pk).update(name_en=evil)
    version = known["current"]
    run, _ = work.run_start(version=version, user=users["sales"], department=known["south"])
    item = run.items.get(kind="step", position=2)
    work.item_complete(item=item, user=users["sales"])  # the stock step now waits in the warehouse
    client.force_login(users["director"])
    rows = rows_of(client.get("/metrics/charts/overview/backlog.csv"))
    assert ["'" + evil, "1", "0"] in rows
    response = client.get("/metrics/charts/overview/backlog.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["'" + evil, 1, 0] in cells  # the label is text, the numbers stay numbers
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
