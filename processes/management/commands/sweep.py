from django.core.management.base import BaseCommand

from processes.services.execution import escalation_sweep


class Command(BaseCommand):
    help = "Escalate overdue work once (the same sweep Celery beat runs every 30 s), for cron-based installs."

    def handle(self, *args, **options):
        count = escalation_sweep(fan_out=False)
        self.stdout.write(f"escalated {count} work item(s)")
