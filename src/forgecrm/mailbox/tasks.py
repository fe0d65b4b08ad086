"""Background work for the mailbox (Huey): the periodic read and "read now" from the UI."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from forgecrm.mailbox import services
from forgecrm.mailbox.models import RunTrigger


@db_periodic_task(crontab(minute=f"*/{settings.IMAP_POLL_MINUTES}"))
def read_mailbox_periodically() -> None:
    """Every IMAP_POLL_MINUTES: read what arrived (does nothing without IMAP_URL)."""
    services.read_mailbox(trigger=RunTrigger.SCHEDULE)


@db_task()
def read_mailbox_now(rescan: bool = False) -> None:
    """Queued by the "read now" and "re-scan" buttons."""
    services.read_mailbox(trigger=RunTrigger.RESCAN if rescan else RunTrigger.MANUAL, rescan=rescan)
