"""Background work for notifications (Huey): producers and the morning digest every minute,
a nightly clean-up."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from forgecrm.notifications import services


@db_periodic_task(crontab())
def notify() -> None:
    """Every minute: reminders, overdue follow-ups and clients not contacted for too long
    (each fact once per user, however often this runs)."""
    services.notify_all()


@db_periodic_task(crontab())
def send_morning_digests() -> None:
    """Every minute: the digest of each user for whom it is now 08:00–11:59, once a day."""
    services.send_morning_digests()


@db_periodic_task(crontab(minute="40", hour="0"))
def purge_old_notifications() -> None:
    """Nightly: notifications read more than 90 days ago go."""
    services.purge_old()
