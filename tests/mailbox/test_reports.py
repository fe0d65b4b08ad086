"""Reports that must not change anything: successful deliveries and unread dispositions."""

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
