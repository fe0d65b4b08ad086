"""Turn the raw bytes of a message read over IMAP into what the reader needs, without the DB.

Real mailboxes hold broken mail, so nothing here trusts its input: a header that does not
parse is read raw, an unknown charset is decoded as UTF-8 with replacement characters,
attachments are never decoded, bodies are capped, and HTML is sanitized with nh3. `parse`
raises `Unreadable` (with the reason) only when there is nothing usable at all.

What kind of message it is, as far as its own bytes tell: a delivery status notification
(RFC 3464, and the non-standard shapes flufl.bounce knows), a read receipt (RFC 8098), an
auto-reply (RFC 3834 and the headers common mail systems use instead), or plain mail.
"""

import email
import email.header
import email.utils
import logging
import re
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser

from flufl.bounce import all_failures

from forgecrm.emails.sanitize import clean, html_to_text, tidy_text

logging.getLogger("flufl.bounce").setLevel(logging.WARNING)  # it logs every detector at INFO

MAX_BODY_CHARS = 100_000
MESSAGE_ID = re.compile(r"<[^<>\s]{1,990}>")
EMBEDDED_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^<>\s]{1,990}>)", re.I | re.M)
# Subjects auto-responders write (a person's "Re: vacation plans" is not one of them).
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (the )?office|"
    r"ooo\b|on vacation|vacation (reply|notice|auto)|away from (the )?office|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|respuesta autom[áa]tica)",
    re.I,
)
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mail delivery)", re.I)
BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered|delivery (status|failure|has failed|notification)|returned mail|"
    r"failure notice|mail delivery failed|could not be delivered|non[- ]?delivery)",
    re.I,
)
SMTP_ANSWER = re.compile(r"^[^\n]*?\b[45]\d\d\b[ :-][^\n]+", re.M)


class Unreadable(Exception):
    """The bytes are not a message the reader can do anything with."""


@dataclass(frozen=True)
class Failure:
    """One address a bounce reports, whether for good, and the server's answer."""

    address: str
    permanent: bool
    detail: str


@dataclass(frozen=True)
class Bounce:
    failures: list[Failure]
    original_message_id: str


@dataclass(frozen=True)
class Receipt:
    original_message_id: str
    disposition: str
    reporter: str


@dataclass
class Parsed:
    message_id: str = ""
    from_address: str = ""
    from_name: str = ""
    to_addresses: list[str] = field(default_factory=list)
    subject: str = ""
    sent_at: datetime | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    body_text: str = ""
    body_html: str = ""
    auto_reply: bool = False
    bounce: Bounce | None = None
    receipt: Receipt | None = None
    delivery_report: bool = False
    defects: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, the most direct first."""
        ids = [*self.in_reply_to, *reversed(self.references)]
        return list(dict.fromkeys(ids))


def parse(raw: bytes) -> Parsed:
    """Read a message; raises Unreadable when it has neither headers nor a body."""
    if not raw or not raw.strip():
        raise Unreadable("empty message")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not message.keys() and not raw.strip().startswith(b"--"):
        # Random bytes parse as a body without headers: nothing says who or what it is.
        raise Unreadable("no headers: not an e-mail message")
    parsed = Parsed(
        message_id=_first_id(header(message, "Message-ID")),
        subject=" ".join(header(message, "Subject").split())[:998],
        sent_at=_date(header(message, "Date")),
        in_reply_to=MESSAGE_ID.findall(header(message, "In-Reply-To")),
        references=MESSAGE_ID.findall(header(message, "References")),
        to_addresses=[a for _, a in _addresses(message, "To", "Cc")],
        defects=[type(d).__name__ for d in message.defects][:10],
    )
    senders = _addresses(message, "From") or _addresses(message, "Sender")
    if senders:
        parsed.from_name, parsed.from_address = senders[0]
    parsed.body_text, parsed.body_html = _bodies(message)
    parsed.receipt = _receipt(message)
    parsed.delivery_report = _report_type(message) == "delivery-status"
    if parsed.receipt is None:
        parsed.bounce = _bounce(message, raw, parsed)
    parsed.auto_reply = (
        parsed.bounce is None and parsed.receipt is None and is_auto_reply(message, parsed)
    )
    return _storable(parsed)


def readable(text: str) -> str:
    """Text a database can store: raw 8-bit header bytes (kept by the email package as
    surrogate escapes) decoded as UTF-8 where they are, replacement marks where not; no NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "")


def _storable(value):  # type: ignore[no-untyped-def]
    """`readable` applied to every string of a result, however deep."""
    if isinstance(value, str):
        return readable(value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _storable(getattr(value, f.name)) for f in fields(value)})
    return value


def header(message: Message, name: str) -> str:
    """A header's decoded text, or '' — never an exception, whatever the header holds."""
    try:
        value = message.get(name)
        text = "" if value is None else str(value)
    except Exception:  # the structured parser failed on it: decode its encoded words only
        raw = [v for n, v in message.raw_items() if n.lower() == name.lower()]  # type: ignore[attr-defined]
        text = _decode_words(str(raw[0])) if raw else ""
    return text.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def _decode_words(value: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:
        return value


def _first_id(value: str) -> str:
    found = MESSAGE_ID.search(value)
    return found.group(0) if found else ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    """(name, address) pairs of some address headers, addresses lowercased, junk dropped."""
    pairs: list[tuple[str, str]] = []
    for name in names:
        try:
            value = message.get(name)
            pairs.extend((a.display_name, a.addr_spec) for a in getattr(value, "addresses", ()))
        except Exception:  # unparseable: fall back to the lenient parser on the decoded text
            pairs.extend(email.utils.getaddresses([header(message, name)]))
    found = []
    for display, address in pairs:
        address = address.strip().lower()
        if "@" in address and len(address) <= 320 and not any(c.isspace() for c in address):
            found.append((" ".join(display.split())[:255], address))
    return found


def _text_of(part: Message) -> str:
    """A text part's content: its declared charset if that decodes, else UTF-8, else cp1252.

    Mail clients often declare a charset the bytes are not in (or one that does not exist).
    """
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw[:MAX_BODY_CHARS] if isinstance(raw, str) else ""
    payload = payload[: MAX_BODY_CHARS * 4]
    declared = str(part.get_content_charset() or "us-ascii")
    for charset in (declared, "utf-8"):
        try:
            return payload.decode(charset)[:MAX_BODY_CHARS]
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return payload.decode("cp1252", errors="replace")[:MAX_BODY_CHARS]


def _bodies(message: Message) -> tuple[str, str]:
    """The first plain-text and HTML parts that are not attachments (HTML sanitized)."""
    text = html = ""
    for part in message.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain" and not text:
            text = _text_of(part)
        elif content_type == "text/html" and not html:
            html = _text_of(part)
        if text and html:
            break
    if html:
        html = clean(html, template=False)[:MAX_BODY_CHARS]
    if not text and html:
        text = html_to_text(html)
    if not text and not html and isinstance(message.get_payload(), str):
        text = message.get_payload()[:MAX_BODY_CHARS]  # a multipart whose parts cannot be found
    text = text.replace("\x00", "")
    return (tidy_text(text) if text.strip() else ""), html.replace("\x00", "")


def _is_attachment(part: Message) -> bool:
    try:
        return part.is_attachment()  # type: ignore[attr-defined]
    except Exception:
        return True


def is_auto_reply(message: Message, parsed: Parsed) -> bool:
    """RFC 3834's Auto-Submitted, the X-Autoreply family, Precedence, a mailer-daemon
    sender, or a telling subject."""
    auto_submitted = header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if any(header(message, h) for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponse")):
        return True
    if header(message, "Precedence").strip().lower() in {"auto_reply", "bulk", "junk"}:
        return True
    if BOUNCE_SENDER.match(parsed.from_address):  # a mail system's notice nobody could parse
        return True
    return bool(AUTO_REPLY_SUBJECT.search(parsed.subject))


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type", "", header="content-type") or "").lower()


def _receipt(message: Message) -> Receipt | None:
    """An RFC 8098 message disposition notification: which message was shown, and how."""
    if _report_type(message) != "disposition-notification":
        return None
    for part in message.walk():
        if part.get_content_type() != "message/disposition-notification":
            continue
        fields = _report_fields(part)
        original = _first_id(fields.get("original-message-id", ""))
        if original:
            reporter = _typed_value(fields.get("final-recipient", "")).lower()
            return Receipt(
                original_message_id=original,
                disposition=fields.get("disposition", "").strip()[:200],
                reporter=reporter[:320],
            )
    return None


def _typed_value(value: str) -> str:
    """ "rfc822; someone@example.com" -> "someone@example.com" (RFC 3464 typed fields)."""
    kind, separator, rest = value.partition(";")
    return (rest if separator and " " not in kind.strip() else value).strip()


def _report_fields(part: Message) -> dict[str, str]:
    """The header-like fields of a report part (lowercased names; the first block wins)."""
    fields: dict[str, str] = {}
    for block in _report_blocks(part):
        for name, value in block:
            fields.setdefault(name, value)
    return fields


def _report_blocks(part: Message) -> list[list[tuple[str, str]]]:
    """A delivery-status or disposition part as blocks of (name, value) fields.

    The email package parses message/delivery-status into sub-messages; a part whose body
    it kept as text (or bytes) is parsed here, one block per blank-line-separated group.
    """
    payload = part.get_payload()
    if isinstance(payload, list):
        return [
            [(k.lower(), _decode_words(str(v))) for k, v in sub.items()]
            for sub in payload
            if isinstance(sub, Message)
        ]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(payload)
    blocks = []
    for chunk in re.split(r"\r?\n\s*\r?\n", text):
        headers = HeaderParser().parsestr(chunk.strip() + "\n")
        blocks.append([(k.lower(), str(v)) for k, v in headers.items()])
    return blocks


def _bounce(message: Message, raw: bytes, parsed: Parsed) -> Bounce | None:
    """The failed addresses of a delivery status notification, standard or not."""
    failures = _dsn_failures(message) if _report_type(message) == "delivery-status" else []
    if not failures and _looks_like_bounce(parsed):
        failures = _flufl_failures(raw, message, parsed.subject)
    if not failures:
        return None
    return Bounce(failures=failures, original_message_id=_original_message_id(message, raw))


def _looks_like_bounce(parsed: Parsed) -> bool:
    return bool(
        BOUNCE_SENDER.match(parsed.from_address)
        or BOUNCE_SENDER.match(parsed.from_name)
        or BOUNCE_SUBJECT.search(parsed.subject)
    )


def _dsn_failures(message: Message) -> list[Failure]:
    """Failed and delayed recipients of an RFC 3464 report, with status and diagnostic."""
    failures: dict[str, Failure] = {}
    for part in message.walk():
        if part.get_content_type() not in {
            "message/delivery-status",
            "message/global-delivery-status",
        }:
            continue
        for block in _report_blocks(part):
            fields = dict(block)
            action = fields.get("action", "").strip().lower()
            recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
            address = _typed_value(recipient).strip("<>").lower()
            if "@" not in address or action not in {"failed", "delayed"}:
                continue
            status = fields.get("status", "").strip()
            permanent = action == "failed" and not status.startswith("4")
            diagnostic = " ".join(_typed_value(fields.get("diagnostic-code", "")).split())
            prefix = status if status and status not in diagnostic else ""
            detail = " ".join(x for x in (prefix, diagnostic) if x)[:1000]
            previous = failures.get(address)
            if previous is None or (permanent and not previous.permanent):
                failures[address] = Failure(address=address, permanent=permanent, detail=detail)
    return list(failures.values())


def _flufl_failures(raw: bytes, message: Message, subject: str) -> list[Failure]:
    """The non-standard shapes (Exim, Yahoo, Exchange, qmail …) through flufl.bounce."""
    try:
        temporary, permanent = all_failures(email.message_from_bytes(raw))
    except Exception:
        return []
    answer = _server_answer(message) or subject[:300]
    failures = []
    for addresses, is_permanent in ((permanent, True), (temporary - permanent, False)):
        for address in sorted(addresses):
            text = address.decode("utf-8", errors="replace").strip().strip("<>").lower()
            if "@" in text:
                failures.append(Failure(address=text, permanent=is_permanent, detail=answer))
    return failures


def _server_answer(message: Message) -> str:
    """The first line of a bounce's text that quotes an SMTP reply code, e.g. "550 …"."""
    body, _ = _bodies(message)
    found = SMTP_ANSWER.search(body)
    return " ".join(found.group(0).split())[:300] if found else ""


def _original_message_id(message: Message, raw: bytes) -> str:
    """The Message-ID of the returned message (message/rfc822 or text/rfc822-headers)."""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in {"message/rfc822", "message/global"}:
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found = _first_id(header(inner, "Message-ID"))
                if found:
                    return found
        elif content_type in {"text/rfc822-headers", "message/global-headers"}:
            raw_part = part.get_payload(decode=True) or b""
            found_bytes = (
                EMBEDDED_MESSAGE_ID.search(raw_part) if isinstance(raw_part, bytes) else None
            )
            if found_bytes:
                return found_bytes.group(1).decode("ascii", errors="replace")
    # Non-standard bounces quote the original's headers in their text: skip our own headers.
    ends = (raw.find(b"\n\n"), raw.find(b"\r\n\r\n"))  # mail servers store CRLF lines
    body_start = min((end for end in ends if end >= 0), default=len(raw))
    found_bytes = EMBEDDED_MESSAGE_ID.search(raw, body_start)
    return found_bytes.group(1).decode("ascii", errors="replace") if found_bytes else ""
