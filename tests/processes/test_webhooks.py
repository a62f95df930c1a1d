"""Webhooks: events recorded for the subscriptions that want them, signed posts delivered by Celery
(eager in tests) to a real HTTP receiver on 127.0.0.1, retried with backoff, recorded once."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from pilots.services import pilot as pilots
from processes import tasks
from processes.models import StandardVersion, WebhookDelivery, WebhookSubscription
from processes.services import standards, webhooks, work
from tests import unused_port
from tests.pilots.world import T0

pytestmark = pytest.mark.django_db

ALL_EVENTS = [
    "run.started",
    "run.completed",
    "step.overdue",
    "step.escalated",
    "standard.published",
    "feedback.due",
]


class Receiver:
    """An HTTP server in a thread that answers 500 to the first ``fail_first`` posts, then 200."""

    def __init__(self):
        self.requests = []
        self.fail_first = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = 500 if len(receiver.requests) < receiver.fail_first else 200
                    receiver.requests.append({"headers": self.headers, "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/opsflow"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    """These tests post to a receiver on 127.0.0.1, which the default settings refuse (issue 21)."""
    settings.OPSFLOW_WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def order(org):
    from processes import demo

    demo.load_processes()
    return StandardVersion.objects.get(process__code="order-processing", status="published")


def _subscribe(users, url="http://127.0.0.1:9/unused", events=None, **kwargs):
    return webhooks.webhook_subscription_save(
        user=users["it"], name=kwargs.pop("name", "ERP"), url=url, event_types=events or ALL_EVENTS, **kwargs
    )


def _verify(secret, request):
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-OpsFlow-Signature"])


def _time_passes():
    """The next attempts of pending deliveries are due (instead of waiting for the backoff)."""
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


# Delivery
# ------------------------------------------------------------------------------


def test_a_webhook_retried_after_a_failing_receiver_is_delivered_once_with_a_valid_signature(
    order, users, receiver, django_capture_on_commit_callbacks
):
    receiver.fail_first = 2
    subscription = _subscribe(users, receiver.url, ["run.started"])
    with django_capture_on_commit_callbacks(execute=True):
        run, _ = work.run_start(version=order, user=users["sales"], external_id="SO-77")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < first_wait <= timedelta(seconds=30)

    # not due yet: neither a second run of the task nor the beat job posts anything
    assert tasks.webhook_deliver.delay(delivery.pk).get() is None
    assert tasks.webhook_deliveries_due.delay().get() == 0
    assert len(receiver.requests) == 1

    _time_passes()
    assert tasks.webhook_deliveries_due.delay().get() == 1  # second attempt: 500 again
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert delivery.next_attempt_at - timezone.now() > first_wait * 2  # the wait grows

    _time_passes()
    assert tasks.webhook_deliveries_due.delay().get() == 1  # third attempt: accepted
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None

    # the task running again, or the beat job, sends nothing more
    assert tasks.webhook_deliver.delay(delivery.pk).get() is None
    assert tasks.webhook_deliveries_due.delay().get() == 0
    assert [r["status"] for r in receiver.requests] == [500, 500, 200]

    accepted = receiver.requests[-1]
    assert _verify(subscription.secret, accepted)
    assert all(_verify(subscription.secret, r) for r in receiver.requests)
    assert not _verify("another secret", accepted)
    headers = accepted["headers"]
    assert headers["X-OpsFlow-Event"] == "run.started"
    assert headers["Content-Type"].startswith("application/json")
    assert {r["headers"]["X-OpsFlow-Delivery"] for r in receiver.requests} == {str(delivery.uuid)}
    body = json.loads(accepted["body"])
    assert body["event"] == "run.started" and body["key"] == f"run.started:{run.pk}"
    assert body["data"]["run"]["id"] == run.pk and body["data"]["run"]["external_id"] == "SO-77"


def test_two_workers_never_post_the_same_attempt(order, users, receiver):
    _subscribe(users, receiver.url, ["run.started"])
    work.run_start(version=order, user=users["sales"])  # not committed: nothing queued yet
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    assert webhooks._claim(delivery.pk, now) is not None
    assert webhooks._claim(delivery.pk, now) is None  # the second worker finds it taken
    assert webhooks.webhook_deliveries_due(now=now) == 0  # and the beat job leaves it alone
    assert receiver.requests == []


def test_a_receiver_that_never_answers_2xx_fails_after_the_last_attempt_and_can_be_redelivered(
    order, users, receiver, client, django_capture_on_commit_callbacks
):
    receiver.fail_first = webhooks.MAX_ATTEMPTS
    _subscribe(users, receiver.url, ["run.started"])
    with django_capture_on_commit_callbacks(execute=True):
        work.run_start(version=order, user=users["sales"])
    delivery = WebhookDelivery.objects.get()
    waits = []
    for _ in range(webhooks.MAX_ATTEMPTS - 1):
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
        _time_passes()
        tasks.webhook_deliveries_due.delay().get()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", webhooks.MAX_ATTEMPTS, 500)
    assert waits == sorted(waits) and waits[-1] > 5 * 3600  # exponential, capped at 6 hours
    _time_passes()
    assert tasks.webhook_deliveries_due.delay().get() == 0
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS

    # IT support sends it again from the delivery log; the receiver is back
    client.force_login(users["it"])
    log = client.get(reverse("integrations:deliveries"), {"status": "failed"})
    assert log.status_code == 200 and "run.started" in log.content.decode() and "Redeliver" in log.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("integrations:delivery-redeliver", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS + 1


def test_the_sweep_command_sends_due_deliveries_without_a_worker(order, users, receiver, capsys):
    from django.core.management import call_command

    _subscribe(users, receiver.url, ["run.started"])
    work.run_start(version=order, user=users["sales"])  # not committed here: nothing was queued
    call_command("sweep")
    assert "tried 1 webhook delivery(ies)" in capsys.readouterr().out
    assert WebhookDelivery.objects.get().status == "delivered" and len(receiver.requests) == 1


def test_a_refused_connection_is_recorded_and_retried(order, users, django_capture_on_commit_callbacks):
    port = unused_port()
    _subscribe(users, f"http://127.0.0.1:{port}/", ["run.started"])
    with django_capture_on_commit_callbacks(execute=True):
        work.run_start(version=order, user=users["sales"])
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.response_code is None and "refused" in delivery.last_error.lower()


def test_a_rolled_back_change_sends_nothing(order, users):
    from django.db import transaction

    _subscribe(users, events=["run.started"])
    with pytest.raises(RuntimeError), transaction.atomic():
        work.run_start(version=order, user=users["sales"])
        raise RuntimeError
    assert not WebhookDelivery.objects.exists()


# Events
# ------------------------------------------------------------------------------


def _events(subscription=None):
    qs = WebhookDelivery.objects.order_by("pk")
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    return [d.event_type for d in qs]


def test_runs_send_started_and_completed(order, users):
    subscription = _subscribe(users)
    run, _ = work.run_start(version=order, user=users["sales"])
    assert _events() == ["run.started"]
    for user in ("sales", "warehouse", "logistics"):
        work.item_complete(item=run.items.get(status="open"), user=users[user])
    assert _events() == ["run.started", "run.completed"]
    completed = WebhookDelivery.objects.get(event_type="run.completed", subscription=subscription)
    data = completed.payload["data"]["run"]
    assert data["id"] == run.pk and data["status"] == "done" and data["cycle_seconds"] is not None
    assert completed.event_key == f"run.completed:{run.pk}"


def test_overdue_once_and_escalated_per_level(org, users):
    from processes import demo

    demo.load_processes()
    complaint = StandardVersion.objects.get(process__code="complaint-handling", status="published")
    _subscribe(users, events=["step.overdue", "step.escalated"])
    run, _ = work.run_start(version=complaint, user=users["cs"], at=T0)
    item = run.items.get(status="open")
    assert work.escalation_sweep(now=item.due_at + timedelta(minutes=1), fan_out=False) == 1
    assert _events() == ["step.overdue", "step.escalated"]
    assert work.escalation_sweep(now=item.due_at + timedelta(minutes=2), fan_out=False) == 0
    assert work.escalation_sweep(now=item.due_at + timedelta(hours=8), fan_out=False) == 1
    assert _events() == ["step.overdue", "step.escalated", "step.escalated"]
    levels = [
        d.payload["data"]["escalation"]["level"] for d in WebhookDelivery.objects.filter(event_type="step.escalated")
    ]
    assert sorted(levels) == [1, 2]
    overdue = WebhookDelivery.objects.get(event_type="step.overdue").payload["data"]["work_item"]
    assert overdue["id"] == item.pk and overdue["kind"] == "step" and overdue["department"] == item.department_id


def test_publishing_a_standard_sends_standard_published(order, users):
    _subscribe(users, events=["standard.published"])
    draft = standards.version_new_draft(version=order, user=users["specialist"], change_note="Faster")
    standards.version_submit(version=draft, user=users["specialist"])
    standards.version_approve(version=draft, user=users["manager"])
    assert _events() == []
    standards.version_publish(version=draft, user=users["manager"])
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "standard.published"
    data = delivery.payload["data"]
    assert data["version"]["id"] == draft.pk and data["version"]["published_by"] == "manager"
    assert data["process"]["code"] == "order-processing"


def test_accepting_pilot_feedback_sends_feedback_due(running, teams, departments, users):
    _subscribe(users, events=["feedback.due"])
    pilot = running
    item = pilots.feedback_raise(
        pilot=pilot,
        user=users["sales"],
        department=teams["east"],
        problem="Customers wait for the ID check call",
        suggestion="Check the ID number online",
        responsible_department=departments["it"],
        due_days=3,
        at=T0,
    )
    assert _events() == []
    item = pilots.feedback_decide(item=item, user=users["manager"], accept=True, at=T0)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "feedback.due" and delivery.event_key == f"feedback.due:{item.pk}"
    data = delivery.payload["data"]["feedback"]
    assert data["work_item"] == item.work_item_id and data["responsible_department"] == departments["it"].pk
    assert parse_datetime(data["due_at"]) == item.work_item.due_at
    # its lateness is reported like any other work: overdue, then escalated
    _subscribe(users, name="Overdue", events=["step.overdue"])
    work.escalation_sweep(now=item.work_item.due_at + timedelta(minutes=1), fan_out=False)
    assert _events() == ["feedback.due", "step.overdue"]


def test_inactive_other_event_and_other_department_subscriptions_get_nothing(order, users, departments):
    wanted = _subscribe(users, name="wanted", events=["run.started"])
    sales_only = _subscribe(users, name="sales", events=["run.started"], department=departments["sales"])
    head_office = _subscribe(
        users, name="all below head office", events=["run.started"], department=departments["head-office"]
    )
    inactive = _subscribe(users, name="inactive", events=["run.started"])
    webhooks.webhook_subscription_set_active(subscription=inactive, user=users["it"], active=False)
    other_event = _subscribe(users, name="other event", events=["run.completed"])
    warehouse_only = _subscribe(users, name="warehouse", events=["run.started"], department=departments["warehouse"])
    work.run_start(version=order, user=users["sales"])  # a Sales run
    assert _events(wanted) == _events(sales_only) == _events(head_office) == ["run.started"]
    assert _events(inactive) == _events(other_event) == _events(warehouse_only) == []


def test_emitting_the_same_event_twice_records_it_once(users):
    subscription = _subscribe(users, events=["run.started"])
    assert len(webhooks.emit("run.started", {"x": 1}, "run.started:1")) == 1
    assert webhooks.emit("run.started", {"x": 1}, "run.started:1") == []
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1


# Managing webhooks: pages and API need MANAGE_ORG
# ------------------------------------------------------------------------------


def test_webhook_api_needs_manage_org(api, users):
    for path in ("/api/v1/org/webhooks/", "/api/v1/org/webhook-deliveries/"):
        assert api(users["sales"]).get(path).status_code == 403
        assert api(users["director"]).get(path).status_code == 403
        assert api().get(path).status_code == 401
        assert api(users["it"]).get(path).status_code == 200
    assert api(users["manager"]).post("/api/v1/org/webhooks/", {}, format="json").status_code == 403

    client = api(users["it"])
    bad = client.post(
        "/api/v1/org/webhooks/", {"name": "BI", "url": "https://bi.example/x", "event_types": ["nope"]}, format="json"
    )
    assert bad.status_code == 400 and "event_types" in bad.json()
    created = client.post(
        "/api/v1/org/webhooks/",
        {"name": "BI", "url": "https://bi.example/x", "event_types": ["run.completed", "run.started"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["created_by"] == users["it"].pk and len(body["secret"]) >= 32 and body["active"] is True
    changed = client.patch(f"/api/v1/org/webhooks/{body['id']}/", {"active": False}, format="json")
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert client.delete(f"/api/v1/org/webhooks/{body['id']}/").status_code == 405

    webhooks.emit("run.completed", {"x": 1}, "k1")  # inactive now: nothing
    WebhookSubscription.objects.update(active=True)
    webhooks.emit("run.completed", {"x": 1}, "k2")
    log = client.get("/api/v1/org/webhook-deliveries/", {"status": "pending"}).json()["results"]
    assert [(d["event_type"], d["event_key"], d["attempts"]) for d in log] == [("run.completed", "k2", 0)]
    assert client.post("/api/v1/org/webhook-deliveries/", {}, format="json").status_code == 403  # read-only


def test_webhook_pages_need_manage_org_and_manage_subscriptions(client, users, departments):
    client.force_login(users["sales"])
    for name in ("integrations:webhooks", "integrations:webhook-create", "integrations:deliveries"):
        assert client.get(reverse(name)).status_code == 403
    client.force_login(users["it"])
    assert client.get(reverse("integrations:webhook-create")).status_code == 200
    response = client.post(
        reverse("integrations:webhook-create"),
        {
            "name": "Warehouse system",
            "url": "https://wms.example/hooks",
            "event_types": ["run.started", "step.overdue"],
            "department": departments["warehouse"].pk,
            "secret": "",
            "active": "on",
        },
    )
    assert response.status_code == 200  # the page that shows the secret once
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["run.started", "step.overdue"] and subscription.secret
    assert subscription.created_by == users["it"] and subscription.department == departments["warehouse"]
    html = client.get(reverse("integrations:webhooks")).content.decode()
    assert "Warehouse system" in html and "https://wms.example/hooks" in html
    bad = client.post(reverse("integrations:webhook-edit", args=[subscription.pk]), {"name": "x", "url": "ftp://x"})
    assert bad.status_code == 400
    client.post(reverse("integrations:webhook-action", args=[subscription.pk, "deactivate"]))
    subscription.refresh_from_db()
    assert subscription.active is False
