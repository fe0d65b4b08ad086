"""Background work for email (Huey): sending batches, the every-minute sweep and the
weekly bounce cleanup."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from forgecrm.emails import delivery, services


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


@db_periodic_task(crontab(day_of_week="1", hour="3", minute="30"))
def forget_stale_soft_bounces() -> None:
    """Mondays: soft bounces that stopped happening a month ago no longer count."""
    services.forget_stale_soft_bounces(now=timezone.now())
