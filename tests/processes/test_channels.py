"""Notification channels: one delivery row per notification and channel, each channel exactly once."""

import importlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from processes import channels, demo, tasks
from processes.models import Notification, NotificationDelivery, StandardVersion
from processes.services import work
from processes.services.work import notifications
from tests.processes import fake_channel

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
EMAIL = "processes.channels.email"
FAKE = "tests.processes.fake_channel"
BROKEN = "tests.processes.broken_channel"


@pytest.fixture
def order(org):
    demo.load_processes()
    return StandardVersion.objects.get(process__code="order-processing", status="published")


@pytest.fixture(autouse=True)
def fake():
    fake_channel.delivered.clear()
    fake_channel.failing = fake_channel.skipping = False
    yield fake_channel
    fake_channel.failing = fake_channel.skipping = False


def _overdue_review(order, users, callbacks):
    """The order review goes overdue: one escalation notification for the manager, delivered after commit."""
    run, _ = work.run_start(version=order, user=users["sales"], at=T0)
    review = run.items.get(status__in=["open", "claimed"], kind="step")
    work.item_claim(item=review, user=users["sales"], at=T0)
    with callbacks(execute=True):
        assert work.escalation_sweep(now=T0 + timedelta(hours=2, minutes=1)) == 1
    return Notification.objects.get(kind="escalation")


def _states(notification):
    return {d.channel: d.status for d in NotificationDelivery.objects.filter(notification=notification)}


def test_each_notification_gets_one_delivery_per_configured_channel_and_each_delivers_once(
    order, users, settings, django_capture_on_commit_callbacks, fake
):
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [EMAIL, FAKE]
    notification = _overdue_review(order, users, django_capture_on_commit_callbacks)
    assert _states(notification) == {"email": "sent", "fake": "sent"}
    assert fake.delivered == [notification.pk]
    assert [m.to for m in mail.outbox] == [["manager@opsflow.example"]]
    # a second sweep, a retried task of either channel and the resend sweep send nothing again
    with django_capture_on_commit_callbacks(execute=True):
        assert work.escalation_sweep(now=T0 + timedelta(hours=2, minutes=2)) == 0
    tasks.notification_deliver([notification.pk], "email")
    tasks.notification_deliver([notification.pk], "fake")
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert work.notifications_resend(older_than=timedelta(0)) == 0
    assert fake.delivered == [notification.pk] and len(mail.outbox) == 1
    assert NotificationDelivery.objects.count() == 2


def test_a_single_notification_gets_its_rows_too(order, users, settings, django_capture_on_commit_callbacks, fake):
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [EMAIL, FAKE]
    run, _ = work.run_start(version=order, user=users["sales"], at=T0)
    review = run.items.get(status__in=["open", "claimed"], kind="step")
    with django_capture_on_commit_callbacks(execute=True):
        work.item_reassign(item=review, user=users["manager"], to_user=users["sales"], at=T0 + timedelta(hours=1))
    notification = Notification.objects.get(kind="assigned", user=users["sales"])
    assert _states(notification) == {"email": "sent", "fake": "sent"}
    assert fake.delivered == [notification.pk]


def test_a_retried_task_or_a_second_resend_sends_no_email_twice(order, users, django_capture_on_commit_callbacks):
    notification = _overdue_review(order, users, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    delivery = NotificationDelivery.objects.get(notification=notification)
    assert (delivery.channel, delivery.status, delivery.attempts) == ("email", "sent", 1)
    assert delivery.sent_at is not None
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    # the tasks from before the channels, still in a queue during an upgrade, and the new one
    tasks.notification_email(notification.pk)
    tasks.notification_emails([notification.pk])
    tasks.notification_deliver([notification.pk], "email")
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert work.notifications_resend(older_than=timedelta(0)) == 0
    assert work.notifications_resend(older_than=timedelta(0)) == 0
    assert len(mail.outbox) == 1


def test_a_lost_message_is_sent_once_by_the_resend_sweep(order, users, settings):
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [EMAIL, FAKE]
    # no on-commit callbacks run: the queued tasks are lost
    notification = _overdue_review(order, users, lambda execute: _NoCallbacks())
    assert _states(notification) == {"email": "pending", "fake": "pending"} and mail.outbox == []
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert work.notifications_resend(older_than=timedelta(minutes=10)) == 0  # younger than the window
    assert work.notifications_resend(older_than=timedelta(minutes=1)) == 2
    assert work.notifications_resend(older_than=timedelta(minutes=1)) == 0
    assert _states(notification) == {"email": "sent", "fake": "sent"}
    assert len(mail.outbox) == 1 and fake_channel.delivered == [notification.pk]


def test_a_cron_install_without_celery_gets_its_notifications_from_manage_py_sweep(order, users, settings, capsys):
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [EMAIL]
    notification = _overdue_review(order, users, lambda execute: _NoCallbacks())  # no worker takes the task
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    call_command("sweep")
    assert "tried 1 notification delivery(ies)" in capsys.readouterr().out
    assert _states(notification) == {"email": "sent"} and len(mail.outbox) == 1
    call_command("sweep")
    assert "tried 0 notification delivery(ies)" in capsys.readouterr().out and len(mail.outbox) == 1


class _NoCallbacks:
    def __enter__(self):
        return []

    def __exit__(self, *exc):
        return False


def test_a_failing_channel_does_not_stop_the_email(order, users, settings, django_capture_on_commit_callbacks):
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [BROKEN, EMAIL]
    notification = _overdue_review(order, users, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["manager@opsflow.example"]]
    broken = NotificationDelivery.objects.get(notification=notification, channel="broken")
    assert (broken.status, broken.attempts) == ("pending", 1)
    assert broken.last_error == "RuntimeError: the broken channel is broken"
    assert broken.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert _states(notification)["email"] == "sent"


def test_a_person_without_an_address_is_skipped_and_not_retried(
    order, users, django_capture_on_commit_callbacks, settings
):
    users["manager"].email = ""
    users["manager"].save()
    notification = _overdue_review(order, users, django_capture_on_commit_callbacks)
    delivery = NotificationDelivery.objects.get(notification=notification)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("skipped", 0, "No e-mail address")
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert work.notifications_resend(older_than=timedelta(0)) == 0
    assert work.notification_email(notification_id=notification.pk) is False
    assert mail.outbox == []


def test_a_channel_that_skips_at_delivery_time_marks_the_row_skipped(
    order, users, settings, django_capture_on_commit_callbacks, fake
):
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [FAKE]
    fake.skipping = True
    notification = _overdue_review(order, users, django_capture_on_commit_callbacks)
    delivery = NotificationDelivery.objects.get(notification=notification)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("skipped", 1, "not on this channel")


def test_a_failure_is_retried_with_backoff_then_failed_with_its_error(
    order, users, settings, django_capture_on_commit_callbacks, fake
):
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [FAKE]
    fake.failing = True
    notification = _overdue_review(order, users, django_capture_on_commit_callbacks)
    delivery = NotificationDelivery.objects.get(notification=notification)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    at = timezone.now()
    for attempt in range(2, notifications.MAX_ATTEMPTS + 1):
        # not due before its backoff: nothing happens
        early = work.notification_deliver(notification_ids=[notification.pk], channel="fake", at=at)
        assert (early.sent, early.failed, early.retry) == (0, 0, [])
        at += notifications.backoff(attempt - 1) + timedelta(seconds=1)
        result = work.notification_deliver(notification_ids=[notification.pk], channel="fake", at=at)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if attempt < notifications.MAX_ATTEMPTS:
            assert delivery.status == "pending" and result.retry == [notification.pk]
    assert (delivery.status, result.failed, result.retry) == ("failed", 1, [])
    assert delivery.last_error == "ConnectionError: the fake service is away"
    assert delivery.next_attempt_at is None and delivery.sent_at is None
    fake.failing = False
    later = at + timedelta(days=1)
    assert work.notification_deliver(notification_ids=[notification.pk], channel="fake", at=later).sent == 0
    assert fake.delivered == []


def test_a_mail_server_that_is_away_leaves_the_email_unsent_and_retried(
    order, users, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.processes.test_channels.RefusingBackend"
    notification = _overdue_review(order, users, django_capture_on_commit_callbacks)
    delivery = NotificationDelivery.objects.get(notification=notification)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "ConnectionRefusedError: no mail server"
    notification.refresh_from_db()
    assert notification.emailed_at is None  # only an e-mail taken for sending counts as e-mailed
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    due = delivery.next_attempt_at + timedelta(seconds=1)
    assert work.notification_deliver(notification_ids=[notification.pk], channel="email", at=due).sent == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None and len(mail.outbox) == 1


class RefusingBackend:
    def __init__(self, **kwargs):
        pass

    def open(self):
        return None

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_a_delivery_left_sending_by_a_dead_worker_becomes_failed_and_is_not_sent_again(
    order, users, django_capture_on_commit_callbacks
):
    notification = _overdue_review(order, users, lambda execute: _NoCallbacks())
    NotificationDelivery.objects.filter(notification=notification).update(
        status="sending", attempts=1, attempted_at=timezone.now() - timedelta(hours=1)
    )
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert work.notifications_resend() == 0
    delivery = NotificationDelivery.objects.get(notification=notification)
    assert delivery.status == "failed" and "stopped while sending" in delivery.last_error
    assert mail.outbox == []


def test_the_channel_setting_is_checked(settings):
    settings.OPSFLOW_NOTIFICATION_CHANNELS = ["tests.processes.no_such_channel"]
    with pytest.raises(ImproperlyConfigured, match="cannot import the channel 'tests.processes.no_such_channel'"):
        channels.configured()
    settings.OPSFLOW_NOTIFICATION_CHANNELS = ["processes.channels", EMAIL]
    with pytest.raises(ImproperlyConfigured, match="has no name, label, deliver"):
        channels.configured()
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [EMAIL, EMAIL]
    with pytest.raises(ImproperlyConfigured, match="both call themselves 'email'"):
        channels.configured()
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [EMAIL, FAKE]
    assert [c.name for c in channels.configured()] == ["email", "fake"]
    assert channels.get("fake").label == "Fake" and channels.get("nope") is None


def test_the_data_migration_gives_existing_notifications_their_email_rows(users):
    migration = importlib.import_module("processes.migrations.0020_notification_delivery_rows")
    at = timezone.now()
    users["sales"].email = ""
    users["sales"].save()

    def note(key, user, emailed_at=None):
        return Notification.objects.create(
            user=user, kind="assigned", key=key, subject_en=key, created_at=at, emailed_at=emailed_at
        )

    sent, pending, skipped = note("a", users["manager"], at), note("b", users["manager"]), note("c", users["sales"])
    migration.forward(apps, None)
    migration.forward(apps, None)  # again: nothing doubles
    rows = {d.notification_id: d for d in NotificationDelivery.objects.all()}
    assert {pk: (d.channel, d.status) for pk, d in rows.items()} == {
        sent.pk: ("email", "sent"),
        pending.pk: ("email", "pending"),
        skipped.pk: ("email", "skipped"),
    }
    assert rows[sent.pk].sent_at == at
    migration.reverse(apps, None)
    assert not NotificationDelivery.objects.exists()


def test_the_api_and_the_admin_show_each_channels_status(
    order, users, api, admin_client, django_capture_on_commit_callbacks, settings
):
    settings.OPSFLOW_NOTIFICATION_CHANNELS = [EMAIL, BROKEN]
    notification = _overdue_review(order, users, django_capture_on_commit_callbacks)
    notes = api(users["manager"]).get("/api/v1/work/notifications/").json()["results"]
    deliveries = {d["channel"]: d["status"] for d in notes[0]["deliveries"]}
    assert deliveries == {"email": "sent", "broken": "pending"}
    assert "last_error" not in notes[0]["deliveries"][0]
    page = admin_client.get(reverse("admin:processes_notification_change", args=[notification.pk]))
    assert page.status_code == 200
    assert "RuntimeError: the broken channel is broken" in page.content.decode()
    listing = admin_client.get(reverse("admin:processes_notificationdelivery_changelist") + "?status=pending")
    assert "broken" in listing.content.decode()
