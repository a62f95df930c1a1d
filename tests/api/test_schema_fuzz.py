"""Schema-driven fuzzing (schemathesis) of the whole API, in process against the WSGI app, as an
administrator on the demo data: valid and invalid requests for every operation of the OpenAPI
schema; no answer may be a server error, and every documented answer must match its schema.

The examples per operation are bounded (``OPSFLOW_FUZZ_EXAMPLES``, default 12 valid + 6 invalid) so
the run takes about two minutes on two cores; the same examples every run, unless
``OPSFLOW_FUZZ_RANDOM=1``. Raise both locally to dig deeper. Failures are collected over
all operations and reported together, each with the request that caused it.
"""

import json
import os
import time

import pytest
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authentication import SessionAuthentication

from opsflow.api.throttling import UserRateThrottle

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

# transaction=True: requests run in autocommit as in production (on PostgreSQL one failed statement
# inside a wrapping test transaction would fail every later request)
pytestmark = pytest.mark.django_db(transaction=True)

VALID = int(os.environ.get("OPSFLOW_FUZZ_EXAMPLES", "12"))
INVALID = max(1, VALID // 2)
RANDOM = os.environ.get("OPSFLOW_FUZZ_RANDOM") == "1"
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def demo_data(org):
    from opsflow import demo

    for loader in demo.LOADERS[1:]:  # the organisation is loaded by ``org``
        loader()


@pytest.fixture
def session_cookie(client, users, monkeypatch):
    # the browser's way in: a session (CSRF is the browser's concern, not this test's)
    monkeypatch.setattr(SessionAuthentication, "enforce_csrf", lambda self, request: None)
    monkeypatch.setattr(UserRateThrottle, "allow_request", lambda self, request, view: True)
    client.force_login(users["admin"])
    return {"sessionid": client.cookies["sessionid"].value}


def openapi_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def _describe(exc) -> str:
    """The failure and the request that caused it (schemathesis groups them; the causes hold the detail)."""
    parts = [str(exc)]
    for cause in getattr(exc, "exceptions", ()):
        parts.append(str(cause))
    return "\n".join(parts)[:3000]


def test_no_server_error_and_no_schema_violation_anywhere(demo_data, session_cookie):
    schema = schemathesis.openapi.from_dict(openapi_schema())
    app = get_wsgi_application()
    failures, operations, started = [], 0, time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, examples in ((GenerationMode.POSITIVE, VALID), (GenerationMode.NEGATIVE, INVALID)):

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=not RANDOM,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                case.call_and_validate(app=app, cookies=session_cookie, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                pass  # nothing to make invalid (no parameters, no body)
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures, then report
                failures.append(f"{operation.label} [{mode.value}]: {_describe(exc)}")

    elapsed = time.monotonic() - started
    print(f"\nfuzzed {operations} operations in {elapsed:.0f} s")
    assert operations >= 100
    assert not failures, f"{len(failures)} failing operation(s):\n\n" + "\n\n".join(failures)
