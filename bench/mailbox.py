#!/usr/bin/env python
"""Benchmark the mailbox reader against a real Dovecot holding a few thousand messages.

Needs Debian's dovecot-imapd and root (the throwaway server of tests/mailbox/dovecot.py).
Runs on its own database (a temp SQLite file, or a PostgreSQL database it creates and
drops). Prints how long the first read takes (messages/s), a second read with nothing new,
and a full re-scan. See bench/README.md.
"""

import argparse
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import ROOT, bench_database, machine_info, setup_django, timed

sys.path.insert(0, str(ROOT))

from tests.mailbox.dovecot import PASSWORD, missing, running_dovecot  # noqa: E402

FIXTURES = ROOT / "tests" / "mailbox" / "fixtures"
SHAPES = ("reply", "contact", "unmatched", "bounce", "auto_reply")
WEIGHTS = (30, 30, 20, 10, 10)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of a database to create and drop, e.g. "
        "postgres://postgres@127.0.0.1:5432/forgecrm_bench_mailbox (default: temp SQLite)",
    )
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def fill_crm(contacts: int) -> list[tuple[str, str]]:
    """Clients with one contact each and one sent email to each; returns (address, msgid)."""
    from forgecrm.clients.models import Client, ContactEmail, ContactPerson
    from forgecrm.emails.models import Direction, Email, EmailRecipient, EmailStatus

    sent_at = datetime(2026, 11, 1, tzinfo=UTC)
    clients = Client.objects.bulk_create(
        Client(name=f"Bench Client {n:05d} Ltd", status="active") for n in range(contacts)
    )
    people = ContactPerson.objects.bulk_create(
        ContactPerson(client=c, first_name=f"Person {n}") for n, c in enumerate(clients)
    )
    ContactEmail.objects.bulk_create(
        ContactEmail(contact=p, email=f"person{n}@client{n}.example", is_primary=True)
        for n, p in enumerate(people)
    )
    emails = Email.objects.bulk_create(
        Email(
            direction=Direction.OUTBOUND,
            status=EmailStatus.SENT,
            message_id=f"<bench.{n}@pixelforgebd.com>",
            from_email="hello@pixelforgebd.com",
            subject=f"Proposal {n}",
            client=p.client,
            contact=p,
            sent_at=sent_at,
        )
        for n, p in enumerate(people)
    )
    EmailRecipient.objects.bulk_create(
        EmailRecipient(email=e, address=f"person{n}@client{n}.example")
        for n, e in enumerate(emails)
    )
    return [(f"person{n}@client{n}.example", e.message_id) for n, e in enumerate(emails)]


def message(n: int, shape: str, address: str, message_id: str) -> bytes:
    date = (datetime(2026, 11, 2, tzinfo=UTC) + timedelta(minutes=n)).strftime(
        "%a, %d %b %Y %H:%M:%S +0000"
    )
    if shape == "bounce":
        return (
            (FIXTURES / "dsn_postfix.eml")
            .read_bytes()
            .replace(b"nobody@dhakatextiles.com.bd", address.encode())
            .replace(b"<bounce.postfix@pixelforgebd.com>", message_id.encode())
            .replace(b"4Zb1cD2xyz@", f"bench{n}@".encode())
        )
    sender = address if shape != "unmatched" else f"stranger{n}@elsewhere.example"
    headers = [
        f"From: Someone <{sender}>",
        "To: Pixel Forge <hello@pixelforgebd.com>",
        f"Subject: {'Automatic reply: ' if shape == 'auto_reply' else 'Re: '}Proposal {n}",
        f"Date: {date}",
        f"Message-ID: <bench.in.{n}@elsewhere.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if shape in ("reply", "auto_reply"):
        headers += [f"In-Reply-To: {message_id}", f"References: {message_id}"]
    if shape == "auto_reply":
        headers.append("Auto-Submitted: auto-replied")
    body = "Thanks, we will get back to you next week.\n" * 20
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


def fill_mailbox(port: int, count: int, sent: list[tuple[str, str]]) -> None:
    from imap_tools import MailBoxUnencrypted

    rng = random.Random(5)
    with MailBoxUnencrypted("127.0.0.1", port).login("bench", PASSWORD, None) as box:
        for n in range(count):
            address, message_id = rng.choice(sent)
            shape = rng.choices(SHAPES, WEIGHTS)[0]
            box.append(message(n, shape, address, message_id), "INBOX", flag_set=())


def main() -> None:
    args = parse_args()
    why = missing()
    if why:
        sys.exit(why)
    with bench_database(args.database_url, args.keep) as (url, var_dir), running_dovecot() as port:
        setup_django(url, var_dir)
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(machine_info())
        from forgecrm.mailbox.models import MailboxMessage
        from forgecrm.mailbox.services import read_mailbox

        sent = fill_crm(args.contacts)
        timed(f"APPEND {args.messages} messages", lambda: fill_mailbox(port, args.messages, sent))
        settings.IMAP_URL = f"imap://bench:{PASSWORD}@127.0.0.1:{port}"
        runs = {}
        for label, trigger, rescan in (
            ("first read", "manual", False),
            ("second read (nothing new)", "schedule", False),
            ("full re-scan", "rescan", True),
        ):
            seconds = timed(
                label,
                lambda t=trigger, r=rescan, key=label: runs.__setitem__(
                    key, read_mailbox(trigger=t, rescan=r)
                ),
            )
            run = runs[label]
            assert run.ok, run.error
            rate = run.messages_read / seconds if seconds else 0
            print(f"  {run.messages_read} read, {run.messages_failed} failed, {rate:.0f}/s")
        kinds: dict[str, int] = {}
        for kind in MailboxMessage.objects.values_list("kind", flat=True):
            kinds[kind] = kinds.get(kind, 0) + 1
        print("ledger:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
