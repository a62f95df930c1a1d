import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

PUBLIC = {"/accounts/login/", "/healthz", "/i18n/setlang/", "/jsi18n/"}
# a forgotten password is reset without a login
PUBLIC |= {"/accounts/password-reset/", "/accounts/password-reset/sent/", "/accounts/reset/done/"}


def _page_paths(patterns=None, prefix=""):
    """Every parameter-free page of the site (the admin and the API answer for themselves)."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("admin/", "api/")):
                continue
            yield from _page_paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and not route.startswith("api/") and not set("<^(") & set(route):
            yield "/" + prefix + route


def test_every_page_needs_login(client, org):
    paths = set(_page_paths()) - PUBLIC
    paths |= {reverse("phase", kwargs={"slug": "pilot"})}
    assert "/" in paths and "/organisation/" in paths
    for path in sorted(paths):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("login")), path


def test_login_page_is_public(client, org):
    assert client.get(reverse("login")).status_code == 200


def test_api_schema_and_docs_need_login(client, org):
    assert client.get(reverse("api-schema")).status_code == 401
    assert client.get(reverse("api-docs")).status_code == 401


def test_logging_in_shows_home_with_phases(client, users):
    response = client.post(reverse("login"), {"username": "sales", "password": "demo"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Welcome, Min Wang" in html
    for title in ("Preparation", "Process mapping", "Standard setting", "Pilot run", "Full rollout"):
        assert title in html


def test_wrong_password_shows_an_error(client, users):
    response = client.post(reverse("login"), {"username": "sales", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_unknown_phase_is_404(login, users):
    assert login(users["sales"]).get("/phases/nowhere/").status_code == 404


def test_language_switch_changes_page_text(client, users):
    client.force_login(users["sales"])
    html = client.get("/").content.decode()
    assert "The six phases of an improvement project" in html
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "改进项目的六个阶段" in html
    assert "The six phases of an improvement project" not in html
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    assert "The six phases of an improvement project" in response.content.decode()


def test_chinese_department_names_follow_the_language(client, users):
    client.force_login(users["it"])
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("org")).content.decode()
    assert "销售部" in html and "仓储部" in html
