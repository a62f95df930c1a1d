"""The demo organisation and data, loaded once per test module and rolled back after it.

``demo_world`` loads ``opsflow.demo.load_all()`` inside one outer transaction that the module's tests
share (each test runs in a savepoint of it, as pytest-django's ``db`` does) and that is rolled back when
the module is done, so no other test module sees the rows.
"""

import pytest
from django.db import transaction


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    from opsflow import demo
    from processes.models import User

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo.load_all()
            yield {user.username: user for user in User.objects.all()}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(demo_world, db):
    """The demo users by username, fresh from the database (their cached roles and scope dropped)."""
    from processes.models import User

    return {user.username: user for user in User.objects.select_related("department")}
