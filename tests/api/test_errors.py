"""Client mistakes answer 4xx in JSON: malformed bodies 400, oversize bodies 413, too many requests 429."""

import json
import re
import threading
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from opsflow.api.throttling import UserRateThrottle

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b'{"title": "x"', b"nul"])
def test_malformed_json_is_400_not_500(api, users, body):
    response = api(users["admin"]).post("/api/v1/projects/projects/", body, content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()


def test_a_throttled_client_gets_429(api, users, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute"})
    cache.clear()
    client = api(users["admin"])
    responses = [client.get("/api/v1/org/departments/") for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 429]
    # Retry-After: the seconds left of the current minute
    assert 1 <= int(responses[2]["Retry-After"]) <= 60
    assert "throttled" in responses[2].json()["detail"].lower()
    # another person has their own count
    assert api(users["director"]).get("/api/v1/org/departments/").status_code == 200
    cache.clear()


def test_the_rate_counts_every_request_of_simultaneous_ones(monkeypatch, users):
    """8 threads send 50 requests each at the same instant against a rate of 100 a minute: exactly 100
    pass (a list read and written back by each request loses the ones that overlap). The cache is
    Redis in CI's PostgreSQL run and the local-memory cache otherwise."""
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "100/minute"})
    monkeypatch.setattr(UserRateThrottle, "timer", lambda self: 1_800_000_030.0)  # one window for all
    cache.clear()
    request = SimpleNamespace(user=users["admin"])
    allowed, start = [], threading.Barrier(8)

    def send():
        start.wait()
        allowed.extend(UserRateThrottle().allow_request(request, None) for _ in range(50))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 400 and allowed.count(True) == 100
    throttle = UserRateThrottle()
    assert throttle.allow_request(request, None) is False
    assert throttle.wait() == 30  # the window is 1_800_000_000 to 1_800_000_060
    cache.clear()


def test_the_count_starts_again_in_the_next_window(monkeypatch, users):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute"})
    clock = [1_800_000_050.0]
    monkeypatch.setattr(UserRateThrottle, "timer", lambda self: clock[0])
    cache.clear()
    request = SimpleNamespace(user=users["admin"])
    assert [UserRateThrottle().allow_request(request, None) for _ in range(3)] == [True, True, False]
    clock[0] += 10  # 1_800_000_060: a new minute
    assert [UserRateThrottle().allow_request(request, None) for _ in range(3)] == [True, True, False]
    cache.clear()


def test_the_schema_declares_the_common_errors_on_every_operation():
    """Generated clients must know 429 and 503 (retry later) everywhere, and 413 wherever a body goes."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (method, operation)
        for path in schema["paths"].values()
        for method, operation in path.items()
        if isinstance(operation, dict) and "responses" in operation
    ]
    assert len(operations) > 100
    for method, operation in operations:
        assert {"429", "503"} <= set(operation["responses"]), operation["operationId"]
        if method in ("post", "put", "patch"):
            assert "413" in operation["responses"], operation["operationId"]
    assert "Retry-After" in schema["paths"]["/api/v1/work/items/"]["get"]["responses"]["503"]["description"]


# Nesting and JSON error pages
# ------------------------------------------------------------------------------
def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/projects/projects/"),
        ("post", "/api/v1/work/runs/"),
        ("post", "/api/v1/processes/processes/"),
        ("post", "/api/v1/work/events/"),
    ],
)
@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_deeply_nested_json_is_400_json_on_every_endpoint(api, users, settings, method, url, levels):
    """2 KB of ``[[[[…`` was a RecursionError (500, an HTML page in production)."""
    from processes.models import ImprovementProject as Project

    settings.DEBUG = False
    client = api(users["admin"])
    client.raise_request_exception = False  # what a real client sees: Django's handler, not the traceback
    before = Project.objects.count()
    response = getattr(client, method)(url, _nested(levels), content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert "more than 64 levels deep" in response.json()["detail"]
    assert Project.objects.count() == before


def test_nesting_up_to_the_limit_is_parsed_and_brackets_in_strings_do_not_count(api, users):
    from rest_framework.exceptions import ParseError

    from opsflow.api.parsers import MAX_JSON_DEPTH, parse_json

    expected = []
    for _ in range(MAX_JSON_DEPTH - 1):
        expected = [expected]
    assert parse_json(_nested(MAX_JSON_DEPTH)) == expected  # the deepest accepted
    with pytest.raises(ParseError, match="more than 64 levels"):
        parse_json(_nested(MAX_JSON_DEPTH + 1))
    body = json.dumps({"title": "[" * 5000 + '\\"{' * 100, "note": [[["]]]]]"]]]})
    assert parse_json(body)["title"].startswith("[[[")
    client = api(users["admin"])
    response = client.post("/api/v1/projects/projects/", {"title": "[" * 500, "x": [[[1]]]}, format="json")
    assert response.status_code in (201, 400)
    assert "levels deep" not in response.content.decode()  # refused (if at all) for its fields, not its shape


def test_nested_json_refused_in_chinese(api, users):
    client = api(users["admin"])
    response = client.post(
        "/api/v1/projects/projects/", _nested(5_000), content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400 and "层" in response.json()["detail"]


def test_api_errors_outside_drf_answer_json_in_production(client, settings):
    """An unknown API address, and a server error under /api/, answer JSON (an HTML page for pages)."""
    from django.test import RequestFactory

    from opsflow import errors

    settings.DEBUG = False
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    request = RequestFactory().get("/api/v1/org/departments/")
    response = errors.server_error(request)
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert "detail" in json.loads(response.content)
    assert "text/html" in errors.server_error(RequestFactory().get("/")).get("Content-Type")


# The error answers the schema declares
# ------------------------------------------------------------------------------
def _operations():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (re.sub(r"\{[^}]+\}", "999999", path), method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def test_every_operation_declares_the_errors_it_really_answers(api, users):
    """Each operation is called without credentials, with a bad token, as a person without roles, with an
    unknown id, with a body that is not JSON, one nested too deeply and one of the wrong shape: every
    answer's status must be declared in the schema (generated clients only know declared answers)."""
    from processes.models import User

    nobody = User.objects.create(username="no-roles")
    admin = api(users["admin"])
    undeclared = []
    operations = _operations()
    assert len(operations) > 100
    for url, method, operation in operations:
        declared = set(operation["responses"])
        has_body = method in ("post", "put", "patch")
        calls = [
            ("anonymous", api(), {}),
            ("bad token", APIClient(HTTP_AUTHORIZATION="Token opsflow_" + "0" * 64, REMOTE_ADDR="10.3.0.1"), {}),
            ("no roles", api(nobody), {}),
        ]
        if "999999" in url:
            calls.append(("unknown id", admin, {}))
        if has_body:
            calls += [
                ("not JSON", admin, {"data": "x=1", "content_type": "application/x-www-form-urlencoded"}),
                ("too deep", admin, {"data": "[" * 100 + "]" * 100, "content_type": "application/json"}),
                ("wrong shape", admin, {"data": '{"id": "x", "name": [[]]}', "content_type": "application/json"}),
            ]
        for what, client, kwargs in calls:
            response = getattr(client, method)(url, **kwargs)
            if str(response.status_code) not in declared:
                undeclared.append(f"{method.upper()} {url} ({what}): {response.status_code}")
    cache.clear()  # the bad-token counts
    assert not undeclared, "\n".join(undeclared)


def test_error_answers_have_the_declared_bodies(api, users):
    """The bodies behind the declared codes are the components the exception handler writes."""
    operations = {(url, method): operation for url, method, operation in _operations()}
    create = operations[("/api/v1/projects/projects/", "post")]["responses"]
    assert create["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ValidationErrorBody")
    assert {"400", "401", "403", "413", "415", "429", "503"} <= set(create)
    detail = operations[("/api/v1/projects/projects/999999/", "patch")]["responses"]
    assert {"400", "401", "403", "404", "412", "413"} <= set(detail)
    assert detail["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorDetail")
    assert "409" in operations[("/api/v1/work/items/999999/complete/", "post")]["responses"]
    assert "409" not in operations[("/api/v1/org/departments/", "get")]["responses"]
    assert "400" not in operations[("/api/v1/org/users/me/", "get")]["responses"]
    response = api(users["admin"]).post("/api/v1/projects/projects/", {}, format="json")
    assert response.status_code == 400 and isinstance(response.json(), dict)
