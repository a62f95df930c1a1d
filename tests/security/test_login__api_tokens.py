"""API token guessing: bad tokens are counted per client address and per token prefix, separately. A
valid token always works from an address that guessed (behind a proxy every client may share one
address); a prefix that is being guessed is refused to the addresses that guessed; requests without a
token are never counted; the counts expire."""

import secrets
import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from opsflow import security

pytestmark = pytest.mark.django_db

ME = "/api/v1/org/users/me/"


@pytest.fixture(autouse=True)
def clean_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tokens(users):
    from processes.services.tokens import api_token_create

    return {name: api_token_create(user=users[name], name="ci", days=30)[1] for name in ("manager", "sales")}


def _get(token, address):
    return APIClient(REMOTE_ADDR=address).get(ME, HTTP_AUTHORIZATION=f"Token {token}")


def _random_token():
    return "opsflow_" + secrets.token_hex(32)


def test_a_valid_token_works_from_an_address_that_presented_many_bad_ones(tokens, settings):
    """Behind a proxy with OPSFLOW_PROXY_COUNT=0 every client has the proxy's address: one guesser
    used to lock every token for 10 minutes."""
    settings.OPSFLOW_PROXY_COUNT = 0
    proxy = "10.9.9.9"
    answers = [_get(_random_token(), proxy).status_code for _ in range(security.TOKEN_FAILURE_LIMIT + 5)]
    assert answers == [401] * security.TOKEN_FAILURE_LIMIT + [429] * 5
    response = _get(tokens["sales"], proxy)
    assert response.status_code == 200 and response.json()["username"] == "sales"
    assert _get(tokens["manager"], proxy).status_code == 200
    # the bad tokens from there are still refused, with the reason and when to come back
    response = _get(_random_token(), proxy)
    assert response.status_code == 429 and "invalid API token from your address" in response.json()["detail"]
    assert int(response["Retry-After"]) == security.TOKEN_FAILURE_WINDOW


def test_a_guessed_prefix_is_refused_to_the_guessing_addresses_only(tokens):
    """20 guesses at the rest of the manager's token, from four addresses (none over its own limit)."""
    prefix = tokens["manager"][:15]
    addresses = [f"10.6.0.{n}" for n in range(1, 5)]
    for n in range(security.TOKEN_FAILURE_LIMIT):
        assert _get(prefix + secrets.token_hex(25), addresses[n % 4]).status_code == 401
    guesser = addresses[0]
    response = _get(prefix + secrets.token_hex(25), guesser)
    assert response.status_code == 429 and prefix in response.json()["detail"]
    assert _get(tokens["manager"], guesser).status_code == 429  # no lookup for that prefix from there
    # other prefixes from the same address: as usual
    assert _get(tokens["sales"], guesser).status_code == 200
    assert _get(_random_token(), guesser).status_code == 401
    # the owner, from an address that guessed nothing, keeps working
    assert _get(tokens["manager"], "10.7.0.1").status_code == 200


def test_requests_without_a_token_are_not_counted(users, tokens, client):
    address = "10.8.0.1"
    anonymous = APIClient(REMOTE_ADDR=address)
    for _ in range(security.TOKEN_FAILURE_LIMIT + 5):
        assert anonymous.get(ME).status_code in (401, 403)
        assert anonymous.get(ME, HTTP_AUTHORIZATION="Token").status_code == 401  # malformed: not a guess
        assert anonymous.get(ME, HTTP_AUTHORIZATION="Token a b").status_code == 401
        assert anonymous.get(ME, HTTP_AUTHORIZATION="Basic eDp5").status_code in (401, 403)
    client.force_login(users["sales"])
    for _ in range(security.TOKEN_FAILURE_LIMIT + 5):
        assert client.get(ME, REMOTE_ADDR=address).status_code == 200
    assert security.token_address_failures(anonymous.get(ME).wsgi_request) == 0
    assert _get(_random_token(), address).status_code == 401


def test_the_counts_expire(tokens, monkeypatch, rf):
    monkeypatch.setattr(security, "TOKEN_FAILURE_WINDOW", 2)
    address = "10.8.0.2"
    prefix = tokens["manager"][:15]
    request = rf.get(ME, REMOTE_ADDR=address)
    for _ in range(security.TOKEN_FAILURE_LIMIT):  # counted directly: 20 requests may take longer than 2 s
        security.token_failure_note(request, prefix)
    assert _get(_random_token(), address).status_code == 429
    assert _get(tokens["manager"], address).status_code == 429
    time.sleep(2.2)
    assert _get(_random_token(), address).status_code == 401
    assert _get(tokens["manager"], address).status_code == 200


def test_a_token_that_is_not_text_is_401_not_500(users):
    response = APIClient(REMOTE_ADDR="10.8.0.3").get(ME, HTTP_AUTHORIZATION="Token opsflow_\xff\xfe\xfd")
    assert response.status_code == 401
