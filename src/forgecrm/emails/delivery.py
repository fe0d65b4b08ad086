"""The worker's side of email: claim queued emails, send them over one SMTP connection.

An email is sent only by whoever claims it, moving it from "queued" to "sending" under a
row lock (see `claim`). A retried task, the every-minute sweep and a second worker may all
try; one wins, so nothing is sent twice. Temporary failures
(4xx answers, lost connections) put the email back in the queue with a growing delay;
permanent ones (5xx) mark it failed with the server's answer.
"""

import contextlib
import io
import logging
import multiprocessing
import secrets
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.generator import BytesGenerator
from email.policy import Compat32
from email.utils import formataddr
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from forgecrm.core.bulk import insert_many, update_many
from forgecrm.emails import smtp_relay, tracking
from forgecrm.emails.models import (
    Email,
    EmailAttachment,
    EmailEvent,
    EmailLink,
    EmailRecipient,
    EmailStatus,
    EmailType,
    EventKind,
    RecipientKind,
    Suppression,
)
from forgecrm.emails.queries import active_suppressions, parsed_address
from forgecrm.emails.smtp_relay import FAILED, RETRY, SENT, classify
from forgecrm.followups import services as followups
from forgecrm.timeline.models import Communication, CommunicationDirection, CommunicationType

logger = logging.getLogger(__name__)

RETRY_DELAY = timedelta(minutes=1)
LOAD_CHUNK = 200
CLAIM_CHUNK = 500  # ids in one query, within every database's limit on parameters
# A claimed email whose batch has not touched it for this long belongs to a dead worker.
STRANDED_AFTER = timedelta(minutes=30)
# How often a live batch refreshes its claims: far inside STRANDED_AFTER, rarely enough
# that a batch of thousands does not rewrite all its rows for every chunk it sends.
CLAIM_REFRESH = timedelta(minutes=1)
STRANDED = (
    "The worker stopped while sending this email, so it may or may not have reached the "
    "mail server. Check with the recipient before sending it again."
)
SWEEP_LIMIT = 1000

RECORDED_FIELDS = ("status", "sent_at", "attempts", "last_error", "next_attempt_at", "updated_at")


# ---- Claiming and the rate limit -----------------------------------------------------------


def claim(ids: list[int], *, now: datetime) -> list[int]:
    """Take the queued emails among `ids` for sending (in a transaction): those this caller
    won, in the order of `ids`. Of callers claiming the same email at once, exactly one
    wins it.

    Rows another worker has locked are skipped, not waited for: that worker is claiming
    them, and two workers waiting on each other's rows would deadlock. (SQLite has no row
    locks and needs none: it runs one writing transaction at a time.)
    """
    won: set[int] = set()
    for start in range(0, len(ids), CLAIM_CHUNK):
        queued = Email.objects.select_for_update(skip_locked=True).filter(
            pk__in=ids[start : start + CLAIM_CHUNK], status=EmailStatus.QUEUED
        )
        taken = list(queued.values_list("pk", flat=True))
        Email.objects.filter(pk__in=taken).update(status=EmailStatus.SENDING, updated_at=now)
        won.update(taken)
    return [pk for pk in ids if pk in won]


def room(now: datetime) -> int:
    """How many more emails the rate limits allow right now (negative when over).

    Counts emails sent in the last minute and hour plus those being sent (claimed) now,
    so two workers checking at once both see each other's claims.
    """
    limits = {
        "minute": (settings.EMAIL_RATE_LIMIT_PER_MINUTE, timedelta(minutes=1)),
        "hour": (settings.EMAIL_RATE_LIMIT_PER_HOUR, timedelta(hours=1)),
    }
    active = {name: (limit, window) for name, (limit, window) in limits.items() if limit > 0}
    if not active:
        return sys.maxsize

    def within(window: timedelta) -> Q:
        # An email being sent is about to count. A live batch refreshes its claims once a
        # CLAIM_REFRESH, so a claim that old still counts; a dead batch's soon stops to.
        claimed = Q(status=EmailStatus.SENDING, updated_at__gte=now - window - CLAIM_REFRESH)
        return Q(sent_at__gte=now - window) | claimed

    longest = max(window for _, window in active.values())
    used = Email.objects.filter(within(longest)).aggregate(
        **{name: Count("id", filter=within(window)) for name, (_, window) in active.items()}
    )
    return min(limit - used[name] for name, (limit, _) in active.items())


def _hold(ids: list[int], *, now: datetime, status: str) -> None:
    """Leave (or put back) emails in the queue for the next sweep."""
    Email.objects.filter(pk__in=ids, status=status).update(
        status=EmailStatus.QUEUED, next_attempt_at=now + RETRY_DELAY, updated_at=now
    )


def due_ids(*, now: datetime) -> list[int]:
    """Queue the scheduled emails that are due and return what the rate limit lets go now."""
    fail_stranded(now=now)
    Email.objects.filter(status=EmailStatus.SCHEDULED, scheduled_at__lte=now).update(
        status=EmailStatus.QUEUED, next_attempt_at=now, updated_at=now
    )
    limit = max(0, min(room(now), SWEEP_LIMIT))
    due = Email.objects.filter(status=EmailStatus.QUEUED, next_attempt_at__lte=now)
    return list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])


def deliver(*, ids: list[int]) -> None:
    """Send the queued emails among `ids` (or keep them in the outbox without a mailbox)."""
    now = timezone.now()
    if not settings.EMAIL_DELIVERY_ENABLED:
        with transaction.atomic():
            claimed = claim(ids, now=now)
        _keep_in_outbox(claimed, now=now)
        return
    allowed = max(0, room(now))
    _hold(ids[allowed:], now=now, status=EmailStatus.QUEUED)
    with transaction.atomic():  # one commit for the batch's claims, not one per email
        claimed = claim(ids[:allowed], now=now)
    excess = -room(now)
    if excess > 0:
        _hold(claimed[-excess:], now=now, status=EmailStatus.SENDING)
        claimed = claimed[:-excess]
    if claimed:
        _send_claimed(claimed)


# ---- Building and sending messages ---------------------------------------------------------


@dataclass
class Outgoing:
    """An email with what its message is made of."""

    email: Email
    recipients: list[EmailRecipient] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    attachments: list[EmailAttachment] = field(default_factory=list)


def outgoing(ids: list[int], *, status: str = EmailStatus.SENDING) -> list[Outgoing]:
    """The emails among `ids` in `status`, with their recipients, links and attachments.

    Gathered with one query per table; prefetch_related would build a queryset per email,
    which costs more than the queries themselves.
    """
    found = {
        email.pk: Outgoing(email)
        for email in Email.objects.filter(pk__in=ids, status=status).order_by("id")
    }
    for recipient in EmailRecipient.objects.filter(email_id__in=found).order_by("id"):
        found[recipient.email_id].recipients.append(recipient)
    links = EmailLink.objects.filter(email_id__in=found).values_list("email_id", "url", "token")
    for email_id, url, token in links:
        found[email_id].links[url] = token
    for attachment in EmailAttachment.objects.filter(email_id__in=found).order_by("id"):
        found[attachment.email_id].attachments.append(attachment)
    return list(found.values())


# One-to-one business mail: a mail app's prominent "Unsubscribe" button on an invoice
# would stop a client's invoices with one click.
NO_UNSUBSCRIBE_HEADER = {EmailType.INVOICE, EmailType.QUOTE, EmailType.PROPOSAL, EmailType.SUPPORT}


def _offers_unsubscribe(item: Outgoing) -> bool:
    """Mail apps show their unsubscribe button for the List-Unsubscribe header; it is only
    sent when the email went to one contact alone (the link cannot tell recipients apart)."""
    email = item.email
    return (
        bool(email.contact_id and email.tracking_token)
        and len(item.recipients) == 1
        and email.email_type not in NO_UNSUBSCRIBE_HEADER
    )


def build_message(item: Outgoing) -> EmailMultiAlternatives:
    """The MIME message of an email: text and tracked HTML parts, attachments, headers.

    Bcc recipients get the message but never appear in its headers.
    """
    email = item.email
    by_kind: dict[str, list[str]] = {kind: [] for kind in RecipientKind.values}
    for recipient in item.recipients:
        by_kind[recipient.kind].append(formataddr((recipient.name, recipient.address)))
    headers = {"Message-ID": email.message_id}
    if _offers_unsubscribe(item):  # RFC 8058 one-click unsubscribe
        headers["List-Unsubscribe"] = f"<{tracking.unsubscribe_url(email.tracking_token)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if email.read_receipt_requested:
        headers["Disposition-Notification-To"] = parsed_address(email.from_email)[1]
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=by_kind[RecipientKind.TO],
        cc=by_kind[RecipientKind.CC],
        bcc=by_kind[RecipientKind.BCC],
        headers=headers,
    )
    html = tracking.tracked_html(
        email.body_html, token=email.tracking_token, link_tokens=item.links
    )
    message.attach_alternative(html, "text/html")
    for attachment in item.attachments:
        with attachment.file.open("rb") as file:
            message.attach(attachment.filename, file.read(), attachment.content_type)
    return message


@dataclass
class Outcome:
    email: Email
    result: str
    at: datetime
    detail: str = ""


@dataclass
class Prepared:
    """A message ready to go: its envelope (for SMTP) or message object (for other
    backends), or why it could not be built."""

    email: Email
    message: EmailMultiAlternatives | None
    envelope: smtp_relay.Envelope | None = None
    failure: tuple[str, str] | None = None  # (RETRY or FAILED, why) when it cannot be sent


class _WirePolicy(Compat32):
    """The policy Django's messages are written with, with a shortcut for plain headers.

    Compat32 runs every header through email.header.Header, about half the cost of
    writing a message. A header that is ASCII, has no line break and fits on one line is
    written as it is, which is what that machinery produces for it; others go through it.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        line = f"{name}: {value}"
        one_line = "\r" not in line and "\n" not in line
        if isinstance(value, str) and line.isascii() and len(line) <= 78 and one_line:
            return (line + self.linesep).encode("ascii")
        return super().fold_binary(name, value)


WIRE_POLICY = _WirePolicy(linesep="\r\n")


def wire_bytes(message: EmailMultiAlternatives) -> bytes:
    """The message as sent over SMTP.

    The MIME boundary is a random 128-bit token set up front: the standard library would
    otherwise make one and search every part for it, which costs as much again.
    """
    mime = message.message()
    if mime.is_multipart():
        mime.set_boundary(f"=_{secrets.token_hex(16)}")
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=WIRE_POLICY).flatten(mime)
    return out.getvalue()


def _envelope_address(address: str) -> str:
    """An address for MAIL FROM / RCPT TO: IDN domains in punycode, as Django sends them."""
    return address if address.isascii() else sanitize_address(address, "utf-8")


def prepare(item: Outgoing, *, for_smtp: bool) -> Prepared:
    """Build the message of `item`, in an envelope when it goes to an SMTP server."""
    try:
        message = build_message(item)
        if not for_smtp:
            return Prepared(item.email, message)
        envelope = smtp_relay.Envelope(
            sender=_envelope_address(parsed_address(item.email.from_email)[1]),
            recipients=[_envelope_address(r.address) for r in item.recipients],
            data=wire_bytes(message),
        )
        return Prepared(item.email, message, envelope=envelope)
    except OSError as error:  # an attachment that cannot be read: try again later
        return Prepared(item.email, None, failure=(RETRY, classify(error)[1]))
    except (ValueError, UnicodeError) as error:  # e.g. a header Django refuses to write
        return Prepared(item.email, None, failure=(FAILED, f"{type(error).__name__}: {error}"))
    except Exception as error:  # a bug must not stop the batch, nor come back every sweep
        logger.exception("Building email %s failed unexpectedly", item.email.pk)
        return Prepared(item.email, None, failure=(FAILED, f"{type(error).__name__}: {error}"))


# The relay's child processes are forked from a server process that has already imported
# the relay: quick to start, and free of the worker's threads and database connections.
RELAYS = multiprocessing.get_context("forkserver")
RELAYS.set_forkserver_preload(["forgecrm.emails.smtp_relay"])


class Sender:
    """Sends prepared messages in order over one SMTP connection for a whole batch.

    The connection is held by a child process (smtp_relay says why), so the worker builds
    the next messages and records outcomes while the server answers. A worker that may not
    start one (a daemonic process) holds the connection itself; backends other than
    Django's SMTP one (console, locmem, a subclass with its own ways) get the message
    objects. Those two send at once.
    """

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)
        self.speaks_smtp = type(self.backend) is SMTPBackend
        # Each submitted email with its outcome, or None while the relay has it.
        self.pending: deque[tuple[Email, Outcome | None]] = deque()
        self.answers: deque[smtp_relay.Answer] = deque()
        self.submitted: set[int] = set()
        self.channel: Connection | None = None
        self.relay: BaseProcess | None = None
        self.here: smtp_relay.Connection | None = None
        if self.speaks_smtp and multiprocessing.current_process().daemon:
            self.here = smtp_relay.Connection(smtp_relay.parameters_of(self.backend))
        elif self.speaks_smtp:
            self._start_relay()
        else:
            self.backend.open()  # one connection for the batch, if it has any

    def _start_relay(self) -> None:
        """Start the relay and wait for its READY, so one that cannot start fails the batch
        before anything is handed over."""
        self.channel, child_end = RELAYS.Pipe()
        self.relay = RELAYS.Process(
            target=smtp_relay.relay,
            args=(child_end, smtp_relay.parameters_of(self.backend)),
            name="smtp-relay",
            daemon=True,  # a worker told to stop does not wait for it
        )
        self.relay.start()
        child_end.close()
        try:
            if self._wait(wait=settings.EMAIL_TIMEOUT * 2 + 30) != smtp_relay.READY:
                raise SenderStalled("The SMTP relay did not start as expected.")
        except BaseException:
            self.abort()
            self.close()
            raise

    def submit(self, prepared: Prepared) -> None:
        email = prepared.email
        self.submitted.add(email.pk)  # from here on it may go out
        if prepared.failure:
            result, detail = prepared.failure
            self.pending.append((email, Outcome(email, result, timezone.now(), detail)))
        elif self.channel is not None:
            try:
                self.channel.send(prepared.envelope)
            except OSError:  # the relay is gone: this one cannot have gone out
                self.submitted.discard(email.pk)
                raise self._stopped() from None
            self.pending.append((email, None))
            self._collect_ready()
        else:
            self.pending.append((email, self._send_here(prepared)))

    def _collect_ready(self) -> None:
        """Take the answers already back, so the relay never waits for room to write them
        while the worker waits for room to write it the next message."""
        assert self.channel is not None
        while self.channel.poll():
            self.answers.append(self._receive())

    def _send_here(self, prepared: Prepared) -> Outcome:
        if self.here is not None and prepared.envelope is not None:
            return self._outcome(prepared.email, self.here.send(prepared.envelope))
        try:
            self.backend.send_messages([prepared.message])
        except Exception as error:
            result, detail = classify(error)
            return Outcome(prepared.email, result, timezone.now(), detail)
        return Outcome(prepared.email, SENT, timezone.now())

    @staticmethod
    def _outcome(email: Email, answer: smtp_relay.Answer) -> Outcome:
        if answer.trace:
            logger.error("Sending email %s failed unexpectedly:\n%s", email.pk, answer.trace)
        return Outcome(email, answer.result, timezone.now(), answer.detail)

    def results(self, count: int) -> list[Outcome]:
        """The next `count` outcomes, in the order their messages were submitted."""
        for position in range(count):  # filled in place: `received` sees them if one fails
            email, outcome = self.pending[position]
            if outcome is None:
                answer = self.answers.popleft() if self.answers else self._wait()
                self.pending[position] = (email, self._outcome(email, answer))
        return [self.pending.popleft()[1] for _ in range(count)]

    def received(self) -> list[Outcome]:
        """After a failure: the outcomes known so far (answers already back, emails that were
        never handed to the relay). The emails the relay held without answering are left
        out: they may or may not have gone."""
        with contextlib.suppress(SenderStalled):
            if self.channel is not None:
                self._collect_ready()
        known = []
        for email, outcome in self.pending:
            if outcome is None and self.answers:
                outcome = self._outcome(email, self.answers.popleft())
            if outcome is not None:
                known.append(outcome)
        return known

    def _wait(self, *, wait: float | None = None) -> Any:
        """The relay's next word. Every SMTP step times out after EMAIL_TIMEOUT, so a relay
        silent for much longer is stuck: the task fails rather than holding a worker for
        ever."""
        assert self.channel is not None
        wait = wait or max(60, settings.EMAIL_TIMEOUT * 10)
        if not self.channel.poll(wait):
            raise SenderStalled(f"No answer from the SMTP relay for {wait:g} s.")
        return self._receive()

    def _receive(self) -> Any:
        assert self.channel is not None
        try:
            return self.channel.recv()
        except (EOFError, OSError):
            raise self._stopped() from None

    def _stopped(self) -> "SenderStalled":
        assert self.relay is not None
        self.relay.join(timeout=5)
        return SenderStalled(f"The SMTP relay stopped (exit code {self.relay.exitcode}).")

    def finish(self) -> None:
        """Close the connection and let the relay end (it is killed if it does not)."""
        if self.channel is not None and self.relay is not None:
            with contextlib.suppress(OSError):  # it has gone already
                self.channel.send(None)
            self.relay.join(timeout=max(60, settings.EMAIL_TIMEOUT * 2))
        self.abort()
        self.close()

    def abort(self) -> None:
        """Stop now: nothing more goes out (but a message the server is taking may). The
        answers the relay wrote before can still be read (`received`)."""
        if self.here is not None:
            self.here.close()
        if not self.speaks_smtp:
            with contextlib.suppress(Exception):  # whatever the backend: it is going anyway
                self.backend.close()
        if self.relay is not None and self.relay.is_alive():
            self.relay.kill()
            self.relay.join()

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()


class SenderStalled(RuntimeError):
    """The SMTP relay stopped, or stopped answering."""


def _still_sending(ids: list[int], *, now: datetime) -> None:
    """A live batch refreshes its claims, so `fail_stranded` only takes a dead one's."""
    Email.objects.filter(pk__in=ids, status=EmailStatus.SENDING).update(updated_at=now)


def fail_stranded(*, now: datetime) -> int:
    """Emails claimed by a worker that died mid-batch (a crash, a restart) and not touched
    since STRANDED_AFTER: failed with the reason, never sent again by themselves, since the
    server may have accepted them just before. Returns how many."""
    stranded = list(
        Email.objects.filter(
            status=EmailStatus.SENDING, updated_at__lt=now - STRANDED_AFTER
        ).values_list("pk", flat=True)
    )
    if not stranded:
        return 0
    with transaction.atomic():
        failed = Email.objects.filter(pk__in=stranded, status=EmailStatus.SENDING).update(
            status=EmailStatus.FAILED, last_error=STRANDED, next_attempt_at=None, updated_at=now
        )
        EmailEvent.objects.bulk_create(
            EmailEvent(email_id=pk, kind=EventKind.FAILED, occurred_at=now, detail=STRANDED)
            for pk in stranded
        )
    return failed


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), LOAD_CHUNK):
        yield ids[start : start + LOAD_CHUNK]


def _suppressed_since_queued(item: Outgoing, suppressed: dict[str, Suppression]) -> Prepared | None:
    """A recipient bounced or unsubscribed after the email was queued: fail it, unsent."""
    found = [
        suppressed[r.address.lower()] for r in item.recipients if r.address.lower() in suppressed
    ]
    if not found:
        return None
    why = "; ".join(f"{s.address} {s.why()}" for s in found)
    return Prepared(item.email, None, failure=(FAILED, f"Not sent: {why}. Clear it to send again."))


def _send_claimed(ids: list[int]) -> None:
    """Load, build and hand over one chunk while the sender works through the previous one;
    record a chunk's outcomes once the next one is on its way."""
    try:
        sender = Sender()
    except Exception as error:  # e.g. no relay could be started: nothing has gone out
        logger.exception("Could not start sending a batch of %d emails", len(ids))
        at, why = timezone.now(), f"Could not start sending: {type(error).__name__}: {error}"
        _record([Outcome(item.email, RETRY, at, why) for item in outgoing(ids)])
        return
    try:
        _send_chunks(ids, sender)
    except BaseException:
        sender.abort()
        _record_what_is_known(ids, sender)
        sender.close()
        raise
    sender.finish()


def _send_chunks(ids: list[int], sender: Sender) -> None:
    waiting = 0
    refreshed = timezone.now()  # when the batch's claims were made or last refreshed
    for done, chunk in enumerate(_chunks(ids)):
        if (now := timezone.now()) - refreshed >= CLAIM_REFRESH:
            _still_sending(ids[done * LOAD_CHUNK :], now=now)
            refreshed = now
        items = outgoing(chunk)
        suppressed = active_suppressions(r.address for item in items for r in item.recipients)
        for item in items:
            blocked = _suppressed_since_queued(item, suppressed)
            sender.submit(blocked or prepare(item, for_smtp=sender.speaks_smtp))
        if waiting:
            _record(sender.results(waiting))
        waiting = len(items)
    if waiting:
        _record(sender.results(waiting))


def _record_what_is_known(ids: list[int], sender: Sender) -> None:
    """After a batch broke off: record the outcomes known, and put the emails never handed
    over back in the queue. Those the relay held unanswered stay claimed, to be failed by
    `fail_stranded` as possibly sent."""
    try:
        _record(sender.received())
    except Exception:
        logger.exception("Could not record the outcomes a broken batch had; they stay claimed")
    try:
        never_handed_over = [pk for pk in ids if pk not in sender.submitted]
        _hold(never_handed_over, now=timezone.now(), status=EmailStatus.SENDING)
    except Exception:
        logger.exception("Could not put back the emails a broken batch never handed over")


# ---- Recording what happened ---------------------------------------------------------------


def _apply(outcome: Outcome) -> EventKind:
    """Update the email row in memory for `outcome`; returns the event to record."""
    email = outcome.email
    email.attempts += 1
    email.updated_at = outcome.at
    if outcome.result == SENT:
        email.status, email.sent_at, email.last_error = EmailStatus.SENT, outcome.at, outcome.detail
        email.next_attempt_at = None
        return EventKind.SENT
    email.last_error = outcome.detail
    if outcome.result == RETRY and email.attempts < settings.EMAIL_MAX_ATTEMPTS:
        email.status = EmailStatus.QUEUED
        email.next_attempt_at = outcome.at + RETRY_DELAY * 2 ** (email.attempts - 1)
        return EventKind.DEFERRED
    email.status, email.next_attempt_at = EmailStatus.FAILED, None
    return EventKind.FAILED


@transaction.atomic
def _record(outcomes: list[Outcome]) -> None:
    events = [
        EmailEvent(email_id=o.email.pk, kind=_apply(o), occurred_at=o.at, detail=o.detail)
        for o in outcomes
    ]
    update_many([o.email for o in outcomes], RECORDED_FIELDS)
    insert_many(events)
    put_on_timeline_and_follow_up([o.email for o in outcomes if o.result == SENT])


def _keep_in_outbox(ids: list[int], *, now: datetime) -> None:
    """Without a mailbox nothing is delivered: the emails wait in the outbox, visibly."""
    emails = list(Email.objects.filter(pk__in=ids, status=EmailStatus.SENDING))
    with transaction.atomic():
        Email.objects.filter(pk__in=ids, status=EmailStatus.SENDING).update(
            status=EmailStatus.OUTBOX, next_attempt_at=None, updated_at=now
        )
        EmailEvent.objects.bulk_create(
            EmailEvent(
                email=email,
                kind=EventKind.OUTBOX,
                occurred_at=now,
                detail="No mailbox is configured (EMAIL_URL), so nothing was delivered.",
            )
            for email in emails
        )
        put_on_timeline_and_follow_up(emails, at=now)


def put_on_timeline_and_follow_up(emails: list[Email], *, at: datetime | None = None) -> None:
    """Put sent (or outbox) emails on their client's timeline and create their follow-ups.

    These rows are derived from the email itself (not edits by a person), so they are
    inserted in bulk, outside the audit log.
    """
    with_client = [e for e in emails if e.client_id]
    insert_many(
        [
            Communication(
                kind=CommunicationType.EMAIL,
                direction=CommunicationDirection.OUTBOUND,
                subject=e.subject[:255],
                content=e.body_text,
                occurred_at=at or e.sent_at,
                client_id=e.client_id,
                contact_id=e.contact_id,
                email_id=e.pk,
                created_by_id=e.created_by_id,
            )
            for e in with_client
        ]
    )
    followups.on_emails_sent(emails=emails, at=at)
