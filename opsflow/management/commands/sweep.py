"""``manage.py sweep``: site glue, it runs every app's periodic work (see ``CELERY_BEAT_SCHEDULE``)."""

from django.core.management.base import BaseCommand

from metrics.services.reviews import reviews_due
from pilots.services.rollout import reviews_create_due
from processes.services.webhooks import webhook_deliveries_due
from processes.services.work import escalation_sweep, notifications_resend


class Command(BaseCommand):
    help = (
        "Run once what Celery beat runs on its schedule, for cron-based installs (every minute): escalate "
        "overdue work, open the periodic reviews and the rollout monitoring reviews whose period has ended, "
        "send the webhook deliveries and the notification deliveries that are due (a notification waits two "
        "minutes for its Celery task before the sweep sends it)."
    )

    def handle(self, *args, **options):
        count = escalation_sweep(fan_out=False)
        self.stdout.write(f"escalated {count} work item(s)")
        self.stdout.write(f"opened {reviews_due()} periodic review(s)")
        self.stdout.write(f"opened {reviews_create_due()} rollout review(s)")
        self.stdout.write(f"tried {webhook_deliveries_due(inline=True)} webhook delivery(ies)")
        self.stdout.write(f"tried {notifications_resend(inline=True)} notification delivery(ies)")
