import pytest
from rest_framework.test import APIClient

from processes import demo
from processes.models import User


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
