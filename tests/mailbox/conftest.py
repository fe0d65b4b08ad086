"""A real IMAP server for the reader's tests: Debian's Dovecot, throwaway config, loopback.

One Dovecot serves the session; every test gets its own user (any name logs in with the
same password), so each test starts with an empty mailbox of its own. Without Dovecot the
tests that need it are skipped, or fail when FORGECRM_REQUIRE_IMAP=1 (CI).
"""

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from tests.mailbox.dovecot import PASSWORD, missing, running_dovecot

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Imap:
    port: int
    user: str

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{PASSWORD}@127.0.0.1:{self.port}"

    def connect(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port).login(self.user, PASSWORD, None)

    def append(
        self, *messages: bytes | str, folder: str = "INBOX", arrived_at: datetime | None = None
    ) -> None:
        """Deliver messages (bytes, or the name of a fixture file) to a folder."""
        with self.connect() as box:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            for message in messages:
                raw = (FIXTURES / message).read_bytes() if isinstance(message, str) else message
                box.append(raw, folder, dt=arrived_at, flag_set=())

    def recreate(self, folder: str) -> None:
        """Delete and create a folder: the server gives it a new UIDVALIDITY."""
        with self.connect() as box:
            box.folder.delete(folder)
            box.folder.create(folder)

    def seen_flags(self, folder: str = "INBOX") -> list[tuple[str, ...]]:
        with self.connect() as box:
            box.folder.set(folder, readonly=True)
            return [m.flags for m in box.fetch(mark_seen=False, headers_only=True)]


@pytest.fixture(scope="session")
def dovecot() -> Iterator[int]:
    """One Dovecot for the session; yields its IMAP port."""
    why = missing()
    if why:
        if os.environ.get("FORGECRM_REQUIRE_IMAP") == "1":
            pytest.fail(f"FORGECRM_REQUIRE_IMAP=1 but {why}")
        pytest.skip(why)
    with running_dovecot() as port:
        yield port


_users = itertools.count(1)


@pytest.fixture
def imap(dovecot, settings) -> Imap:
    """An empty mailbox of its own (INBOX and Sent), and IMAP_URL pointing at it."""
    server = Imap(port=dovecot, user=f"hello{os.getpid()}x{next(_users)}")
    settings.IMAP_URL = server.url
    settings.IMAP_FOLDERS = []
    settings.IMAP_SENT_FOLDER = ""
    return server
