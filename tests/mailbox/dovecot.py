"""Debian's Dovecot with a throwaway config on a free loopback port (tests and bench/mailbox.py).

Any user name logs in with PASSWORD and gets an empty maildir of its own.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def missing() -> str | None:
    """Why Dovecot cannot be started here, or None."""
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        return "Dovecot is not installed (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "Dovecot's throwaway server must be started as root"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_dovecot() -> Iterator[int]:
    """Start Dovecot in the foreground in a temp dir, yield its IMAP port, then stop it."""
    root = Path(tempfile.mkdtemp(prefix="forgecrm-dovecot-"))
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    shutil.chown(root / "mail", "dovecot", "dovecot")
    shutil.chown(root / "home", "dovecot", "dovecot")
    root.chmod(0o755)
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, password=PASSWORD))
    dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
    process = subprocess.Popen(
        [dovecot, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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
            log = root / "dovecot.log"
            details = log.read_text() if log.exists() else ""
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"Dovecot exited: {stderr} {details}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("Dovecot did not start listening in 15 s")
