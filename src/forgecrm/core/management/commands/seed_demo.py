"""`manage.py seed_demo`: the demo admin and made-up clients for trying Forge CRM locally."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from forgecrm.accounts.roles import ADMIN, MEMBER
from forgecrm.clients.models import Client, ContactPerson
from forgecrm.core.demo import DemoBuilder
from forgecrm.core.demo_history import HISTORY_DAYS, DemoHistory
from forgecrm.emails.services import ensure_default_templates
from forgecrm.followups.services import ensure_default_sequences

USERNAME = "admin"
MEMBER_USERNAME = "nusrat"
FRAME = "=" * 72


class Command(BaseCommand):
    help = (
        "Create the demo admin user (its password is printed once) and, on a database "
        "without clients, about 50 demo clients with their contacts and a few months of "
        "demo history (emails, calls, follow-ups). Safe to run again."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates a superuser and made-up clients; it only runs with DEBUG=true."
            )
        admin = self.ensure_admin()
        member = self.ensure_member()
        added = ensure_default_templates()
        self.stdout.write(f"Ready-made email templates added: {added}.")
        self.stdout.write(f"Ready-made follow-up sequences added: {ensure_default_sequences()}.")
        self.ensure_demo_data(admin, member)

    def ensure_admin(self) -> AbstractUser:
        """The demo admin; a new one gets a random password, an existing one is left alone."""
        User = get_user_model()
        admin = User.objects.filter(username=USERNAME).first()
        if admin is not None:
            self.stdout.write(
                f"User {USERNAME!r} already exists; its password was not changed. "
                f"To set a new one: python manage.py changepassword {USERNAME}"
            )
            return admin
        password = secrets.token_urlsafe(15)
        admin = User.objects.create_user(
            username=USERNAME,
            email="admin@pixelforgebd.com",
            password=password,
            first_name="Demo",
            last_name="Admin",
            is_staff=True,
            is_superuser=True,
        )
        admin.groups.add(Group.objects.get(name=ADMIN))
        self.stdout.write(
            "\n".join(
                (
                    FRAME,
                    "  Demo admin created. This password is shown only once:",
                    "",
                    f"    Sign in at: {settings.SITE_URL}{reverse(settings.LOGIN_URL)}",
                    f"    Username:   {USERNAME}",
                    f"    Password:   {password}",
                    "",
                    f"  Forgot it? python manage.py changepassword {USERNAME}",
                    FRAME,
                )
            )
        )
        return admin

    def ensure_member(self) -> AbstractUser:
        """A second person on the team, who sends emails and owns follow-ups in the demo."""
        member, created = get_user_model().objects.get_or_create(
            username=MEMBER_USERNAME,
            defaults={
                "first_name": "Nusrat",
                "last_name": "Jahan",
                "email": "nusrat@pixelforgebd.com",
            },
        )
        if created:
            member.set_unusable_password()
            member.save(update_fields=["password"])
            member.groups.add(Group.objects.get(name=MEMBER))
            self.stdout.write(
                f"Demo member {member.get_full_name()} ({MEMBER_USERNAME!r}) created with an "
                f"unusable password: she cannot sign in until you run "
                f"python manage.py changepassword {MEMBER_USERNAME}"
            )
        return member

    def ensure_demo_data(self, actor: AbstractUser, member: AbstractUser) -> None:
        """Fill an empty CRM once; any client at all (even in the trash) means it is not empty."""
        if Client.all_objects.exists():
            self.stdout.write("Demo data skipped: the database already has clients.")
            return
        with transaction.atomic():
            builder = DemoBuilder(actor)
            clients = builder.build()
            history = DemoHistory(
                rng=builder.rng, today=builder.today, senders=[actor, member], clients=clients
            ).build()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data created: {Client.objects.count()} clients, "
                f"{ContactPerson.objects.count()} contact persons."
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo history (never actually sent) of the last {HISTORY_DAYS} days: "
                f"{history['emails']} emails, {history['replies']} replies, "
                f"{history['bounced']} bounced address suppressed; "
                f"{history['logged']} calls, meetings, WhatsApp messages and notes; "
                f"{history['followups']} follow-ups, {history['enrollments']} client in the "
                f"onboarding sequence, {history['notifications']} notifications for {actor}."
            )
        )
