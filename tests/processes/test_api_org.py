import pytest
from django.core.management import call_command

from processes.models import ApiToken

pytestmark = pytest.mark.django_db


def test_api_needs_authentication(api, org):
    response = api().get("/api/v1/org/users/")
    assert response.status_code == 401


def test_token_from_apitoken_command_authenticates(api, users, capsys):
    call_command("apitoken", "sales")
    first = capsys.readouterr().out.strip()
    call_command("apitoken", "sales")
    second = capsys.readouterr().out.strip()
    assert first != second and ApiToken.objects.filter(user=users["sales"]).count() == 1
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.get("/api/v1/org/users/me/").status_code == 401  # replaced by the new one of the same name
    client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    response = client.get("/api/v1/org/users/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "sales" and response.json()["roles"] == ["ops_staff"]


def test_apitoken_for_an_unknown_user_fails(org):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("apitoken", "ghost")


def test_user_list_is_scoped_like_the_pages(api, users):
    names = {u["username"] for u in api(users["warehouse"]).get("/api/v1/org/users/").json()["results"]}
    assert names == {"warehouse"}
    names = {u["username"] for u in api(users["manager"]).get("/api/v1/org/users/").json()["results"]}
    assert names == {"manager", "sales", "warehouse", "logistics"}
    assert len(api(users["it"]).get("/api/v1/org/users/").json()["results"]) == 9


def test_department_of_another_scope_is_404(api, users, departments):
    response = api(users["sales"]).get(f"/api/v1/org/departments/{departments['hr'].pk}/")
    assert response.status_code == 404


def test_schema_and_docs_are_served(api, users):
    response = api(users["sales"]).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/org/users/" in response.content
    docs = api(users["sales"]).get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
