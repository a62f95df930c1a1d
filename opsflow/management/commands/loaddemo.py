from django.core.management.base import BaseCommand
from django.db import transaction

from opsflow import demo


class Command(BaseCommand):
    help = "Load the seed's demo world (departments, people, processes...). Running it twice changes nothing."

    def handle(self, *args, **options):
        with transaction.atomic():
            demo.load_all()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded. Log in as any of: {', '.join(u[0] for u in demo.USERS)}"
                f" (password '{demo.DEMO_PASSWORD}')."
            )
        )
