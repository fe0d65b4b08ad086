"""Reading the agency's mailbox: replies, contacts' mail, auto-replies, bounces, read receipts
and mail sent from a mail app, each turned into what the CRM shows.

Every message read gets one ledger row (`MailboxMessage`, unique per folder, UIDVALIDITY and
UID) in the same transaction as its effects, and a folder's `last_uid` only moves after its
batch is committed: a crash or restart neither loses a message nor handles one twice.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import make_msgid

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from forgecrm.clients.models import Client, ClientEmail, ContactEmail, ContactPerson
from forgecrm.core.audit import acting_as
from forgecrm.emails.models import (
    Direction,
    Email,
    EmailEvent,
    EmailRecipient,
    EmailStatus,
    EventKind,
)
from forgecrm.emails.services import record_bounce
from forgecrm.followups import services as followups
from forgecrm.mailbox import imap
from forgecrm.mailbox.models import (
    FolderRole,
    MailboxFolder,
    MailboxMessage,
    MailboxRun,
    MessageKind,
    MessageStatus,
)
from forgecrm.mailbox.parsing import Parsed, Unreadable, parse, readable
from forgecrm.timeline.models import Communication, CommunicationDirection, CommunicationType

log = logging.getLogger(__name__)

BATCH_SIZE = 50
# A re-scan handles these again: a contact added since may match them, a fix may read them.
RETRIED_ON_RESCAN = (MessageStatus.UNMATCHED, MessageStatus.FAILED)
LOCK = "running"
# A running run that has shown no sign of life for this long crashed: the next run takes over.
STALE_AFTER = timedelta(minutes=15)
# A bounce that does not quote our Message-ID is not applied; its note names our last send
# to that address within this window, to help a person judge it.
BOUNCE_MATCH_WINDOW = timedelta(days=14)
# Failed addresses taken from one report: a forged report cannot name the whole list.
MAX_BOUNCE_ADDRESSES = 20
MAX_RECIPIENTS = 50
NOT_CONFIGURED = "IMAP_URL is not set: the mailbox is not read."
NO_DATA = (
    "The server returned no data for this UID (a server hiccup, or the message was deleted "
    "meanwhile); a full re-scan tries it again."
)


def read_mailbox(*, trigger: str, rescan: bool = False) -> MailboxRun:
    """Read every configured folder once; returns the run with what it read and any error.

    Without IMAP_URL, or while another run is going, nothing is read and the returned run
    (not saved) says why. `rescan` walks every UID again and is safe at any time: messages
    in the ledger are skipped, except unmatched and failed ones, which are handled anew.
    """
    if not settings.IMAP_URL:
        log.info(NOT_CONFIGURED)
        return MailboxRun(trigger=trigger, ok=False, error=NOT_CONFIGURED)
    run = _claim_run(trigger=trigger)
    if run is None:
        return MailboxRun(trigger=trigger, ok=False, error="Another read of the mailbox is going.")
    problems: list[str] = []
    try:
        with imap.connect(settings.IMAP_URL) as mailbox:
            folders, missing = _folders(mailbox)
            problems.extend(f"Folder {name!r} does not exist in the mailbox." for name in missing)
            for folder in folders:
                _read_folder(mailbox, folder=folder, run=run, rescan=rescan)
    except Exception as error:  # the connection, login or server failed: the run failed
        log.exception("Reading the mailbox failed")
        problems.append(imap.describe(error))
    _finish_run(run, problems=problems)
    return run


def _claim_run(*, trigger: str) -> MailboxRun | None:
    """Start a run holding the lock, taking over one that went silent; None if one is going."""
    now = timezone.now()
    MailboxRun.objects.filter(lock=LOCK, heartbeat_at__lt=now - STALE_AFTER).update(
        lock=None,
        ok=False,
        finished_at=now,
        error="The reader stopped without finishing (the worker was restarted or crashed).",
    )
    try:
        with transaction.atomic():
            return MailboxRun.objects.create(
                trigger=trigger, lock=LOCK, started_at=now, heartbeat_at=now
            )
    except IntegrityError:
        return None


def _finish_run(run: MailboxRun, *, problems: list[str]) -> None:
    run.finished_at = timezone.now()
    run.ok = not problems
    run.error = "\n".join(problems)
    run.lock = None
    run.save(
        update_fields=[
            "finished_at",
            "ok",
            "error",
            "lock",
            "messages_read",
            "messages_failed",
            "heartbeat_at",
        ]
    )


def _folders(mailbox: imap.BaseMailBox) -> tuple[list[MailboxFolder], list[str]]:
    """INBOX, the Sent folder and IMAP_FOLDERS as ledger folders, and the names not found."""
    listing = imap.folder_names(mailbox)
    sent = settings.IMAP_SENT_FOLDER or imap.special_folder(mailbox, "\\Sent") or "Sent"
    wanted = {"INBOX": FolderRole.INBOX}
    if sent in listing or settings.IMAP_SENT_FOLDER:
        wanted[sent] = FolderRole.SENT
    for name in settings.IMAP_FOLDERS:
        wanted.setdefault(name, FolderRole.OTHER)
    MailboxFolder.objects.exclude(name__in=wanted).update(is_active=False)
    folders = [
        MailboxFolder.objects.update_or_create(
            name=name, defaults={"role": role, "is_active": True}
        )[0]
        for name, role in wanted.items()
        if name in listing
    ]
    return folders, [name for name in wanted if name not in listing]


def _read_folder(
    mailbox: imap.BaseMailBox, *, folder: MailboxFolder, run: MailboxRun, rescan: bool
) -> None:
    """Read a folder's new messages (all of them on a re-scan) in committed batches."""
    validity = imap.select(mailbox, folder.name)
    if folder.uidvalidity != validity:
        # The server renumbered the folder: read it all again; the ledger finds known mail.
        folder.uidvalidity = validity
        folder.last_uid = 0
        folder.save(update_fields=["uidvalidity", "last_uid"])
    renumbered = folder.messages.exclude(uidvalidity=validity).exists()
    start = 1 if rescan else folder.last_uid + 1
    uids = imap.uids_from(mailbox, start)
    for offset in range(0, len(uids), BATCH_SIZE):
        batch = uids[offset : offset + BATCH_SIZE]
        known = dict(
            folder.messages.filter(uidvalidity=validity, uid__in=batch).values_list("uid", "status")
        )
        for uid in batch:
            again = uid in known
            if again and not (rescan and known[uid] in RETRIED_ON_RESCAN):
                continue
            fetched = imap.fetch(mailbox, uid)
            if fetched is None:
                _record_no_data(folder=folder, uid=uid, run=run)
            else:
                _record(
                    folder=folder, uid=uid, fetched=fetched, run=run, renumbered=renumbered,
                    again=again,
                )  # fmt: skip
            _beat(run)
        now = timezone.now()
        if batch[-1] > folder.last_uid:
            folder.last_uid = batch[-1]
        folder.last_read_at = now
        folder.save(update_fields=["last_uid", "last_read_at"])
        _beat(run)
    folder.last_read_at = timezone.now()
    folder.save(update_fields=["last_read_at"])


def _beat(run: MailboxRun) -> None:
    """A sign of life after every message (with the counts so far): however slowly a big
    mailbox is read, the run is never taken for crashed and taken over while it goes."""
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["messages_read", "messages_failed", "heartbeat_at"])


def _record(
    *,
    folder: MailboxFolder,
    uid: int,
    fetched: imap.Fetched,
    run: MailboxRun,
    renumbered: bool,
    again: bool = False,
) -> None:
    """Handle one message in its own transaction; a failure is recorded, never raised.

    Except when the database itself is failing (locked, gone): that is no fault of the
    message, so the run stops and the message is read again next time. And except when
    another run recorded it meanwhile (its ledger row exists): it is handled, left as it is.
    `again` (a re-scan) handles an unmatched or failed message anew, unless a person filed it
    meanwhile.
    """
    try:
        with transaction.atomic():
            replacing = None
            if again:
                replacing = (
                    MailboxMessage.objects.select_for_update()
                    .filter(folder=folder, uidvalidity=folder.uidvalidity or 0, uid=uid)
                    .first()
                )
                if replacing is None or replacing.status not in RETRIED_ON_RESCAN:
                    return
            row = handle_message(
                folder=folder, uid=uid, raw=fetched.raw, size=fetched.size, run=run,
                renumbered=renumbered, body_skipped=fetched.body_skipped,
                received_at=fetched.arrived_at, replacing=replacing,
            )  # fmt: skip
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        if isinstance(error, IntegrityError) and not again and _in_ledger(folder, uid):
            log.info("Mailbox %s UID %s was handled by another run meanwhile", folder.name, uid)
            return
        log.exception("Mailbox message %s UID %s could not be handled", folder.name, uid)
        failure = {
            "kind": MessageKind.FAILED,
            "status": MessageStatus.FAILED,
            "error": readable(f"{type(error).__name__}: {error}"[:2000]),
            "size": fetched.size,
            "digest": hashlib.sha256(fetched.raw).hexdigest(),
            "run": run,
        }
        try:
            with transaction.atomic():
                failed = _record_failure(
                    folder, uid, {**_headers_if_readable(fetched.raw), **failure}
                )
        except Exception:  # even its headers cannot be stored: keep the UID and the reason
            with transaction.atomic():
                failed = _record_failure(folder, uid, failure)
        if failed is None:
            return
        row = failed
    if row.status == MessageStatus.FAILED:
        run.messages_failed += 1
    else:
        run.messages_read += 1


def _record_no_data(*, folder: MailboxFolder, uid: int, run: MailboxRun) -> None:
    """A UID the server listed but returned nothing for: failed, so the Failed list shows it
    and a re-scan tries it again, instead of the folder's position moving past it unread."""
    log.warning("Mailbox %s UID %s: the server returned no data", folder.name, uid)
    failure = {"kind": MessageKind.FAILED, "status": MessageStatus.FAILED, "error": NO_DATA}
    try:
        with transaction.atomic():
            recorded = _record_failure(folder, uid, {**failure, "run": run})
    except IntegrityError:  # another run recorded it meanwhile
        return
    if recorded is not None:
        run.messages_failed += 1


def _record_failure(
    folder: MailboxFolder, uid: int, values: dict[str, object]
) -> MailboxMessage | None:
    """The message's failed ledger row, written over an earlier unmatched or failed one;
    None if another run has handled it meanwhile (its row is kept as it is)."""
    key = {"folder": folder, "uidvalidity": folder.uidvalidity or 0, "uid": uid}
    row = MailboxMessage.objects.select_for_update().filter(**key).first()
    if row is None:
        return MailboxMessage.objects.create(**key, **values)
    if row.status not in RETRIED_ON_RESCAN:
        return None
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def _in_ledger(folder: MailboxFolder, uid: int) -> bool:
    return MailboxMessage.objects.filter(
        folder=folder, uidvalidity=folder.uidvalidity or 0, uid=uid
    ).exists()


def _headers_if_readable(raw: bytes) -> dict[str, object]:
    """Who sent a failed message and about what, if that much can be read, for the UI."""
    row = MailboxMessage()
    try:
        _describe(row, parse(raw))
    except Exception:
        return {}
    fields = ("message_id", "from_address", "from_name", "to_addresses", "subject", "sent_at")
    return {name: getattr(row, name) for name in fields}


def handle_message(
    *,
    folder: MailboxFolder,
    uid: int,
    raw: bytes,
    size: int | None = None,
    run: MailboxRun | None = None,
    renumbered: bool = False,
    body_skipped: bool = False,
    received_at: datetime | None = None,
    replacing: MailboxMessage | None = None,
) -> MailboxMessage:
    """Classify one message, apply what it means and write its ledger row.

    `received_at` is when the mail server got it (IMAP INTERNALDATE); now if unknown.
    `replacing` is its earlier ledger row (unmatched or failed), rewritten in place.
    """
    row = MailboxMessage(
        folder=folder,
        uidvalidity=folder.uidvalidity or 0,
        uid=uid,
        size=len(raw) if size is None else size,
        digest=hashlib.sha256(raw).hexdigest(),
        run=run,
        received_at=min(received_at or timezone.now(), timezone.now()),
    )
    if replacing is not None:
        row.pk, row.created_at = replacing.pk, replacing.created_at
    try:
        parsed = parse(raw)
    except Unreadable as error:
        seen = _seen_before(row) if renumbered else None
        return seen or _save(
            row, kind=MessageKind.FAILED, status=MessageStatus.FAILED, error=str(error)
        )
    _describe(row, parsed)
    seen = _seen_before(row) if renumbered else None
    if seen is not None:
        return seen
    if body_skipped:
        parsed.body_text = f"(The message is {row.size:,} bytes; only its headers were read.)"
    if folder.role == FolderRole.SENT:
        return _sent_from_mail_app(row, parsed)
    if parsed.bounce is not None:
        return _bounce(row, parsed)
    if parsed.delivery_report:  # "delivered", "relayed" or "expanded": nothing failed
        return _save(
            row,
            kind=MessageKind.BOUNCE,
            status=MessageStatus.IGNORED,
            error="A delivery report without a failed recipient.",
        )
    if parsed.receipt is not None:
        return _read_receipt(row, parsed)
    return _inbound(row, parsed)


def _describe(row: MailboxMessage, parsed: Parsed) -> None:
    row.message_id = parsed.message_id
    row.from_address = parsed.from_address
    row.from_name = parsed.from_name
    row.to_addresses = ", ".join(parsed.to_addresses)
    row.subject = parsed.subject
    row.sent_at = parsed.sent_at
    if parsed.defects:
        row.error = "Read as far as it goes; malformed: " + ", ".join(parsed.defects)


def _seen_before(row: MailboxMessage) -> MailboxMessage | None:
    """After a UIDVALIDITY change: the ledger row of this same message, moved to its new UID."""
    same = Q(message_id=row.message_id) if row.message_id else Q(digest=row.digest)
    earlier = (
        MailboxMessage.objects.filter(same, folder=row.folder)
        .exclude(uidvalidity=row.uidvalidity)
        .order_by("-id")
        .first()
    )
    if earlier is None:
        return None
    earlier.uidvalidity, earlier.uid = row.uidvalidity, row.uid
    earlier.save(update_fields=["uidvalidity", "uid"])
    return earlier


def _save(row: MailboxMessage, *, kind: str, status: str, **values: object) -> MailboxMessage:
    row.kind, row.status = kind, status
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def _when(parsed: Parsed, row: MailboxMessage) -> datetime:
    """When it was written (its Date header), or when read if that is missing or ahead."""
    if parsed.sent_at is None or parsed.sent_at > row.received_at:
        return row.received_at
    return parsed.sent_at


# Inbound mail: replies, auto-replies, contacts' mail, the rest unmatched.


@dataclass(frozen=True)
class Sender:
    client: Client
    contact: ContactPerson | None


def known_sender(address: str) -> Sender | None:
    """The contact person (or else the client) whose address this is."""
    if not address:
        return None
    contact_email = (
        ContactEmail.objects.filter(
            email__iexact=address,
            contact__deleted_at__isnull=True,
            contact__client__deleted_at__isnull=True,
        )
        .select_related("contact__client")
        .order_by("-is_primary", "id")
        .first()
    )
    if contact_email is not None:
        return Sender(client=contact_email.contact.client, contact=contact_email.contact)
    client_email = (
        ClientEmail.objects.filter(email__iexact=address, client__deleted_at__isnull=True)
        .select_related("client")
        .order_by("-is_primary", "id")
        .first()
    )
    return Sender(client=client_email.client, contact=None) if client_email else None


def _thread_email(message_ids: list[str]) -> Email | None:
    """The email of the thread this message answers: the most direct one we sent
    (In-Reply-To first, then References), else the most direct one we received."""
    ids = [m for m in message_ids if len(m) <= 255][:50]
    if not ids:
        return None
    found = {e.message_id: e for e in Email.objects.filter(message_id__in=ids)}
    matches = [found[m] for m in ids if m in found]
    ours = (e for e in matches if e.direction == Direction.OUTBOUND)
    return next(ours, matches[0] if matches else None)


def _inbound(row: MailboxMessage, parsed: Parsed) -> MailboxMessage:
    known = _email_with_id(parsed.message_id)
    if known is not None:  # a copy of our own mail, or read before in another folder
        return _already_known(row, known)
    original = _thread_email(parsed.thread_ids)
    sender = known_sender(parsed.from_address)
    if parsed.auto_reply:
        if original is None and sender is None:
            return _save(row, kind=MessageKind.AUTO_REPLY, status=MessageStatus.IGNORED)
        email = _store_inbound(row, parsed, original=original, sender=sender, auto_reply=True)
        return _save(
            row, kind=MessageKind.AUTO_REPLY, status=MessageStatus.DONE, email=email,
            client_id=email.client_id,
        )  # fmt: skip
    if original is not None:
        email = _store_inbound(row, parsed, original=original, sender=sender)
        mark_replied(original, at=email.sent_at or row.received_at)
        return _save(
            row, kind=MessageKind.REPLY, status=MessageStatus.DONE, email=email,
            client_id=email.client_id,
        )  # fmt: skip
    if sender is not None:
        email = _store_inbound(row, parsed, original=None, sender=sender)
        return _save(
            row, kind=MessageKind.CONTACT, status=MessageStatus.DONE, email=email,
            client_id=email.client_id,
        )  # fmt: skip
    return _save(
        row,
        kind=MessageKind.UNMATCHED,
        status=MessageStatus.UNMATCHED,
        body_text=parsed.body_text,
        body_html=parsed.body_html,
    )


def _already_known(row: MailboxMessage, email: Email) -> MailboxMessage:
    earlier = MailboxMessage.objects.filter(email=email).exclude(kind=MessageKind.FAILED).first()
    if earlier is not None:
        kind = earlier.kind
    else:
        kind = MessageKind.SENT if email.direction == Direction.OUTBOUND else MessageKind.CONTACT
    return _save(row, kind=kind, status=MessageStatus.DONE, email=email, client_id=email.client_id)


def _store_inbound(
    row: MailboxMessage,
    parsed: Parsed,
    *,
    original: Email | None,
    sender: Sender | None,
    auto_reply: bool = False,
) -> Email:
    """The inbound Email of this message, on its thread's (or sender's) client and timeline."""
    if original is not None and original.client_id:  # the thread's client, whoever answers
        client = original.client
        same_client = sender is not None and sender.client.pk == original.client_id
        contact = sender.contact if sender is not None and same_client else None
    else:
        client = sender.client if sender else None
        contact = sender.contact if sender else None
    email = _new_email(
        row,
        parsed,
        direction=Direction.INBOUND,
        status=EmailStatus.RECEIVED,
        client=client,
        contact=contact,
        email_type=original.email_type if original else None,
    )
    put_on_timeline(email, direction=CommunicationDirection.INBOUND, auto_reply=auto_reply)
    return email


def _email_with_id(message_id: str) -> Email | None:
    return Email.objects.filter(message_id=message_id).first() if message_id else None


def _new_email(
    row: MailboxMessage,
    parsed: Parsed,
    *,
    direction: str,
    status: str,
    client: Client | None,
    contact: ContactPerson | None,
    email_type: str | None = None,
    actor: User | None = None,
) -> Email:
    message_id = parsed.message_id if 0 < len(parsed.message_id) <= 255 else ""
    if not message_id or Email.objects.filter(message_id=message_id).exists():
        message_id = make_msgid(domain="mailbox.invalid")
    email = Email.objects.create(
        direction=direction,
        status=status,
        message_id=message_id,
        in_reply_to=(parsed.in_reply_to or [""])[0][:255],
        references=" ".join(parsed.references)[:10_000],
        from_email=_from_header(parsed)[:255],
        subject=parsed.subject,
        body_html=parsed.body_html,
        body_text=parsed.body_text,
        client=client,
        contact=contact,
        created_by=actor,
        sent_at=_when(parsed, row),
        **({"email_type": email_type} if email_type else {}),
    )
    EmailRecipient.objects.bulk_create(
        EmailRecipient(email=email, address=address[:254])
        for address in parsed.to_addresses[:MAX_RECIPIENTS]
    )
    return email


def _from_header(parsed: Parsed) -> str:
    if not parsed.from_address:
        return ""
    try:
        return str(Address(display_name=parsed.from_name, addr_spec=parsed.from_address))
    except (ValueError, IndexError):
        return parsed.from_address


def put_on_timeline(
    email: Email,
    *,
    direction: str,
    auto_reply: bool = False,
    by_person: bool = False,
    actor: User | None = None,
) -> None:
    """The email's timeline entry. Entries the reader derives from mail are written outside
    the audit log (as delivery does for sent mail); one a person files is audited."""
    if email.client_id is None:
        return
    entry = Communication(
        kind=CommunicationType.EMAIL,
        direction=direction,
        subject=email.subject[:255],
        content=email.body_text,
        occurred_at=email.sent_at or timezone.now(),
        client_id=email.client_id,
        contact_id=email.contact_id,
        email=email,
        outcome="Auto-reply (not counted as a reply)" if auto_reply else "",
        created_by=actor,
    )
    if by_person:
        entry.save()
    else:
        Communication.objects.bulk_create([entry])


def mark_replied(original: Email, *, at: datetime) -> None:
    """First reply only: replied_at, a REPLIED event, and the thread's follow-ups stop."""
    if original.direction != Direction.OUTBOUND:
        return
    if original.sent_at and at < original.sent_at:  # clocks disagree: never a negative time
        at = original.sent_at
    if not Email.objects.filter(pk=original.pk, replied_at__isnull=True).update(replied_at=at):
        return
    original.replied_at = at
    EmailEvent.objects.create(email=original, kind=EventKind.REPLIED, occurred_at=at)
    followups.on_reply(email=original, at=at)


# Reports: bounces and read receipts.


def _bounce(row: MailboxMessage, parsed: Parsed) -> MailboxMessage:
    """Hand a failed address to record_bounce only when the report names an email we sent
    (its Message-ID) to that very address; a report anyone could have written suppresses
    nobody: it is kept unmatched, saying why, for a person to check."""
    assert parsed.bounce is not None
    at = _when(parsed, row)
    quoted = _email_with_id(parsed.bounce.original_message_id)
    if quoted is not None and quoted.direction != Direction.OUTBOUND:
        quoted = None
    recipients = (
        {address.lower() for address in quoted.recipients.values_list("address", flat=True)}
        if quoted is not None
        else set()
    )
    failures = parsed.bounce.failures[:MAX_BOUNCE_ADDRESSES]
    applied, withheld, withheld_addresses = [], [], []
    for failure in failures:
        kind = "permanent" if failure.permanent else "temporary"
        line = f"{failure.address} ({kind}): {failure.detail}".strip()
        if quoted is not None and failure.address in recipients:
            record_bounce(
                address=failure.address,
                permanent=failure.permanent,
                email=quoted,
                at=at,
                detail=failure.detail,
            )
            applied.append(line)
        else:
            withheld.append(f"{line} — {_why_not_applied(failure.address, quoted, at)}")
            withheld_addresses.append(failure.address)
    notes = [row.error] if row.error else []
    if withheld:
        notes.append(
            "Not applied, so no address was suppressed for: "
            + ", ".join(withheld_addresses)
            + ". A bounce counts only when it quotes the Message-ID of an email the CRM sent"
            " to that address; anyone can write a report like this one."
        )
    skipped = len(parsed.bounce.failures) - len(failures)
    if skipped:
        notes.append(
            f"{skipped} more address{'es' if skipped != 1 else ''} in this report "
            f"{'were' if skipped != 1 else 'was'} not read (at most {MAX_BOUNCE_ADDRESSES} "
            "per report)."
        )
    return _save(
        row,
        kind=MessageKind.BOUNCE,
        status=MessageStatus.DONE if applied else MessageStatus.UNMATCHED,
        email=quoted if applied else None,
        client_id=quoted.client_id if quoted is not None and applied else None,
        body_text="\n".join(applied + withheld),
        error=" ".join(notes),
        unapplied_bounces=withheld_addresses,
    )


def _why_not_applied(address: str, quoted: Email | None, at: datetime) -> str:
    """Why a failed address of a report was not applied, in words a person acts on."""
    if quoted is not None:
        return f"not a recipient of the email it quotes ({quoted.subject[:100]!r})"
    last = _last_send_to(address, before=at)
    if last is None:
        return "the report quotes no email of ours, and the CRM never mailed this address"
    return (
        "the report quotes no email of ours; our last email to this address was "
        f"{last.subject[:100]!r} on {last.sent_at:%d %b %Y %H:%M} UTC"
    )


def _last_send_to(address: str, *, before: datetime) -> Email | None:
    """Our last email to `address` in the BOUNCE_MATCH_WINDOW before `before`: named in the
    note of a report that is not applied, never used to apply it."""
    recipient = (
        EmailRecipient.objects.filter(
            address__iexact=address,
            email__direction=Direction.OUTBOUND,
            email__sent_at__lte=before,
            email__sent_at__gte=before - BOUNCE_MATCH_WINDOW,
        )
        .select_related("email")
        .order_by("-email__sent_at", "-email_id")
        .first()
    )
    return recipient.email if recipient else None


def _read_receipt(row: MailboxMessage, parsed: Parsed) -> MailboxMessage:
    """An MDN: the email's read_at (the first receipt only) and an event saying who read it."""
    assert parsed.receipt is not None
    original = _email_with_id(parsed.receipt.original_message_id)
    if original is None or original.direction != Direction.OUTBOUND:
        return _save(
            row,
            kind=MessageKind.READ_RECEIPT,
            status=MessageStatus.IGNORED,
            error=f"Names a message the CRM did not send: {parsed.receipt.original_message_id}",
        )
    if "displayed" not in parsed.receipt.disposition.lower():  # deleted or processed unread
        return _save(
            row,
            kind=MessageKind.READ_RECEIPT,
            status=MessageStatus.IGNORED,
            email=original,
            client_id=original.client_id,
            error=f"Not read: {parsed.receipt.disposition}",
        )
    at = _when(parsed, row)
    if Email.objects.filter(pk=original.pk, read_at__isnull=True).update(read_at=at):
        reporter = parsed.receipt.reporter or parsed.from_address
        EmailEvent.objects.create(
            email=original,
            kind=EventKind.READ,
            occurred_at=at,
            detail=f"Read receipt from {reporter}: {parsed.receipt.disposition}".strip(": "),
        )
    return _save(
        row,
        kind=MessageKind.READ_RECEIPT,
        status=MessageStatus.DONE,
        email=original,
        client_id=original.client_id,
    )


# The Sent folder: mail the team wrote from its own mail app.


def _sent_from_mail_app(row: MailboxMessage, parsed: Parsed) -> MailboxMessage:
    ours = _email_with_id(parsed.message_id)
    if ours is not None:  # the CRM sent it (or it was read before): nothing to add
        return _save(
            row, kind=MessageKind.SENT, status=MessageStatus.DONE, email=ours,
            client_id=ours.client_id,
        )  # fmt: skip
    recipient = next(filter(None, map(known_sender, parsed.to_addresses[:MAX_RECIPIENTS])), None)
    if recipient is None:
        return _save(
            row,
            kind=MessageKind.SENT,
            status=MessageStatus.IGNORED,
            error="None of its recipients is a known contact.",
        )
    original = _thread_email(parsed.thread_ids)
    email = _new_email(
        row,
        parsed,
        direction=Direction.OUTBOUND,
        status=EmailStatus.SENT,
        client=recipient.client,
        contact=recipient.contact,
        email_type=original.email_type if original else None,
    )
    put_on_timeline(email, direction=CommunicationDirection.OUTBOUND)
    return _save(
        row, kind=MessageKind.SENT, status=MessageStatus.DONE, email=email,
        client_id=email.client_id,
    )  # fmt: skip


# Assigning an unmatched message by hand.


class AlreadyFiled(Exception):
    """The message is already on a client, was never unmatched, or could not be read."""


FILEABLE = (MessageStatus.UNMATCHED, MessageStatus.IGNORED)


def is_fileable(message: MailboxMessage) -> bool:
    """Whether a person may file this message on a client: read (one that could not be read
    has nothing to file), not filed yet, unmatched or ignored."""
    return (
        message.email_id is None
        and message.status in FILEABLE
        and message.kind != MessageKind.FAILED
    )


@transaction.atomic
def file_inbound(
    *,
    message: MailboxMessage,
    client: Client,
    contact: ContactPerson | None,
    actor: User | None,
) -> Email:
    """Put an unmatched (or ignored) message on `client` as an inbound email with its
    timeline entry; raises AlreadyFiled if someone filed it meanwhile."""
    if contact is not None and contact.client_id != client.pk:
        raise ValueError("The contact does not belong to that client.")
    if message.kind == MessageKind.FAILED:
        raise AlreadyFiled("A message that could not be read has nothing to file.")
    claimed = (
        MailboxMessage.objects.filter(pk=message.pk, email__isnull=True, status__in=FILEABLE)
        .exclude(kind=MessageKind.FAILED)
        .update(status=MessageStatus.ASSIGNED, client=client)
    )
    if not claimed:
        raise AlreadyFiled("Someone else filed this message meanwhile.")
    parsed = Parsed(
        message_id=message.message_id,
        from_address=message.from_address,
        from_name=message.from_name,
        to_addresses=_split(message.to_addresses),
        subject=message.subject,
        sent_at=message.sent_at,
        body_text=message.body_text,
        body_html=message.body_html,
    )
    with acting_as(actor):
        email = _new_email(
            message,
            parsed,
            direction=Direction.INBOUND,
            status=EmailStatus.RECEIVED,
            client=client,
            contact=contact,
            actor=actor,
        )
        put_on_timeline(
            email, direction=CommunicationDirection.INBOUND, by_person=True, actor=actor
        )
    MailboxMessage.objects.filter(pk=message.pk).update(email=email)
    message.status, message.client, message.email = MessageStatus.ASSIGNED, client, email
    return email


def _split(addresses: str) -> list[str]:
    return [a.strip() for a in addresses.split(",") if a.strip()]
