from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from forgecrm.accounts.tokens import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it (only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        _, raw = api_token_create(user=user, name=name)
        self.stdout.write(raw)
        self.stderr.write(
            "Keep it safe: it cannot be shown again. Send it as 'Authorization: Bearer <token>'."
        )
