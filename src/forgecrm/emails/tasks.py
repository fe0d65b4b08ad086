"""Background work for email (Huey): sending batches and the every-minute sweep."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from forgecrm.emails import delivery


@db_task()
def send_emails(ids: list[int]) -> None:
    """Send a batch of queued emails over one SMTP connection."""
    delivery.deliver(ids=ids)


@db_periodic_task(crontab())
def send_due_emails() -> None:
    """Every minute: scheduled emails that are due, retries, and emails held back by the
    rate limit or whose task was lost."""
    ids = delivery.due_ids(now=timezone.now())
    if ids:
        delivery.deliver(ids=ids)
