"""The IMAP side of the reader, through imap-tools: connect, list, select, search, fetch.

Folders are opened read-only (EXAMINE) and bodies fetched with BODY.PEEK, so reading never
marks a message \\Seen for the people using the mailbox. Any error here is the server's or
the connection's: the reader stops the run and tries again next time, instead of marking
messages failed.
"""

import imaplib
import re
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from django.conf import settings
from imap_tools import MailBox, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError
from imap_tools.mailbox import BaseMailBox

TIMEOUT_SECONDS = 60
# Larger messages (huge attachments) are read by their headers only.
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
UID = re.compile(rb"UID (\d+)")


@dataclass(frozen=True)
class Fetched:
    raw: bytes
    size: int
    body_skipped: bool
    arrived_at: datetime | None = None


class NotAnImapUrl(ValueError):
    pass


def connect(url: str) -> BaseMailBox:
    """A logged-in mailbox for imaps://user:password@host:993 (or imap:// unencrypted).

    The user may be an e-mail address, with its @ as is or as %40.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"imap", "imaps"} or not parts.hostname:
        raise NotAnImapUrl("IMAP_URL must look like imaps://user:password@host:993")
    if parts.scheme == "imaps":
        box: BaseMailBox = MailBox(
            parts.hostname, parts.port or 993, timeout=TIMEOUT_SECONDS,
            ssl_context=ssl.create_default_context(),
        )  # fmt: skip
    else:
        box = MailBoxUnencrypted(parts.hostname, parts.port or 143, timeout=TIMEOUT_SECONDS)
    return box.login(unquote(parts.username or ""), unquote(parts.password or ""), None)


def describe(error: BaseException) -> str:
    """What went wrong, for the status panel; never the password."""
    if isinstance(error, MailboxLoginError):
        return "The mail server refused the login: check IMAP_URL's user and password."
    if isinstance(error, socket.timeout | TimeoutError):
        return "The mail server did not answer in time."
    if isinstance(error, ssl.SSLError):
        return f"The TLS connection to the mail server failed: {error}"
    if isinstance(error, OSError):
        return f"The connection to the mail server failed: {error}"
    if isinstance(error, imaplib.IMAP4.abort):
        return f"The mail server closed the connection: {error}"
    text = str(error).replace(settings.IMAP_URL, "IMAP_URL") if settings.IMAP_URL else str(error)
    return f"{type(error).__name__}: {text}"[:2000]


def folder_names(box: BaseMailBox) -> set[str]:
    return {folder.name for folder in box.folder.list()}


def special_folder(box: BaseMailBox, flag: str) -> str | None:
    """The folder carrying an RFC 6154 special-use flag such as \\Sent."""
    return next((f.name for f in box.folder.list() if flag in f.flags), None)


def select(box: BaseMailBox, name: str) -> int:
    """Open a folder read-only; returns its UIDVALIDITY."""
    box.folder.set(name, readonly=True)
    _, data = box.client.response("UIDVALIDITY")
    if data and data[0]:
        return int(data[0])
    return int(box.folder.status(name, ["UIDVALIDITY"])["UIDVALIDITY"])


def uids_from(box: BaseMailBox, start: int) -> list[int]:
    """UIDs of the selected folder from `start` on, ascending.

    "start:*" always includes the last message even when its UID is lower: filtered out.
    """
    return sorted(uid for uid in map(int, box.uids(f"UID {start}:*")) if uid >= start)


def fetch(box: BaseMailBox, uid: int) -> Fetched | None:
    """A message's bytes without marking it seen; None if it was expunged meanwhile."""
    envelope = _size_and_arrival(box, uid)
    if envelope is None:
        return None
    size, arrived_at = envelope
    part = "BODY.PEEK[HEADER]" if size > MAX_MESSAGE_BYTES else "BODY.PEEK[]"
    typ, data = box.client.uid("FETCH", str(uid), f"({part})")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH of UID {uid} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return Fetched(
                raw=item[1],
                size=size,
                body_skipped=size > MAX_MESSAGE_BYTES,
                arrived_at=arrived_at,
            )
    return None


def _size_and_arrival(box: BaseMailBox, uid: int) -> tuple[int, datetime | None] | None:
    """The message's size and when the server received it (INTERNALDATE)."""
    typ, data = box.client.uid("FETCH", str(uid), "(UID RFC822.SIZE INTERNALDATE)")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH of UID {uid} failed: {data!r}")
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes) and (found := SIZE.search(line)):
            uid_found = UID.search(line)
            if uid_found is None or int(uid_found.group(1)) == uid:
                return int(found.group(1)), _arrival(line)
    return None


def _arrival(line: bytes) -> datetime | None:
    parts = imaplib.Internaldate2tuple(line)
    if parts is None:
        return None
    return datetime.fromtimestamp(time.mktime(parts), tz=UTC)
