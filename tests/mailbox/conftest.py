"""A real IMAP server for the reader's tests: Debian's Dovecot, throwaway config, loopback.

One Dovecot serves the session; every test gets its own user (any name logs in with the
same password), so each test starts with an empty mailbox of its own. Without Dovecot the
tests that need it are skipped, or fail when FORGECRM_REQUIRE_IMAP=1 (CI).
"""

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "secret"
CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _dovecot_missing() -> str | None:
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        return "Dovecot is not installed (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "Dovecot's throwaway server must be started as root"
    return None


@dataclass
class Imap:
    port: int
    user: str

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{PASSWORD}@127.0.0.1:{self.port}"

    def connect(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port).login(self.user, PASSWORD, None)

    def append(self, *messages: bytes | str, folder: str = "INBOX") -> None:
        """Deliver messages (bytes, or the name of a fixture file) to a folder."""
        with self.connect() as box:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            for message in messages:
                raw = (FIXTURES / message).read_bytes() if isinstance(message, str) else message
                box.append(raw, folder, flag_set=())

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
    """Start Dovecot in the foreground in a temp dir; yields its IMAP port."""
    missing = _dovecot_missing()
    if missing:
        if os.environ.get("FORGECRM_REQUIRE_IMAP") == "1":
            pytest.fail(f"FORGECRM_REQUIRE_IMAP=1 but {missing}")
        pytest.skip(missing)
    root = Path(tempfile.mkdtemp(prefix="forgecrm-dovecot-"))
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    shutil.chown(root / "mail", "dovecot", "dovecot")
    shutil.chown(root / "home", "dovecot", "dovecot")
    root.chmod(0o755)
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, password=PASSWORD))
    process = subprocess.Popen(
        ["dovecot", "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, process, root)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen, root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"Dovecot exited: {process.stderr.read().decode()} {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("Dovecot did not start listening in 15 s")


_users = itertools.count(1)


@pytest.fixture
def imap(dovecot, settings) -> Imap:
    """An empty mailbox of its own (INBOX and Sent), and IMAP_URL pointing at it."""
    server = Imap(port=dovecot, user=f"hello{os.getpid()}x{next(_users)}")
    settings.IMAP_URL = server.url
    settings.IMAP_FOLDERS = []
    settings.IMAP_SENT_FOLDER = ""
    return server
