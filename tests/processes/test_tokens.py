"""Personal API tokens (django-rest-knox): named, expiring, revocable; the page lists one's own."""

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from processes.models import ApiToken
from processes.services import tokens

pytestmark = pytest.mark.django_db

ME = "/api/v1/org/users/me/"


def _get(secret, path=ME):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client.get(path)


def test_a_named_token_works_until_it_expires_and_the_rejection_is_logged(users, caplog):
    token, secret = tokens.api_token_create(user=users["sales"], name="ERP", days=30)
    assert secret.startswith("opsflow_") and token.token_key == secret[:15]
    assert token.expiry - timezone.now() > timedelta(days=29, hours=23)
    assert not ApiToken.objects.filter(digest=secret).exists()  # only a digest is stored
    response = _get(secret)
    assert response.status_code == 200 and response.json()["username"] == "sales"
    token.refresh_from_db()
    assert token.last_used_at is not None

    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    with caplog.at_level(logging.WARNING, logger="opsflow.api.tokens"):
        assert _get(secret).status_code == 401
    assert any("API token rejected" in r.getMessage() and token.token_key in r.getMessage() for r in caplog.records)
    assert any("expired" in r.getMessage() for r in caplog.records)
    assert not ApiToken.objects.filter(pk=token.pk).exists()  # knox removes it


def test_several_named_tokens_and_revoking_one_leaves_the_others(users, caplog):
    erp, erp_secret = tokens.api_token_create(user=users["sales"], name="ERP", days=90)
    _, bi_secret = tokens.api_token_create(user=users["sales"], name="BI", days=None)
    assert _get(erp_secret).status_code == 200 and _get(bi_secret).status_code == 200
    tokens.api_token_revoke(token=erp, user=users["sales"])
    with caplog.at_level(logging.WARNING, logger="opsflow.api.tokens"):
        assert _get(erp_secret).status_code == 401
    assert "API token rejected" in caplog.text
    assert _get(bi_secret).status_code == 200
    assert _get("opsflow_not-a-real-token").status_code == 401


def test_a_wrong_secret_under_a_real_prefix_and_an_inactive_person_are_refused_in_the_clients_language(users):
    token, secret = tokens.api_token_create(user=users["sales"], name="ERP", days=30)
    forged = secret[:15] + ("A" if secret[15] != "A" else "B") + secret[16:]
    response = APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {forged}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 401 and response.json()["detail"] == "令牌无效。"
    assert _get(forged).json()["detail"] == "Invalid token."
    assert _get(secret).status_code == 200
    users["sales"].is_active = False
    users["sales"].save(update_fields=["is_active"])
    assert _get(secret).status_code == 401


def test_token_input_is_checked(users):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        tokens.api_token_create(user=users["sales"], name=" ", days=30)
    with pytest.raises(ValidationError):
        tokens.api_token_create(user=users["sales"], name="x", days=0)
    with pytest.raises(ValidationError):
        tokens.api_token_create(user=users["sales"], name="x" * 101, days=30)
    token, _ = tokens.api_token_create(user=users["warehouse"], name="WMS", days=30)
    with pytest.raises(PermissionDenied):
        tokens.api_token_revoke(token=token, user=users["sales"])
    tokens.api_token_revoke(token=token, user=users["it"])  # IT support may
    assert not ApiToken.objects.exists()


def test_apitoken_command_names_rotates_and_sets_the_expiry(users, capsys):
    call_command("apitoken", "sales", "--name", "ERP", "--days", "7")
    first = capsys.readouterr().out.strip()
    call_command("apitoken", "sales", "--name", "BI", "--days", "0")
    other = capsys.readouterr().out.strip()
    call_command("apitoken", "sales", "--name", "ERP")
    second = capsys.readouterr().out.strip()
    assert _get(first).status_code == 401  # replaced by the new ERP token
    assert _get(second).status_code == 200 and _get(other).status_code == 200
    rows = {t.name: t for t in ApiToken.objects.filter(user=users["sales"])}
    assert set(rows) == {"ERP", "BI"}
    assert rows["BI"].expiry is None
    assert timedelta(days=364) < rows["ERP"].expiry - timezone.now() <= timedelta(days=365)
    with pytest.raises(CommandError):
        call_command("apitoken", "sales", "--days", "-1")


def test_my_tokens_page_lists_only_my_tokens_and_shows_a_new_one_once(client, users):
    tokens.api_token_create(user=users["warehouse"], name="Warehouse scanner", days=30)
    mine, _ = tokens.api_token_create(user=users["sales"], name="Sales ERP", days=30)
    client.force_login(users["sales"])
    url = reverse("integrations:tokens")
    html = client.get(url).content.decode()
    assert "Sales ERP" in html and mine.token_key in html
    assert "Warehouse scanner" not in html

    response = client.post(url, {"name": "Reporting", "days": "10"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    created = ApiToken.objects.get(user=users["sales"], name="Reporting")
    secret = response.context["new_token"]["secret"]
    assert secret in response.content.decode() and secret.startswith(created.token_key)
    assert _get(secret).status_code == 200
    assert secret not in client.get(url).content.decode()  # shown once
    assert timedelta(days=9, hours=23) < created.expiry - timezone.now() <= timedelta(days=10)

    assert client.post(url, {"name": "", "days": "0"}).status_code == 400

    # revoking someone else's token through my page is impossible; my own works
    other = ApiToken.objects.get(user=users["warehouse"])
    assert client.post(reverse("integrations:token-revoke"), {"digest": other.digest}).status_code == 404
    response = client.post(reverse("integrations:token-revoke"), {"digest": created.digest})
    assert response.status_code == 302
    assert _get(secret).status_code == 401
    assert ApiToken.objects.filter(pk=other.pk).exists()


def test_it_support_sees_and_revokes_everybodys_tokens_in_the_admin_site(client, users):
    _, secret = tokens.api_token_create(user=users["sales"], name="ERP", days=30)
    token = ApiToken.objects.get()
    client.force_login(users["sales"])
    assert client.get(reverse("admin:processes_apitoken_changelist")).status_code in (302, 403)

    client.force_login(users["it"])
    listing = client.get(reverse("admin:processes_apitoken_changelist"))
    assert listing.status_code == 200 and "ERP" in listing.content.decode()
    response = client.post(
        reverse("admin:processes_apitoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert _get(secret).status_code == 401


def test_the_browser_uses_the_session_with_csrf_checks(users):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users["it"])
    assert client.get(ME).status_code == 200
    response = client.post("/api/v1/org/webhooks/", {"name": "x"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_tokens_of_rest_framework_authtoken_keep_working_after_the_upgrade(users):
    """The migration copies the old one-per-person tokens into knox tokens (digest only)."""
    import importlib

    migration = importlib.import_module("processes.migrations.0009_integrations")
    key = "0123456789abcdef0123456789abcdef01234567"  # the format of rest_framework.authtoken
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40), user_id integer, created timestamp)")
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, users["sales"].pk, "2026-01-05 08:00:00"]
        )
    try:
        migration.copy_drf_tokens(apps, SimpleNamespace(connection=connection))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    token = ApiToken.objects.get(user=users["sales"])
    assert token.expiry is None and token.digest != key
    assert _get(key).status_code == 200
