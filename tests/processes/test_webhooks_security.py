"""Issue 21, hole 6 (webhooks): the secret is shown once, and targets inside the network (loopback,
link-local, private, metadata) are refused at save time and again at delivery time."""

import pytest
from django.test import override_settings
from django.urls import reverse

from processes.models import WebhookDelivery, WebhookSubscription
from processes.services import webhooks

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch):
    """A resolver under the test's control: host -> addresses (everything else is public)."""
    answers = {}
    monkeypatch.setattr(webhooks, "_resolve", lambda host, port: answers.get(host, [PUBLIC]), raising=False)
    return answers


def _create(api, users, url="https://erp.example/hooks", **extra):
    body = {"name": "ERP", "url": url, "event_types": ["run.started"], **extra}
    return api(users["it"]).post("/api/v1/org/webhooks/", body, format="json")


def test_the_api_shows_the_secret_once_at_creation_and_never_again(api, users, dns):
    created = _create(api, users)
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert len(secret) >= 32
    pk = created.json()["id"]
    client = api(users["it"])
    assert "secret" not in client.get(f"/api/v1/org/webhooks/{pk}/").json()
    assert all("secret" not in row for row in client.get("/api/v1/org/webhooks/").json()["results"])
    changed = client.patch(f"/api/v1/org/webhooks/{pk}/", {"name": "ERP 2"}, format="json")
    assert changed.status_code == 200 and "secret" not in changed.json()
    assert WebhookSubscription.objects.get(pk=pk).secret == secret  # an edit keeps it
    replaced = client.post(f"/api/v1/org/webhooks/{pk}/replace-secret/", {}, format="json")
    assert replaced.status_code == 200
    new = replaced.json()["secret"]
    assert new != secret and WebhookSubscription.objects.get(pk=pk).secret == new
    assert "secret" not in client.get(f"/api/v1/org/webhooks/{pk}/").json()
    own = client.post(f"/api/v1/org/webhooks/{pk}/replace-secret/", {"secret": "x" * 40}, format="json")
    assert own.status_code == 200 and WebhookSubscription.objects.get(pk=pk).secret == "x" * 40


def test_the_pages_show_the_secret_once(client, users, dns):
    client.force_login(users["it"])
    response = client.post(
        reverse("integrations:webhook-create"),
        {"name": "WMS", "url": "https://wms.example/hooks", "event_types": ["run.started"], "active": "on"},
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    for url in (reverse("integrations:webhooks"), reverse("integrations:webhook-edit", args=[subscription.pk])):
        assert subscription.secret not in client.get(url).content.decode()
    edit = {"name": "WMS", "url": "https://wms.example/hooks", "event_types": ["run.started"], "active": "on"}
    response = client.post(reverse("integrations:webhook-edit", args=[subscription.pk]), edit)
    assert response.status_code == 302
    old = subscription.secret
    subscription.refresh_from_db()
    assert subscription.secret == old
    response = client.post(reverse("integrations:webhook-action", args=[subscription.pk, "replace-secret"]))
    subscription.refresh_from_db()
    assert response.status_code == 200 and subscription.secret != old
    assert subscription.secret in response.content.decode()


@pytest.mark.parametrize(
    ("host", "addresses"),
    [
        ("127.0.0.1", None),
        ("localhost", ["127.0.0.1", "::1"]),
        ("169.254.169.254", None),
        ("metadata.google.internal", ["169.254.169.254"]),
        ("10.0.0.8", None),
        ("intranet.example", ["192.168.1.20"]),
        ("[fd00:ec2::254]", None),
        ("[fe80::1]", None),
        ("[::ffff:127.0.0.1]", None),
        ("0.0.0.0", None),  # noqa: S104 (the target under test)
        ("mixed.example", [PUBLIC, "172.16.0.5"]),
    ],
)
def test_targets_inside_the_network_are_refused(api, users, dns, host, addresses):
    if addresses is not None:
        dns[host] = addresses
    response = _create(api, users, url=f"http://{host}:8080/hook")
    assert response.status_code == 400
    assert "url" in response.json() and "not allowed" in str(response.json()["url"])
    assert not WebhookSubscription.objects.exists()


def test_an_unknown_host_is_refused(api, users, dns):
    dns["nowhere.example"] = []
    response = _create(api, users, url="https://nowhere.example/hook")
    assert response.status_code == 400 and "url" in response.json()


def test_an_operator_setting_allows_private_targets(api, users, dns):
    dns["intranet.example"] = ["192.168.1.20"]
    with override_settings(OPSFLOW_WEBHOOK_ALLOWED_TARGETS=["192.168.1.0/24"]):
        assert _create(api, users, url="http://intranet.example/hook").status_code == 201
        assert _create(api, users, url="http://10.0.0.1/hook", name="x").status_code == 400
    with override_settings(OPSFLOW_WEBHOOK_ALLOWED_TARGETS=["169.254.0.0/16"]):  # metadata stays out
        assert _create(api, users, url="http://169.254.169.254/latest", name="m").status_code == 400
        assert _create(api, users, url="http://169.254.10.1/hook", name="ll").status_code == 201
    with override_settings(OPSFLOW_WEBHOOK_ALLOWED_TARGETS=["169.254.169.254"]):  # only listed by itself
        assert _create(api, users, url="http://169.254.169.254/latest", name="m").status_code == 201
    with override_settings(OPSFLOW_WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        assert _create(api, users, url="http://127.0.0.1:9/hook", name="local").status_code == 201


def test_delivery_checks_the_address_again_and_never_posts_to_a_rebound_host(users, dns, monkeypatch):
    subscription = webhooks.webhook_subscription_save(
        user=users["it"], name="ERP", url="http://erp.example/hook", event_types=["run.started"]
    )
    dns["erp.example"] = ["169.254.169.254"]  # the name now points at the metadata service
    posted = []
    monkeypatch.setattr(webhooks.http.client.HTTPConnection, "request", lambda *a, **k: posted.append(a))
    (delivery,) = webhooks.emit("run.started", {"x": 1}, "run.started:1")
    assert webhooks.webhook_deliver(delivery_id=delivery.pk) is False
    delivery = WebhookDelivery.objects.get(pk=delivery.pk)
    assert posted == [] and "not allowed" in delivery.last_error
    assert subscription.pk == delivery.subscription_id
