"""Reports: successful deliveries and unread dispositions change nothing, and a bounce is
applied only to recipients of the email of ours it quotes."""

import pytest

from forgecrm.emails.models import EmailRecipient, EmailStatus, Suppression
from forgecrm.mailbox.models import FolderRole, MailboxFolder, MessageKind, MessageStatus
from forgecrm.mailbox.services import MAX_BOUNCE_ADDRESSES, handle_message
from tests.emails.factories import EmailFactory, contact_with_address
from tests.mailbox.conftest import FIXTURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox():
    return MailboxFolder.objects.create(name="INBOX", role=FolderRole.INBOX, uidvalidity=1)


def test_a_delivered_report_bounces_nothing(inbox):
    email = EmailFactory(message_id="<bounce.postfix@pixelforgebd.com>")
    raw = (
        (FIXTURES / "dsn_postfix.eml")
        .read_bytes()
        .replace(b"Action: failed", b"Action: delivered")
        .replace(b"Status: 5.1.1", b"Status: 2.0.0")
    )

    row = handle_message(folder=inbox, uid=1, raw=raw)

    assert (row.kind, row.status) == (MessageKind.BOUNCE, MessageStatus.IGNORED)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.bounced_at is None


def test_a_receipt_for_a_message_deleted_unread_does_not_mark_it_read(inbox):
    email = EmailFactory(message_id="<proposal.20261118@pixelforgebd.com>")
    raw = (
        (FIXTURES / "mdn.eml")
        .read_bytes()
        .replace(
            b"manual-action/MDN-sent-manually; displayed",
            b"automatic-action/MDN-sent-automatically; deleted",
        )
    )

    row = handle_message(folder=inbox, uid=1, raw=raw)

    assert (row.kind, row.status) == (MessageKind.READ_RECEIPT, MessageStatus.IGNORED)
    assert "deleted" in row.error
    email.refresh_from_db()
    assert email.read_at is None


def _report(message_id: str, *addresses: str, sender: bytes = b"") -> bytes:
    """dsn_postfix.eml quoting `message_id` and failing each of `addresses` for good."""
    blocks = b"\n".join(
        b"Final-Recipient: rfc822; " + a.encode() + b"\nAction: failed\nStatus: 5.1.1\n"
        for a in addresses
    )
    raw = (
        (FIXTURES / "dsn_postfix.eml")
        .read_bytes()
        .replace(b"<bounce.postfix@pixelforgebd.com>", message_id.encode())
        .replace(b"Final-Recipient: rfc822; nobody@dhakatextiles.com.bd", blocks.rstrip())
    )
    return raw.replace(b"MAILER-DAEMON@", sender, 1) if sender else raw


def test_a_bounce_for_two_recipients_of_our_email_marks_both(inbox):
    ours = EmailFactory(to="nobody@dhakatextiles.com.bd")
    EmailRecipient.objects.create(email=ours, address="Gone@dhakatextiles.com.bd")

    row = handle_message(
        folder=inbox,
        uid=1,
        raw=_report(ours.message_id, "gone@dhakatextiles.com.bd", "nobody@dhakatextiles.com.bd"),
    )

    assert (row.kind, row.status, row.email, row.error) == (
        MessageKind.BOUNCE,
        MessageStatus.DONE,
        ours,
        "",
    )
    ours.refresh_from_db()
    assert ours.status == EmailStatus.BOUNCED
    assert set(Suppression.objects.values_list("address", flat=True)) == {
        "gone@dhakatextiles.com.bd",
        "nobody@dhakatextiles.com.bd",
    }


def test_a_forged_report_from_a_stranger_suppresses_none_of_our_contacts(inbox):
    contacts = [
        contact_with_address(f"{name}@dhakatextiles.com.bd") for name in ("rahim", "nila", "tuhin")
    ]
    addresses = [c.email_addresses.get().email for c in contacts]

    row = handle_message(
        folder=inbox,
        uid=1,
        raw=_report("<invented@attacker.example>", *addresses, sender=b"stranger@"),
    )

    assert not Suppression.objects.exists()
    assert (row.kind, row.status, row.email) == (MessageKind.BOUNCE, MessageStatus.UNMATCHED, None)
    assert "no address was suppressed for: " + ", ".join(addresses) in row.error
    assert row.body_text.count("the CRM never mailed this address") == 3


def test_a_report_quoting_our_email_applies_only_to_its_recipients(inbox):
    ours = EmailFactory(to="nobody@dhakatextiles.com.bd", subject="Proposal")
    contact_with_address("rahim@dhakatextiles.com.bd")

    row = handle_message(
        folder=inbox,
        uid=1,
        raw=_report(ours.message_id, "nobody@dhakatextiles.com.bd", "rahim@dhakatextiles.com.bd"),
    )

    assert list(Suppression.objects.values_list("address", flat=True)) == [
        "nobody@dhakatextiles.com.bd"
    ]
    assert (row.status, row.email) == (MessageStatus.DONE, ours)
    assert "no address was suppressed for: rahim@dhakatextiles.com.bd" in row.error
    assert row.unapplied_bounces == ["rahim@dhakatextiles.com.bd"]
    assert "not a recipient of the email it quotes ('Proposal')" in row.body_text


def test_one_report_bounces_at_most_twenty_addresses(inbox):
    addresses = [f"person{n:02}@dhakatextiles.com.bd" for n in range(25)]
    ours = EmailFactory(to=addresses[0])
    EmailRecipient.objects.bulk_create(EmailRecipient(email=ours, address=a) for a in addresses[1:])

    row = handle_message(folder=inbox, uid=1, raw=_report(ours.message_id, *addresses))

    assert Suppression.objects.count() == MAX_BOUNCE_ADDRESSES == 20
    assert "5 more addresses in this report were not read (at most 20 per report)." in row.error


def test_a_reply_to_their_own_follow_up_still_answers_our_email(inbox):
    ours = EmailFactory(message_id="<proposal.20261118@pixelforgebd.com>")
    theirs = EmailFactory(
        message_id="<nudge.1@dhakatextiles.com.bd>",
        direction="inbound",
        status=EmailStatus.RECEIVED,
        client=ours.client,
    )
    raw = (
        (FIXTURES / "reply_gmail.eml")
        .read_bytes()
        .replace(
            b"In-Reply-To: <proposal.20261118@pixelforgebd.com>",
            b"In-Reply-To: " + theirs.message_id.encode(),
        )
        .replace(
            b"References: <proposal.20261118@pixelforgebd.com>",
            b"References: <proposal.20261118@pixelforgebd.com> " + theirs.message_id.encode(),
        )
    )

    row = handle_message(folder=inbox, uid=1, raw=raw)

    assert row.kind == MessageKind.REPLY
    ours.refresh_from_db()
    assert ours.replied_at is not None
