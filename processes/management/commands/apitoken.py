from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from processes.models import User
from processes.services import tokens


class Command(BaseCommand):
    help = (
        "Print a new API token for USERNAME (for an integration). A token of that user with the same name is "
        "revoked (rotation); other tokens keep working. Only the token is printed on standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="integration", help="what the token is for (default: integration)")
        parser.add_argument(
            "--days", type=int, default=365, help="days until the token expires (default 365; 0: never expires)"
        )

    def handle(self, *args, username, name, days, **options):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user named {username!r}.") from None
        if days < 0:
            raise CommandError("--days must be 0 (never expires) or more.")
        try:
            token, secret = tokens.api_token_create(user=user, name=name, days=days or None, replace=True)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(secret)
        expires = token.expiry.isoformat(timespec="minutes") if token.expiry else "never"
        self.stderr.write(f"Token {token.name!r} for {user.username}, prefix {token.token_key}, expires {expires}.")
