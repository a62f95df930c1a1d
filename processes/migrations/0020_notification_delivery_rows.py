"""Existing notifications get their e-mail delivery row: sent where ``emailed_at`` is set, skipped for a
person without an address, else pending (the resend sweep picks up those of the last two days)."""

from django.db import migrations

BATCH = 2000


def forward(apps, schema_editor):
    Notification = apps.get_model("processes", "Notification")
    NotificationDelivery = apps.get_model("processes", "NotificationDelivery")
    rows = []
    for pk, emailed_at, email in (
        Notification.objects.filter(deliveries__isnull=True)
        .order_by("pk")
        .values_list("pk", "emailed_at", "user__email")
        .iterator(chunk_size=BATCH)
    ):
        if emailed_at:
            row = NotificationDelivery(
                notification_id=pk,
                channel="email",
                status="sent",
                attempts=1,
                attempted_at=emailed_at,
                sent_at=emailed_at,
            )
        elif not email:
            row = NotificationDelivery(
                notification_id=pk, channel="email", status="skipped", last_error="No e-mail address"
            )
        else:
            row = NotificationDelivery(notification_id=pk, channel="email", status="pending")
        rows.append(row)
        if len(rows) >= BATCH:
            NotificationDelivery.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    if rows:
        NotificationDelivery.objects.bulk_create(rows, ignore_conflicts=True)


def reverse(apps, schema_editor):
    # emailed_at was kept up to date all along: only the rows go
    apps.get_model("processes", "NotificationDelivery").objects.filter(channel="email").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("processes", "0019_notification_delivery"),
    ]

    operations = [migrations.RunPython(forward, reverse)]
