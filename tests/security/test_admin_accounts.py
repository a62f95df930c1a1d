"""Issue 21, hole 6 (accounts): API tokens die with the password; a forgotten password is reset by
e-mail with Django's own views, in both languages, without telling who has an account."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from processes.models import ApiToken, User
from processes.services import tokens

pytestmark = pytest.mark.django_db

ME = "/api/v1/org/users/me/"


def _get(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client.get(ME)


def _without_csrf(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def _token(user):
    return tokens.api_token_create(user=user, name="ERP", days=30)[1]


def test_tokens_are_revoked_when_the_password_changes_in_the_admin(client, users):
    sales = users["sales"]
    secret = _token(sales)
    other = _token(users["cs"])
    assert _get(secret).status_code == 200
    client.force_login(users["it"])
    url = reverse("admin:auth_user_password_change", args=[sales.pk])
    response = client.post(url, {"password1": "Fresh-Password-2026", "password2": "Fresh-Password-2026"})
    assert response.status_code == 302
    assert _get(secret).status_code == 401
    assert _get(other).status_code == 200  # somebody else's token is untouched


def test_tokens_are_revoked_when_i_change_my_own_password(client, users):
    sales = users["sales"]
    sales.set_password("Old-Password-2026")
    sales.save()
    secret = _token(sales)
    client.force_login(sales)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "Change my password" in page.content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "Old-Password-2026",
            "new_password1": "New-Password-2026",
            "new_password2": "New-Password-2026",
        },
    )
    assert response.status_code == 302
    assert _get(secret).status_code == 401
    assert not ApiToken.objects.filter(user=sales).exists()
    assert client.get(ME).status_code == 200  # the session that changed it stays logged in


def test_saving_a_user_without_a_new_password_keeps_the_tokens(users):
    sales = users["sales"]
    secret = _token(sales)
    sales.first_name = "Min-Jie"
    sales.save()
    assert _get(secret).status_code == 200


@pytest.mark.parametrize(("language", "title"), [("en", "Reset your password"), ("zh-hans", "重设密码")])
def test_a_forgotten_password_is_reset_by_e_mail(client, users, language, title):
    sales = users["sales"]
    secret = _token(sales)
    login = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert reverse("password_reset") in login
    page = client.get(reverse("password_reset"), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200 and title in page.content.decode()
    response = client.post(reverse("password_reset"), {"email": sales.email}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302
    done = client.get(response.url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [sales.email]
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    assert sales.username in mail.outbox[0].body
    # an unknown address answers with the same page and sends nothing
    unknown = client.post(reverse("password_reset"), {"email": "nobody@x.example"}, HTTP_ACCEPT_LANGUAGE=language)
    assert unknown.status_code == 302 and unknown.url == response.url
    again = client.get(unknown.url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert _without_csrf(again) == _without_csrf(done)
    assert len(mail.outbox) == 1

    form = client.get(link, follow=True, HTTP_ACCEPT_LANGUAGE=language)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "Reset-Password-2026", "new_password2": "Reset-Password-2026"})
    assert response.status_code == 302
    assert _get(secret).status_code == 401
    client.logout()
    response = client.post(reverse("login"), {"username": "sales", "password": "Reset-Password-2026"})
    assert response.status_code == 302
    assert User.objects.get(pk=sales.pk).check_password("Reset-Password-2026")
