"""Reads for the mailbox pages: the reader's status, its runs, the messages it could not
file (unmatched) or not read (failed), and the stale-reader warning every page shows."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Subquery

from forgecrm.clients.models import ContactPerson
from forgecrm.emails.queries import active_suppressions
from forgecrm.mailbox.models import (
    MailboxFolder,
    MailboxMessage,
    MailboxRun,
    MessageKind,
    MessageStatus,
)

RECENT_RUNS = 10
# "Read now" waits this long for the worker to start the read before saying it has not.
WORKER_PATIENCE = timedelta(minutes=2)


def imap_account() -> str:
    """The configured mailbox as a person reads it (never the password), or "" if none."""
    if not settings.IMAP_URL:
        return ""
    parts = urlsplit(settings.IMAP_URL)
    user = unquote(parts.username or "")
    secure = "TLS" if parts.scheme == "imaps" else "unencrypted"
    where = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return f"{user} at {where} ({secure})" if user else f"{where} ({secure})"


# ---- The status panel -----------------------------------------------------------------------


@dataclass(frozen=True)
class MailboxStatus:
    account: str
    folders: Sequence[MailboxFolder]  # each with `read_count`
    last_success: MailboxRun | None
    unmatched: int
    failed: int


def mailbox_status() -> MailboxStatus:
    """What the panel shows above the runs: folders with how many messages each has had
    read, the last successful read, and how many messages wait for a person."""
    folders = list(MailboxFolder.objects.annotate(read_count=Count("messages")).order_by("name"))
    return MailboxStatus(
        account=imap_account(),
        folders=folders,
        last_success=MailboxRun.objects.filter(ok=True).order_by("-started_at", "-id").first(),
        unmatched=MailboxMessage.objects.filter(status=MessageStatus.UNMATCHED).count(),
        failed=MailboxMessage.objects.filter(status=MessageStatus.FAILED).count(),
    )


@dataclass(frozen=True)
class Runs:
    rows: list[MailboxRun]
    running: bool
    waiting: bool  # a read was asked for and the worker has not started it yet
    worker_silent: bool  # ... and it has waited longer than WORKER_PATIENCE

    @property
    def poll(self) -> bool:
        return self.running or (self.waiting and not self.worker_silent)


def recent_runs(*, asked_at: datetime | None, now: datetime) -> Runs:
    """The last runs, newest first; `asked_at` is when someone pressed "Read now"."""
    rows = list(MailboxRun.objects.order_by("-started_at", "-id")[:RECENT_RUNS])
    waiting = asked_at is not None and not any(row.started_at >= asked_at for row in rows)
    return Runs(
        rows=rows,
        running=any(row.finished_at is None for row in rows),
        waiting=waiting,
        worker_silent=waiting and asked_at is not None and now - asked_at > WORKER_PATIENCE,
    )


def run_going() -> bool:
    return MailboxRun.objects.filter(finished_at__isnull=True).exists()


# ---- Unmatched and failed messages ----------------------------------------------------------


@dataclass(frozen=True)
class MessageFilters:
    status: str = MessageStatus.UNMATCHED
    q: str = ""
    folder: int | None = None
    unreadable: bool = False  # the Failed tab's messages, rather than the Unmatched tab's


def message_list(filters: MessageFilters) -> QuerySet[MailboxMessage]:
    """Messages in one state (unmatched, ignored, failed), newest first, searched in the
    sender, subject and error.

    Ignored messages are of two tabs: unreadable ones dismissed on the Failed tab, and
    the others ignored on the Unmatched tab; `unreadable` says which.
    """
    queryset = MailboxMessage.objects.filter(status=filters.status).select_related("folder")
    if filters.status == MessageStatus.IGNORED:
        unreadable = Q(kind=MessageKind.FAILED)
        queryset = queryset.filter(unreadable if filters.unreadable else ~unreadable)
    if filters.folder:
        queryset = queryset.filter(folder_id=filters.folder)
    if filters.q:
        term = filters.q.strip()
        queryset = queryset.filter(
            Q(from_address__icontains=term)
            | Q(from_name__icontains=term)
            | Q(subject__icontains=term)
            | Q(error__icontains=term)
        )
    return queryset.defer("body_html", "body_text").order_by("-received_at", "-id")


def message_detail(pk: int) -> MailboxMessage:
    """One message with its folder, run and where it was filed (MailboxMessage.DoesNotExist)."""
    return MailboxMessage.objects.select_related("folder", "client", "email", "run").get(pk=pk)


@dataclass(frozen=True)
class UnappliedBounce:
    address: str
    suppressed: bool  # blocked since, by hand or by another report


def unapplied_bounces(message: MailboxMessage) -> list[UnappliedBounce]:
    """The failed addresses of a bounce report that were not applied, and whether each is
    suppressed by now."""
    stored = message.unapplied_bounces if isinstance(message.unapplied_bounces, list) else []
    addresses = list(dict.fromkeys(a for a in stored if isinstance(a, str) and a))
    suppressed = active_suppressions(addresses) if addresses else {}
    return [UnappliedBounce(a, a.lower() in suppressed) for a in addresses]


def contacts_of(client_id: int) -> QuerySet[ContactPerson]:
    """The people of a client, for the "assign" form's contact choice."""
    return ContactPerson.objects.filter(client_id=client_id, client__deleted_at__isnull=True)


# ---- The warning on every page --------------------------------------------------------------


@dataclass(frozen=True)
class StaleWarning:
    last_read_at: datetime | None  # None: never read successfully
    last_error: str


def stale_warning(*, now: datetime) -> StaleWarning | None:
    """Why admins should look at the mailbox: IMAP is configured and nothing has been read
    successfully for MAILBOX_STALE_MINUTES (or ever, since the first attempt that long ago).

    One query: the latest finished run, with the last success and the first attempt as
    subqueries. Before any run has finished there is nothing to judge.
    """
    if not settings.IMAP_URL:
        return None
    runs = MailboxRun.objects.order_by()
    latest = (
        MailboxRun.objects.filter(finished_at__isnull=False)
        .order_by("-started_at", "-id")
        .annotate(
            last_ok=Subquery(
                runs.filter(ok=True).order_by("-started_at").values("finished_at")[:1]
            ),
            first_try=Subquery(runs.order_by("started_at").values("started_at")[:1]),
            last_error=F("error"),
        )
        .values("last_ok", "first_try", "last_error")
        .first()
    )
    if latest is None:
        return None
    since = latest["last_ok"] or latest["first_try"]
    if since is None or now - since < timedelta(minutes=settings.MAILBOX_STALE_MINUTES):
        return None
    return StaleWarning(last_read_at=latest["last_ok"], last_error=latest["last_error"])
