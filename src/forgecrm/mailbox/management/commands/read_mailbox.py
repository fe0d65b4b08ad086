from django.core.management.base import BaseCommand, CommandError

from forgecrm.mailbox.models import RunTrigger
from forgecrm.mailbox.services import read_mailbox


class Command(BaseCommand):
    help = "Read the IMAP mailbox now (replies, bounces, read receipts, the Sent folder)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rescan",
            action="store_true",
            help="Walk every message again; those already read are skipped.",
        )

    def handle(self, *args, rescan: bool, **options) -> None:
        trigger = RunTrigger.RESCAN if rescan else RunTrigger.MANUAL
        run = read_mailbox(trigger=trigger, rescan=rescan)
        summary = f"{run.messages_read} messages read, {run.messages_failed} could not be read."
        if not run.ok:
            raise CommandError(f"{run.error}\n{summary}" if run.pk else run.error)
        self.stdout.write(summary)
