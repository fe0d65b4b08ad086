"""Background work for greetings (Huey): preparing them daily, sending the due ones."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from forgecrm.events import greetings


@db_periodic_task(crontab(minute="15", hour="0"))
def prepare_greetings() -> None:
    """Daily: propose greetings for the occasions of the next GREETINGS_PREPARE_DAYS days
    (idempotent: whoever has one for an occasion gets no second)."""
    greetings.prepare()


@db_periodic_task(crontab(minute="*/5"))
def send_due_greetings() -> None:
    """Every five minutes: the approved greetings whose 09:00 has come where their
    recipient is, each claimed once and handed to the emails services."""
    greetings.send_due()
