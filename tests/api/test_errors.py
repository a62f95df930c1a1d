"""Client mistakes answer 4xx in JSON: malformed bodies 400, oversize bodies 413, too many requests 429."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import UserRateThrottle

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b'{"title": "x"', b"nul"])
def test_malformed_json_is_400_not_500(api, users, body):
    response = api(users["admin"]).post("/api/v1/projects/projects/", body, content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()


def test_a_throttled_client_gets_429(api, users, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute"})
    cache.clear()
    client = api(users["admin"])
    codes = [client.get("/api/v1/org/departments/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
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
