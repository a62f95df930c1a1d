"""A database that cannot be reached answers 503 (a short page, or JSON for the API) with Retry-After;
other errors stay what they were. The errors here are real ones, from a port nobody listens on and from
a query on a missing table. The restart under load itself: tests/reliability/test_database_outage.py."""

import json

import pytest
from django.db.utils import ConnectionHandler
from django.test import RequestFactory

from opsflow import errors
from opsflow.api.exceptions import exception_handler
from tests import unused_port


def _error_from(blocker, settings: dict, sql: str | None = None) -> Exception:
    """The error Django raises for ``sql`` on a database of its own (not the test database)."""
    handler = ConnectionHandler({"default": settings})
    try:
        with blocker.unblock(), handler["default"].cursor() as cursor:
            cursor.execute(sql or "SELECT 1")
    except Exception as exc:
        return exc
    finally:
        handler.close_all()
    pytest.fail("no error")


@pytest.fixture(scope="module")
def refused(django_db_blocker):
    """What Django raises when PostgreSQL is not there (stopped, restarting)."""
    port = unused_port()
    return _error_from(
        django_db_blocker,
        {"ENGINE": "django.db.backends.postgresql", "NAME": "opsflow", "USER": "opsflow", "HOST": "127.0.0.1"}
        | {"PORT": str(port), "OPTIONS": {"connect_timeout": 2}},
    )


@pytest.fixture(scope="module")
def missing_table(django_db_blocker):
    return _error_from(
        django_db_blocker, {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}, "SELECT * FROM nowhere"
    )


def _handled(exc, handler):
    try:
        raise exc
    except Exception:
        return handler()


def test_a_refused_connection_is_unavailable_and_a_bug_is_not(refused, missing_table):
    assert errors.database_unavailable(refused)
    assert not errors.database_unavailable(missing_table)
    assert not errors.database_unavailable(ValueError("x"))


def test_pages_get_a_503_page_that_needs_no_database(refused):
    response = _handled(refused, lambda: errors.server_error(RequestFactory().get("/work/")))
    assert response.status_code == 503 and response["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "Temporarily unavailable" in page and "cannot reach its database" in page and "Traceback" not in page


def test_the_api_gets_json(refused):
    response = _handled(refused, lambda: errors.server_error(RequestFactory().get("/api/v1/work/items/")))
    assert response.status_code == 503 and "cannot reach its database" in json.loads(response.content)["detail"]
    drf = exception_handler(refused, {})
    assert drf.status_code == 503 and drf["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    assert drf.data["detail"].code == "database_unavailable"


def test_other_errors_stay_500(missing_table):
    response = _handled(missing_table, lambda: errors.server_error(RequestFactory().get("/work/")))
    assert response.status_code == 500
    assert exception_handler(missing_table, {}) is None  # DRF re-raises it: the usual 500
