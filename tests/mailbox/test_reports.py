"""Reports that must not change anything: successful deliveries and unread dispositions."""

from datetime import UTC, datetime

import pytest

from forgecrm.emails.models import EmailStatus
from forgecrm.mailbox.models import FolderRole, MailboxFolder, MessageKind, MessageStatus
from forgecrm.mailbox.services import handle_message
from tests.emails.factories import EmailFactory
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


def test_a_bounce_for_two_addresses_marks_each_ones_own_email(inbox):
    sent_at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # the bounce came 15 minutes later
    first = EmailFactory(to="nobody@dhakatextiles.com.bd", sent_at=sent_at)
    second = EmailFactory(to="gone@dhakatextiles.com.bd", sent_at=sent_at)
    raw = (
        (FIXTURES / "dsn_postfix.eml")
        .read_bytes()
        .replace(b"<bounce.postfix@pixelforgebd.com>", b"<unknown@elsewhere.example>")
        .replace(
            b"Final-Recipient: rfc822; nobody@dhakatextiles.com.bd",
            b"Final-Recipient: rfc822; gone@dhakatextiles.com.bd\n"
            b"Action: failed\nStatus: 5.1.1\n\n"
            b"Final-Recipient: rfc822; nobody@dhakatextiles.com.bd",
        )
    )

    row = handle_message(folder=inbox, uid=1, raw=raw)

    assert row.kind == MessageKind.BOUNCE
    for email in (first, second):
        email.refresh_from_db()
        assert email.status == EmailStatus.BOUNCED


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
