from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from pilots.services import pilot as pilot_services
from processes import access, demo
from processes.models import Department, StandardVersion
from processes.services import standards

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The pilot runs over two ordinary working weeks in March 2026.
START, END = date(2026, 3, 9), date(2026, 3, 20)
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)  # a Tuesday morning inside the pilot


@pytest.fixture
def teams(org):
    """Two sales teams under Sales: East tries the new standard, South is the control group."""
    sales = org["departments"]["sales"]
    east = Department.objects.create(code="sales-east", name_en="Sales East", name_zh="华东销售组", parent=sales)
    south = Department.objects.create(code="sales-south", name_en="Sales South", name_zh="华南销售组", parent=sales)
    for user in org["users"].values():
        access.forget(user)  # their department scope now includes the new teams
    return {"east": east, "south": south, "sales": sales}


@pytest.fixture
def trial(org, users):
    """Order processing: v1 published, v2 (a copy) approved and ready to be piloted."""
    demo.load_processes()
    current = StandardVersion.objects.get(process__code="order-processing", status="published")
    draft = standards.version_new_draft(version=current, user=users["specialist"], change_note="Faster review")
    standards.version_submit(version=draft, user=users["specialist"])
    standards.version_approve(version=draft, user=users["manager"])
    draft.refresh_from_db()
    return {"current": current, "trial": draft}


@pytest.fixture
def running(trial, teams, users):
    """The trial version running in Sales East, beside Sales South as the control group."""
    pilot = pilot_services.pilot_create(
        user=users["manager"],
        version=trial["trial"],
        name_en="Faster order review",
        name_zh="订单审核提速",
        departments=[teams["east"]],
        control_departments=[teams["south"]],
        starts_on=START,
        ends_on=END,
        owner=users["manager"],
    )
    return pilot_services.pilot_start(pilot=pilot, user=users["manager"])
