"""A real SMTP server in the test process, and running on-commit hooks (the worker's queue)."""

import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class Recorder:
    """An aiosmtpd handler that keeps what it accepts; `answers` scripts its replies to DATA."""

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        answer = self.answers.pop(0) if self.answers else "250 2.0.0 Message accepted"
        if answer.startswith("250"):
            self.envelopes.append(envelope)
        return answer


class SmtpSink:
    def __init__(self, handler: Recorder, port: int):
        self.handler = handler
        self.port = port

    def reply_with(self, *answers: str) -> None:
        """The next DATA commands are answered with these, in order (then 250)."""
        self.handler.answers.extend(answers)

    @property
    def envelopes(self) -> list:
        return self.handler.envelopes

    @property
    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings) -> Iterator[SmtpSink]:
    """A mailbox is configured (Django's SMTP backend) and points at a local aiosmtpd."""
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_DELIVERY_ENABLED = True
    settings.EMAIL_RATE_LIMIT_PER_MINUTE = settings.EMAIL_RATE_LIMIT_PER_HOUR = 0
    try:
        yield SmtpSink(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def committed(
    django_capture_on_commit_callbacks,
) -> Callable[[], AbstractContextManager]:
    """`with committed(): ...` runs the on-commit hooks (queueing to the worker) at the end,
    as a real commit would; tests otherwise run inside a transaction that never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
