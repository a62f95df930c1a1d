import pytest
from rest_framework.test import APIClient

from pilots.services import pilot as pilot_services
from processes import access, demo
from processes.models import Department, StandardVersion, User
from processes.services import standards
from tests.pilots.world import END, START


@pytest.fixture
def org(db):
    """The demo organisation: departments and the nine demo users with their roles."""
    departments, users = demo.load_organisation()
    return {"departments": departments, "users": users}


@pytest.fixture
def users(org):
    return org["users"]


@pytest.fixture
def departments(org):
    return org["departments"]


@pytest.fixture
def login(client):
    def _login(user: User):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api():
    def _api(user: User | None = None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _api


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in English (a request through LocaleMiddleware leaves its language active)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


# A pilot of order processing (tests of pilots, rollout and their webhooks)
# ------------------------------------------------------------------------------


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
