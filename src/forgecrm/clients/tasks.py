from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from forgecrm.clients.services import trash_purge_expired


@db_periodic_task(crontab(hour="3", minute="15"))
def purge_trash() -> int:
    """Nightly: delete for good what has been in the trash past the retention period."""
    return trash_purge_expired()
