"""Login throttling (django-axes), the audit of authentication failures, API token guessing, and the
security headers of every response."""

import logging

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from opsflow import security

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _try(client, username, password, address="10.1.2.3"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_too_many_wrong_passwords_lock_that_username_from_that_address(users, caplog):
    from axes.models import AccessAttempt

    client = Client()
    with caplog.at_level(logging.INFO, logger="opsflow.security"):
        for _ in range(2):
            response = _try(client, "sales", "wrong-secret")
            assert response.status_code == 200
            assert "correct username and password" in response.content.decode()
        response = _try(client, "sales", "wrong-secret")  # the third failure locks
        assert response.status_code == 429
        html = response.content.decode()
        assert "Too many failed logins" in html and "15 minutes" in html
        assert 'name="username"' in html and 'value="sales"' in html  # the login page, with its form
        # while locked, even the right password is refused, without being checked
        response = _try(client, "sales", "demo")
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
    text = caplog.text
    assert "login failed: username 'sales' from 10.1.2.3" in text
    assert "login locked out: username 'sales' from 10.1.2.3" in text
    assert "wrong-secret" not in text and "demo" not in text.replace("demo_", "")
    assert AccessAttempt.objects.filter(username="sales", ip_address="10.1.2.3").exists()
    # the same person from another address, and another person from the same address, still log in
    assert _try(Client(), "sales", "demo", address="10.9.9.9").status_code == 302
    assert _try(Client(), "warehouse", "demo").status_code == 302


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_a_successful_login_resets_the_count(users):
    client = Client()
    for _ in range(2):
        _try(client, "cs", "nope")
    assert _try(client, "cs", "demo").status_code == 302
    client = Client()
    for _ in range(2):
        assert _try(client, "cs", "nope").status_code == 200


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=2)
def test_the_lockout_message_is_translated_page_and_all(users):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    for _ in range(2):
        response = _try(client, "sales", "nope")
    assert response.status_code == 429
    assert '<html lang="zh-hans">' in response.content.decode()


def test_client_address_behind_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.OPSFLOW_PROXY_COUNT = 0
    assert security.client_ip(request) == "10.0.0.1"  # a forged header is not believed
    settings.OPSFLOW_PROXY_COUNT = 1
    assert security.client_ip(request) == "203.0.113.7"  # what our one proxy saw


def test_bad_api_tokens_are_logged_and_then_answered_429(users, caplog):
    from django.core.cache import cache

    cache.clear()
    client = APIClient(REMOTE_ADDR="10.4.4.4")
    with caplog.at_level(logging.WARNING):
        for _ in range(security.TOKEN_FAILURE_LIMIT):
            response = client.get("/api/v1/org/users/me/", HTTP_AUTHORIZATION="Token opsflow_guess0000000000")
            assert response.status_code == 401
        response = client.get("/api/v1/org/users/me/", HTTP_AUTHORIZATION="Token opsflow_guess0000000000")
    assert response.status_code == 429
    assert "invalid API token" in response.json()["detail"]
    assert "API token rejected" in caplog.text and "10.4.4.4" in caplog.text
    # other addresses are not affected
    other = APIClient(REMOTE_ADDR="10.5.5.5").get("/api/v1/org/users/me/", HTTP_AUTHORIZATION="Token opsflow_x")
    assert other.status_code == 401
    cache.clear()


def test_every_response_carries_the_security_headers(client, users):
    client.force_login(users["sales"])
    for url in (reverse("home"), LOGIN, "/api/v1/org/users/me/", "/healthz"):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if " " in part.strip())
        assert directives["script-src"] == "'self'", url
        assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'self'"
        assert "unsafe-eval" not in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"


def test_production_settings_turn_on_https_and_hsts():
    import subprocess
    import sys

    code = (
        "import django, os; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.X_FRAME_OPTIONS, s.SECURE_CONTENT_TYPE_NOSNIFF)"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "opsflow.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "opsflow.example",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["31536000", "True", "True", "True", "True", "DENY", "True"]
