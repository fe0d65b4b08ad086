"""What people do on the mailbox pages besides assigning (`services.file_inbound`): ignore
unmatched messages and ask the worker for a read.

Not in `services.py` because asking for a read queues a worker task, and the tasks module
imports `services` (the reader) itself.
"""

import logging
from collections.abc import Iterable

from django.contrib.auth.models import User

from forgecrm.mailbox import queries
from forgecrm.mailbox.models import MailboxMessage, MessageStatus
from forgecrm.mailbox.tasks import read_mailbox_now

log = logging.getLogger(__name__)


class ReadRefused(Exception):
    """A read cannot be asked for now (not configured, or one is going); says why."""


def ignore_messages(*, ids: Iterable[int], actor: User | None) -> int:
    """Mark these unmatched or unreadable messages ignored (kept, and unmatched ones still
    assignable later); returns how many changed. A re-scan leaves them alone: an unreadable
    message someone dismissed (one deleted on the server, say) is not tried again. Messages
    someone filed meanwhile are left alone too."""
    changed = MailboxMessage.objects.filter(
        pk__in=list(ids), status__in=(MessageStatus.UNMATCHED, MessageStatus.FAILED)
    ).update(status=MessageStatus.IGNORED)
    log.info("%s ignored %d unmatched or unreadable message(s)", actor or "someone", changed)
    return changed


def request_read(*, rescan: bool) -> None:
    """Queue a read of the mailbox for the worker (`rescan` walks every message again,
    skipping those already read, so it is safe at any time)."""
    if not queries.imap_account():
        raise ReadRefused("The mailbox is not configured: set IMAP_URL first.")
    if queries.run_going():
        raise ReadRefused("A read of the mailbox is going now; its result will show below.")
    read_mailbox_now(rescan=rescan)
