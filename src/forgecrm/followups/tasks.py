"""Background work for follow-ups (Huey): the steps of sequences, every minute."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from forgecrm.followups import services


@db_periodic_task(crontab())
def run_sequence_steps() -> None:
    """Every minute: each active enrollment's step that is due (emails are then sent by
    the email worker, tasks appear on the follow-up dashboard)."""
    services.run_due_steps()
