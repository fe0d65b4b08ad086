"""The SMTP conversation of a batch, held by a child process of its own.

Why a process and not a thread: sending is mostly waiting for the server, but each of a
message's round trips (MAIL, RCPT, DATA, the message) needs the interpreter lock back
when its answer arrives. A sender thread got it only when the worker's CPU work (building
the next messages, recording outcomes) was forced to yield, up to 5 ms later, so the two
hardly overlapped: a batch took about as long as building plus sending one after the
other. This process only relays bytes, with an interpreter to itself.

The messages arrive as bytes: writing them out here instead would lengthen the chain of
steps each message waits on (write, send, the server's answer) rather than run beside it.

It never reads the project's settings or models: Django's SMTP backend is given every
parameter (the child runs on Django's default settings), and outcomes go back to the
worker as plain values, in the order the messages came. The same Connection also serves a
worker that may not start a child process (a daemonic one), one message after another.
"""

import contextlib
import smtplib
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection as Channel
from typing import Any

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend

SENT, RETRY, FAILED = "sent", "retry", "failed"
# The relay's first word: connected, or knows why it cannot be (answers will say).
READY = "ready"
# The backend's attributes the child needs to open the same connection.
PARAMETERS = (
    "host",
    "port",
    "username",
    "password",
    "use_tls",
    "use_ssl",
    "timeout",
    "ssl_keyfile",
    "ssl_certfile",
)


@dataclass(frozen=True)
class Envelope:
    """What goes over the wire for one message."""

    sender: str
    recipients: list[str]
    data: bytes


@dataclass(frozen=True)
class Answer:
    """How one message went: SENT (with the recipients refused, if any), RETRY or FAILED."""

    result: str
    detail: str = ""
    trace: str = ""  # the traceback of an unexpected error, for the worker's log


def parameters_of(backend: EmailBackend) -> dict[str, Any]:
    return {name: getattr(backend, name) for name in PARAMETERS}


def classify(error: Exception) -> tuple[str, str]:
    """(RETRY or FAILED, the server's answer): 4xx and lost connections are temporary."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        text = "; ".join(
            f"{address}: {code} {_text(answer)}"
            for address, (code, answer) in error.recipients.items()
        )
        return (RETRY if all(400 <= c < 500 for c in codes) else FAILED), text
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
        return (FAILED if 500 <= error.smtp_code < 600 else RETRY), text
    return RETRY, f"{type(error).__name__}: {error}"


def _text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


class Connection:
    """One SMTP connection, reopened once when the server drops it."""

    def __init__(self, parameters: dict[str, Any]) -> None:
        self.parameters = parameters
        self.backend: EmailBackend | None = None
        self.down = ""
        self.open()

    def open(self) -> None:
        """Connect; any failure (bad parameters, a refused login, a password smtplib cannot
        encode) answers every message with RETRY and the reason."""
        try:
            if self.backend is None:
                self.backend = EmailBackend(fail_silently=False, **self.parameters)
            self.backend.open()
            self.down = ""
        except Exception as error:
            self.down = classify(error)[1]

    def close(self) -> None:
        with contextlib.suppress(OSError):  # smtplib's and ssl's errors: it is going anyway
            if self.backend is not None:
                self.backend.close()

    def send(self, envelope: Envelope) -> Answer:
        """Send; an unexpected error fails this message (with the reason), not the batch."""
        try:
            return self._send(envelope)
        except Exception as error:
            return Answer(FAILED, f"{type(error).__name__}: {error}", traceback.format_exc())

    def _send(self, envelope: Envelope) -> Answer:
        if self.down:
            return Answer(RETRY, self.down)
        connection = self.backend.connection if self.backend is not None else None
        try:
            if connection is None:
                raise smtplib.SMTPServerDisconnected("Not connected to the mail server.")
            refused = connection.sendmail(envelope.sender, envelope.recipients, envelope.data)
        except OSError as error:
            if not isinstance(error, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                self.close()
                self.open()
            return Answer(*classify(error))
        return Answer(
            SENT,
            "; ".join(
                f"Refused {address}: {code} {_text(answer)}"
                for address, (code, answer) in refused.items()
            ),
        )


def relay(channel: Channel, parameters: dict[str, Any]) -> None:
    """The child's whole life: say READY, then answer each Envelope received, until None
    or the worker's end."""
    if not settings.configured:
        settings.configure()  # Django's defaults, for the backend's fallbacks: no project
    connection = Connection(parameters)
    try:
        channel.send(READY)
        while (envelope := channel.recv()) is not None:
            channel.send(connection.send(envelope))
    except (EOFError, BrokenPipeError):
        pass  # the worker has gone: so does the relay
    finally:
        connection.close()
        channel.close()
