"""Filing an unmatched message on a client by hand (the unmatched list's "assign")."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from forgecrm.emails.models import Direction, EmailStatus
from forgecrm.mailbox.models import FolderRole, MailboxFolder, MessageStatus
from forgecrm.mailbox.services import AlreadyFiled, file_inbound, handle_message
from forgecrm.timeline.models import Communication, CommunicationDirection
from tests.factories import ClientFactory, ContactEmailFactory, ContactFactory, UserFactory
from tests.mailbox.conftest import FIXTURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def unmatched():
    inbox = MailboxFolder.objects.create(name="INBOX", role=FolderRole.INBOX, uidvalidity=7)
    return handle_message(folder=inbox, uid=1, raw=(FIXTURES / "unknown_sender.eml").read_bytes())


def test_an_unmatched_message_becomes_an_inbound_email_on_the_client(unmatched):
    assert unmatched.status == MessageStatus.UNMATCHED
    client = ClientFactory(name="New Prospect Ltd")
    tanvir = ContactFactory(client=client, first_name="Tanvir")
    nusrat = UserFactory(username="nusrat")

    email = file_inbound(message=unmatched, client=client, contact=tanvir, actor=nusrat)

    assert (email.direction, email.status) == (Direction.INBOUND, EmailStatus.RECEIVED)
    assert (email.client, email.contact, email.created_by) == (client, tanvir, nusrat)
    assert email.subject == "Do you build e-commerce sites?"
    assert email.message_id == "<prospect.20261124@newprospect.example>"
    assert "we need an online shop" in email.body_text
    entry = Communication.objects.get(email=email)
    assert (entry.client, entry.direction) == (client, CommunicationDirection.INBOUND)
    assert entry.created_by == nusrat
    unmatched.refresh_from_db()
    assert (unmatched.status, unmatched.email, unmatched.client) == (
        MessageStatus.ASSIGNED,
        email,
        client,
    )


def test_a_message_is_filed_only_once(unmatched):
    client = ClientFactory()
    file_inbound(message=unmatched, client=client, contact=None, actor=None)
    with pytest.raises(AlreadyFiled):
        file_inbound(message=unmatched, client=client, contact=None, actor=None)
    assert Communication.objects.count() == 1


def test_the_contact_must_belong_to_the_client(unmatched):
    with pytest.raises(ValueError, match="does not belong"):
        file_inbound(
            message=unmatched, client=ClientFactory(), contact=ContactFactory(), actor=None
        )
    unmatched.refresh_from_db()
    assert unmatched.status == MessageStatus.UNMATCHED


def test_filing_is_audited_under_the_person_reading_is_not(unmatched):
    client = ClientFactory()
    nusrat = UserFactory(username="nusrat")
    ContactEmailFactory(contact=ContactFactory(client=client), email="nusrat@meghnafoods.com.bd")
    timeline_audit = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Communication)
    )
    from_contact = handle_message(
        folder=unmatched.folder, uid=2, raw=(FIXTURES / "bengali_subject.eml").read_bytes()
    )
    assert from_contact.email.communication.client == client
    assert not timeline_audit.exists()

    email = file_inbound(message=unmatched, client=client, contact=None, actor=nusrat)

    entry = timeline_audit.get()
    assert entry.actor == nusrat and entry.object_pk == str(email.communication.pk)
