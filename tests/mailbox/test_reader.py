"""The reader against a real Dovecot: what each kind of mail becomes, and that nothing is
lost or handled twice (re-reads, re-scans, UIDVALIDITY changes, crashes, broken mail)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from forgecrm.emails.models import (
    Direction,
    Email,
    EmailEvent,
    EmailStatus,
    EventKind,
    Suppression,
    SuppressionReason,
)
from forgecrm.followups.models import FollowUpSource, FollowUpStatus
from forgecrm.mailbox import imap as imap_module
from forgecrm.mailbox import services
from forgecrm.mailbox.models import (
    FolderRole,
    MailboxFolder,
    MailboxMessage,
    MailboxRun,
    MessageKind,
    MessageStatus,
)
from forgecrm.mailbox.services import read_mailbox
from forgecrm.mailbox.tasks import read_mailbox_now
from forgecrm.timeline.models import Communication, CommunicationDirection
from tests.emails.factories import EmailFactory, contact_with_address
from tests.factories import ClientEmailFactory
from tests.followups.factories import FollowUpFactory
from tests.mailbox.conftest import FIXTURES

pytestmark = pytest.mark.django_db

PROPOSAL_ID = "<proposal.20261118@pixelforgebd.com>"
SENT_AT = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)
ALL_FIXTURES = [
    "reply_gmail.eml",
    "out_of_office.eml",
    "vacation.eml",
    "mdn.eml",
    "dsn_postfix.eml",
    "dsn_exim.eml",
    "dsn_gmail.eml",
    "dsn_exchange.eml",
    "dsn_yahoo_permanent.eml",
    "dsn_yahoo_temporary.eml",
    "bengali_subject.eml",
    "wrong_charset.eml",
    "missing_headers.eml",
    "malformed_mime.eml",
    "unknown_sender.eml",
]


@pytest.fixture
def rahim():
    """Dhaka Textiles' Rahim, to whom we sent a proposal on 18 November."""
    return contact_with_address("rahim@dhakatextiles.com.bd", first_name="Rahim")


@pytest.fixture
def proposal(rahim):
    return EmailFactory(
        message_id=PROPOSAL_ID,
        subject="Website redesign proposal",
        client=rahim.client,
        contact=rahim,
        sent_at=SENT_AT,
        read_receipt_requested=True,
        to="rahim@dhakatextiles.com.bd",
    )


def _bounced(message_id: str, address: str, **kwargs) -> Email:
    return EmailFactory(
        message_id=message_id, to=address, sent_at=datetime(2026, 11, 19, tzinfo=UTC), **kwargs
    )


def _snapshot() -> dict[str, list]:
    return {
        "emails": list(Email.objects.values_list("id", "status", "replied_at", "read_at")),
        "timeline": list(Communication.objects.values_list("id", flat=True)),
        "events": list(EmailEvent.objects.values_list("id", flat=True)),
        "suppressions": list(
            Suppression.objects.values_list("address", "soft_bounce_count", "suppressed_at")
        ),
        "ledger": list(MailboxMessage.objects.values_list("id", "uid", "status", "email_id")),
    }


def test_without_imap_url_nothing_is_read_and_the_run_says_why(settings):
    settings.IMAP_URL = ""
    run = read_mailbox(trigger="schedule")
    assert run.pk is None and run.ok is False
    assert "IMAP_URL is not set" in run.error
    assert not MailboxRun.objects.exists()


def test_a_reply_lands_on_the_thread_and_marks_the_original_replied(imap, proposal, rahim):
    rule_followup = FollowUpFactory(
        client=rahim.client, email=proposal, source=FollowUpSource.RULE, task_type="email"
    )
    imap.append("reply_gmail.eml")

    run = read_mailbox(trigger="manual")

    assert run.ok and run.messages_read == 1 and run.messages_failed == 0
    reply = Email.objects.get(direction=Direction.INBOUND)
    assert reply.status == EmailStatus.RECEIVED
    assert reply.in_reply_to == PROPOSAL_ID
    assert (reply.client, reply.contact) == (rahim.client, rahim)
    assert "Can we start on 1 December?" in reply.body_text
    assert "<script" not in reply.body_html and "onerror" not in reply.body_html
    entry = Communication.objects.get(email=reply)
    assert entry.direction == CommunicationDirection.INBOUND and entry.client == rahim.client
    proposal.refresh_from_db()
    assert proposal.replied_at == datetime(2026, 11, 19, 11, 12, 31, tzinfo=UTC)
    assert proposal.response_time == timedelta(days=1, hours=7, minutes=12, seconds=31)
    assert proposal.events.filter(kind=EventKind.REPLIED).count() == 1
    rule_followup.refresh_from_db()
    assert rule_followup.status == FollowUpStatus.COMPLETED
    row = MailboxMessage.objects.get()
    assert (row.kind, row.status, row.email) == (MessageKind.REPLY, MessageStatus.DONE, reply)
    assert row.folder.role == FolderRole.INBOX
    assert all("\\Seen" not in flags for flags in imap.seen_flags())


def test_auto_replies_are_stored_but_not_counted_as_replies(imap, proposal):
    imap.append("out_of_office.eml", "vacation.eml")

    read_mailbox(trigger="manual")

    proposal.refresh_from_db()
    assert proposal.replied_at is None
    assert not proposal.events.filter(kind=EventKind.REPLIED).exists()
    kinds = dict(MailboxMessage.objects.values_list("subject", "kind"))
    assert set(kinds.values()) == {MessageKind.AUTO_REPLY}
    out_of_office = Email.objects.get(subject="Automatic reply: Website redesign proposal")
    assert out_of_office.client == proposal.client
    assert Communication.objects.get(email=out_of_office).outcome.startswith("Auto-reply")


def test_a_contact_writing_out_of_the_blue_is_on_their_client(imap):
    nusrat = contact_with_address("nusrat@meghnafoods.com.bd")
    imap.append("bengali_subject.eml")

    read_mailbox(trigger="manual")

    email = Email.objects.get()
    assert email.subject == "প্রস্তাবের জন্য ধন্যবাদ"
    assert email.from_email == "নুসরাত জাহান <nusrat@meghnafoods.com.bd>"
    assert "প্রস্তাবটি দেখেছি" in email.body_text
    assert (email.client, email.contact) == (nusrat.client, nusrat)
    assert Communication.objects.get().client == nusrat.client
    assert MailboxMessage.objects.get().kind == MessageKind.CONTACT


def test_a_client_address_counts_as_known_too(imap):
    address = ClientEmailFactory(email="karim@meghnafoods.com.bd")
    imap.append("wrong_charset.eml")

    read_mailbox(trigger="manual")

    email = Email.objects.get()
    assert email.client == address.client and email.contact is None
    assert "Café menu price: £200" in email.body_text


@pytest.mark.parametrize(
    ("fixture", "message_id", "address", "permanent"),
    [
        (
            "dsn_postfix.eml",
            "<bounce.postfix@pixelforgebd.com>",
            "nobody@dhakatextiles.com.bd",
            True,
        ),
        ("dsn_exim.eml", "<bounce.exim@pixelforgebd.com>", "gone@banglatrade.com.bd", True),
        ("dsn_gmail.eml", "<bounce.gmail@pixelforgebd.com>", "no.such.person.pf@gmail.com", True),
        ("dsn_exchange.eml", "<bounce.exchange@pixelforgebd.com>", "farhana@contoso-bd.com", True),
        (
            "dsn_yahoo_permanent.eml",
            "<bounce.yahoo@pixelforgebd.com>",
            "karim.old.pf@yahoo.com",
            True,
        ),
        (
            "dsn_yahoo_temporary.eml",
            "<bounce.yahootemp@pixelforgebd.com>",
            "nasrin.pf@yahoo.com",
            False,
        ),
    ],
)
def test_bounces_mark_the_email_and_the_address(imap, fixture, message_id, address, permanent):
    original = _bounced(message_id, address)
    imap.append(fixture)

    read_mailbox(trigger="manual")

    original.refresh_from_db()
    assert original.status == EmailStatus.BOUNCED
    assert original.bounce_permanent is permanent
    suppression = Suppression.objects.get(address=address)
    assert (suppression.suppressed_at is not None) is permanent
    row = MailboxMessage.objects.get()
    assert (row.kind, row.status, row.email) == (MessageKind.BOUNCE, MessageStatus.DONE, original)
    assert not Email.objects.filter(direction=Direction.INBOUND).exists()


def _read_a_bounce_quoting_no_email_of_ours(imap) -> None:
    """Yahoo's report of karim.old.pf@yahoo.com, quoting a Message-ID that is not ours."""
    message = (
        (FIXTURES / "dsn_yahoo_permanent.eml")
        .read_bytes()
        .replace(b"<bounce.yahoo@pixelforgebd.com>", b"<not.ours@elsewhere.example>")
    )
    imap.append(message)
    read_mailbox(trigger="manual")


def test_a_bounce_not_quoting_our_email_suppresses_nobody_and_waits_for_a_person(
    imap, admin_client_
):
    original = _bounced("<sent.elsewhere@pixelforgebd.com>", "karim.old.pf@yahoo.com")

    _read_a_bounce_quoting_no_email_of_ours(imap)

    original.refresh_from_db()
    assert original.status == EmailStatus.SENT
    assert not Suppression.objects.exists()
    row = MailboxMessage.objects.get()
    assert (row.kind, row.status, row.email) == (
        MessageKind.BOUNCE,
        MessageStatus.UNMATCHED,
        None,
    )
    assert "no address was suppressed for: karim.old.pf@yahoo.com" in row.error
    assert "our last email to this address was" in row.body_text
    page = admin_client_.get(reverse("mailbox:unmatched")).content.decode()
    assert "Bounce report" in page and "no address was suppressed" in page


def test_a_person_who_checked_an_unverified_bounce_blocks_the_address_from_it(imap, admin_client_):
    _bounced("<sent.elsewhere@pixelforgebd.com>", "karim.old.pf@yahoo.com")
    _read_a_bounce_quoting_no_email_of_ours(imap)
    row = MailboxMessage.objects.get()
    assert row.unapplied_bounces == ["karim.old.pf@yahoo.com"]
    url = reverse("mailbox:message", args=[row.pk])
    page = admin_client_.get(url).content.decode()
    assert 'aria-label="Block karim.old.pf@yahoo.com"' in page
    assert 'name="address" value="karim.old.pf@yahoo.com"' in page
    assert f'name="next" value="{url}"' in page

    blocked = admin_client_.post(
        reverse("emails:suppressions"),
        {"address": "karim.old.pf@yahoo.com", "note": "Checked the report", "next": url},
        follow=True,
    )

    assert blocked.redirect_chain[-1][0] == url
    html = blocked.content.decode()
    assert "karim.old.pf@yahoo.com is blocked: no email will be sent to it." in html
    assert 'aria-label="Block karim.old.pf@yahoo.com"' not in html and "Suppressed" in html
    assert Suppression.objects.get().reason == SuppressionReason.MANUAL
    again = admin_client_.post(
        reverse("emails:suppressions"),
        {"address": "karim.old.pf@yahoo.com", "next": url},
        follow=True,
    )
    assert "karim.old.pf@yahoo.com is already suppressed" in again.content.decode()


def test_a_read_receipt_sets_read_at_once(imap, proposal):
    imap.append("mdn.eml", "mdn.eml")

    read_mailbox(trigger="manual")

    proposal.refresh_from_db()
    assert proposal.read_at == datetime(2026, 11, 19, 5, 5, tzinfo=UTC)
    receipt_events = proposal.events.filter(kind="read")
    assert receipt_events.count() == 1
    assert "rahim@dhakatextiles.com.bd" in receipt_events.get().detail
    assert MailboxMessage.objects.filter(kind=MessageKind.READ_RECEIPT).count() == 2


def test_mail_sent_from_a_mail_app_goes_on_the_timeline_once(imap, rahim, proposal):
    imap.append("sent_from_mail_app.eml", folder="Sent")
    crm_sent = (
        f"From: hello@pixelforgebd.com\r\nTo: rahim@dhakatextiles.com.bd\r\n"
        f"Subject: Website redesign proposal\r\nMessage-ID: {PROPOSAL_ID}\r\n\r\nHi\r\n"
    ).encode()
    to_a_stranger = (
        b"From: hello@pixelforgebd.com\r\nTo: someone@else.example\r\nSubject: Hi\r\n"
        b"Message-ID: <private.1@pixelforgebd.com>\r\n\r\nPersonal\r\n"
    )
    imap.append(crm_sent, to_a_stranger, folder="Sent")

    read_mailbox(trigger="manual")

    outbound = Email.objects.exclude(pk=proposal.pk).get()
    assert outbound.direction == Direction.OUTBOUND and outbound.status == EmailStatus.SENT
    assert outbound.subject == "Call notes and next steps"
    assert (outbound.client, outbound.contact) == (rahim.client, rahim)
    entry = Communication.objects.get(email=outbound)
    assert entry.direction == CommunicationDirection.OUTBOUND
    statuses = dict(MailboxMessage.objects.values_list("subject", "status"))
    assert statuses == {
        "Call notes and next steps": MessageStatus.DONE,
        "Website redesign proposal": MessageStatus.DONE,
        "Hi": MessageStatus.IGNORED,
    }
    assert MailboxFolder.objects.get(name="Sent").role == FolderRole.SENT


def test_mail_from_strangers_is_kept_unmatched_with_its_body(imap):
    imap.append("unknown_sender.eml")

    read_mailbox(trigger="manual")

    row = MailboxMessage.objects.get()
    assert (row.kind, row.status) == (MessageKind.UNMATCHED, MessageStatus.UNMATCHED)
    assert row.from_address == "tanvir@newprospect.example"
    assert "we need an online shop" in row.body_text
    assert "<script" not in row.body_html and "javascript:" not in row.body_html
    assert not Email.objects.exists()


def test_broken_mail_is_recorded_and_the_rest_is_read(imap, proposal, monkeypatch):
    _bounced("<bounce.postfix@pixelforgebd.com>", "nobody@dhakatextiles.com.bd")
    imap.append(
        "missing_headers.eml",
        b"\x00\x01\x02 not an e-mail at all \xff\xfe",
        "malformed_mime.eml",
        "dsn_postfix.eml",  # its handling is made to crash below
        "reply_gmail.eml",
    )

    def crash(**kwargs):
        raise RuntimeError("the suppression list is unavailable")

    monkeypatch.setattr(services, "record_bounce", crash)

    run = read_mailbox(trigger="manual")

    assert run.ok and run.messages_read == 3 and run.messages_failed == 2
    failed = MailboxMessage.objects.filter(status=MessageStatus.FAILED).order_by("uid")
    assert [(m.uid, m.kind) for m in failed] == [(2, MessageKind.FAILED), (4, MessageKind.FAILED)]
    assert "not an e-mail" in failed[0].error
    assert "the suppression list is unavailable" in failed[1].error
    assert failed[1].subject == "Undelivered Mail Returned to Sender"
    assert MailboxMessage.objects.get(uid=1).status == MessageStatus.UNMATCHED
    malformed = MailboxMessage.objects.get(uid=3)
    assert malformed.subject == "Monthly report"
    assert "NoBoundaryInMultipartDefect" in malformed.error
    proposal.refresh_from_db()
    assert proposal.replied_at is not None


def test_reading_the_same_mailbox_again_or_rescanning_changes_nothing(imap, proposal):
    for message_id, address in [
        ("<bounce.postfix@pixelforgebd.com>", "nobody@dhakatextiles.com.bd"),
        ("<bounce.yahootemp@pixelforgebd.com>", "nasrin.pf@yahoo.com"),
    ]:
        _bounced(message_id, address)
    contact_with_address("nusrat@meghnafoods.com.bd")
    imap.append(*ALL_FIXTURES)
    imap.append("sent_from_mail_app.eml", folder="Sent")

    first = read_mailbox(trigger="manual")
    before = _snapshot()
    second = read_mailbox(trigger="schedule")
    rescan = read_mailbox(trigger="rescan", rescan=True)

    assert first.messages_read + first.messages_failed == len(ALL_FIXTURES) + 1
    assert second.messages_read == second.messages_failed == 0
    looked_at_again = MailboxMessage.objects.filter(
        status__in=[MessageStatus.UNMATCHED, MessageStatus.FAILED]
    ).count()
    assert rescan.messages_read + rescan.messages_failed == looked_at_again > 0
    assert _snapshot() == before
    assert len(before["ledger"]) == len(ALL_FIXTURES) + 1


def test_a_uidvalidity_change_does_not_read_anything_twice(imap, settings):
    settings.IMAP_FOLDERS = ["Clients"]
    contact_with_address("nusrat@meghnafoods.com.bd")
    garbage = b"\x00\x01 not an e-mail \xff"
    imap.append(
        "bengali_subject.eml", "unknown_sender.eml", "missing_headers.eml", garbage,
        folder="Clients",
    )  # fmt: skip
    read_mailbox(trigger="manual")
    folder = MailboxFolder.objects.get(name="Clients")
    old_validity = folder.uidvalidity

    imap.recreate("Clients")  # the server renumbers the folder
    imap.append(
        garbage, "missing_headers.eml", "unknown_sender.eml", "bengali_subject.eml",
        folder="Clients",
    )  # fmt: skip
    run = read_mailbox(trigger="manual")

    folder.refresh_from_db()
    assert folder.uidvalidity != old_validity
    assert run.ok
    assert Email.objects.count() == 1
    assert MailboxMessage.objects.filter(status=MessageStatus.UNMATCHED).count() == 2
    assert MailboxMessage.objects.filter(status=MessageStatus.FAILED).count() == 1
    assert MailboxMessage.objects.count() == 4
    assert set(MailboxMessage.objects.values_list("uidvalidity", flat=True)) == {folder.uidvalidity}


@pytest.mark.parametrize("crash_at_fetch", [2, 3])
def test_a_crash_mid_run_neither_loses_nor_duplicates(imap, monkeypatch, crash_at_fetch):
    """The connection dies at the 2nd fetch (inside the first batch of two) or the 3rd
    (after the first batch was committed); the next run reads exactly what is left."""
    contact_with_address("nusrat@meghnafoods.com.bd")
    messages = [
        f"From: nusrat@meghnafoods.com.bd\r\nSubject: Note {n}\r\n"
        f"Message-ID: <note.{n}@meghnafoods.com.bd>\r\n\r\nText {n}\r\n".encode()
        for n in range(1, 6)
    ]
    imap.append(*messages)
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    real_fetch = imap_module.fetch
    calls = []

    def flaky_fetch(box, uid):
        calls.append(uid)
        if len(calls) == crash_at_fetch:
            raise ConnectionResetError("connection reset by peer")
        return real_fetch(box, uid)

    monkeypatch.setattr(imap_module, "fetch", flaky_fetch)
    failed = read_mailbox(trigger="schedule")
    monkeypatch.setattr(imap_module, "fetch", real_fetch)

    assert failed.ok is False and "connection reset" in failed.error
    assert failed.lock is None and failed.finished_at is not None
    assert MailboxFolder.objects.get(name="INBOX").last_uid == (0 if crash_at_fetch == 2 else 2)
    again = read_mailbox(trigger="schedule")
    assert again.ok
    assert sorted(Email.objects.values_list("subject", flat=True)) == [
        f"Note {n}" for n in range(1, 6)
    ]
    assert MailboxMessage.objects.count() == 5
    assert MailboxFolder.objects.get(name="INBOX").last_uid == 5


def test_a_huge_message_is_read_by_its_headers_only(imap, proposal, monkeypatch):
    monkeypatch.setattr(imap_module, "MAX_MESSAGE_BYTES", 50_000)
    attachment = b"A" * 76 + b"\r\n"
    huge = (
        b"From: rahim@dhakatextiles.com.bd\r\nSubject: Re: Website redesign proposal\r\n"
        b"In-Reply-To: " + PROPOSAL_ID.encode() + b"\r\nMessage-ID: <huge.1@example.com>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDesigns attached.\r\n--b\r\n"
        b"Content-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="designs.zip"\r\n\r\n'
        + attachment * 2000
        + b"--b--\r\n"
    )
    imap.append(huge)

    read_mailbox(trigger="manual")

    reply = Email.objects.get(direction=Direction.INBOUND)
    assert "only its headers were read" in reply.body_text
    assert len(reply.body_text) < 200
    proposal.refresh_from_db()
    assert proposal.replied_at is not None
    assert MailboxMessage.objects.get().size > 150_000


def test_two_runs_never_go_at_once_but_a_silent_one_is_taken_over(imap):
    running = MailboxRun.objects.create(trigger="schedule", lock="running")

    refused = read_mailbox(trigger="manual")
    assert refused.pk is None and "Another read" in refused.error

    MailboxRun.objects.filter(pk=running.pk).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    taken_over = read_mailbox(trigger="manual")
    assert taken_over.ok and taken_over.pk
    running.refresh_from_db()
    assert running.ok is False and running.lock is None and "stopped" in running.error


def test_a_refused_login_is_a_failed_run_with_a_reason(imap, settings):
    settings.IMAP_URL = f"imap://{imap.user}:wrong@127.0.0.1:{imap.port}"
    run = read_mailbox(trigger="schedule")
    assert run.ok is False
    assert run.error == "The mail server refused the login: check IMAP_URL's user and password."
    assert MailboxRun.objects.get().ok is False


def test_a_named_folder_that_does_not_exist_is_reported(imap, settings):
    settings.IMAP_FOLDERS = ["Clients"]
    imap.append("unknown_sender.eml")
    run = read_mailbox(trigger="manual")
    assert run.ok is False and "'Clients' does not exist" in run.error
    assert run.messages_read == 1


def test_the_command_and_the_read_now_task(imap, proposal, capsys):
    imap.append("reply_gmail.eml")
    call_command("read_mailbox")
    assert "1 messages read, 0 could not be read." in capsys.readouterr().out
    imap.append("mdn.eml")
    read_mailbox_now()
    proposal.refresh_from_db()
    assert proposal.read_at is not None
    call_command("read_mailbox", "--rescan")
    assert MailboxRun.objects.filter(trigger="rescan", ok=True).count() == 1


def test_the_command_fails_loudly_on_a_failed_run(imap, settings):
    settings.IMAP_URL = f"imap://{imap.user}:wrong@127.0.0.1:{imap.port}"
    with pytest.raises(CommandError, match="refused the login"):
        call_command("read_mailbox")


def test_the_emails_page_shows_when_and_how_fast_it_was_answered(imap, proposal, member_client):
    imap.append("reply_gmail.eml", "mdn.eml")
    read_mailbox(trigger="manual")

    page = member_client.get(reverse("emails:detail", args=[proposal.pk])).content.decode()

    assert '<dd class="col-6" id="response-time">1\xa0day, 7\xa0hours</dd>' in page
    assert "19 Nov 2026" in page  # the read receipt's date


def test_our_own_mail_and_copies_in_other_folders_are_recognised(imap, proposal, settings):
    settings.IMAP_FOLDERS = ["Clients"]
    own_copy = (
        f"From: hello@pixelforgebd.com\r\nTo: rahim@dhakatextiles.com.bd\r\n"
        f"Bcc: hello@pixelforgebd.com\r\nSubject: Website redesign proposal\r\n"
        f"Message-ID: {PROPOSAL_ID}\r\n\r\nDear Rahim\r\n"
    ).encode()
    imap.append(own_copy, "reply_gmail.eml")
    imap.append("reply_gmail.eml", folder="Clients")

    read_mailbox(trigger="manual")

    assert Email.objects.filter(direction=Direction.INBOUND).count() == 1
    assert Communication.objects.count() == 1
    rows = MailboxMessage.objects.order_by("folder__name", "uid")
    assert [(r.folder.name, r.kind, r.status) for r in rows] == [
        ("Clients", MessageKind.REPLY, MessageStatus.DONE),
        ("INBOX", MessageKind.SENT, MessageStatus.DONE),
        ("INBOX", MessageKind.REPLY, MessageStatus.DONE),
    ]
    assert proposal.events.filter(kind=EventKind.REPLIED).count() == 1


def test_a_database_outage_stops_the_run_instead_of_failing_the_message(imap, monkeypatch):
    contact_with_address("nusrat@meghnafoods.com.bd")
    imap.append("bengali_subject.eml")
    real_handle = services.handle_message

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "handle_message", locked)
    run = read_mailbox(trigger="schedule")
    monkeypatch.setattr(services, "handle_message", real_handle)

    assert run.ok is False and "database is locked" in run.error
    assert not MailboxMessage.objects.exists()
    assert read_mailbox(trigger="schedule").messages_read == 1
    assert MailboxMessage.objects.get().kind == MessageKind.CONTACT


def test_a_reply_from_someone_else_at_the_client_stays_on_the_thread(imap, proposal):
    raw = (
        (FIXTURES / "reply_gmail.eml")
        .read_bytes()
        .replace(
            b"Rahim Uddin <rahim@dhakatextiles.com.bd>", b"Accounts <accounts@dhakatextiles.com.bd>"
        )
    )
    imap.append(raw)

    read_mailbox(trigger="manual")

    reply = Email.objects.get(direction=Direction.INBOUND)
    assert (reply.client, reply.contact) == (proposal.client, None)
    assert reply.from_email == "Accounts <accounts@dhakatextiles.com.bd>"
    proposal.refresh_from_db()
    assert proposal.replied_at is not None


def test_a_sent_folder_named_in_the_settings_even_in_bengali(imap, settings, rahim):
    settings.IMAP_SENT_FOLDER = "পাঠানো মেইল"
    imap.append("sent_from_mail_app.eml", folder="পাঠানো মেইল")
    imap.append("sent_from_mail_app.eml", folder="Sent")  # flagged \Sent, but not the one named

    run = read_mailbox(trigger="manual")

    assert run.ok, run.error
    folder = MailboxFolder.objects.get(role=FolderRole.SENT)
    assert folder.name == "পাঠানো মেইল" and folder.last_uid == 1
    assert Email.objects.get().client == rahim.client
    assert not MailboxFolder.objects.filter(name="Sent").exists()


def test_mail_without_a_date_is_dated_when_the_server_received_it(imap):
    nusrat = contact_with_address("nusrat@meghnafoods.com.bd")
    arrived = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    undated = b"From: nusrat@meghnafoods.com.bd\r\nSubject: Menu\r\n\r\nSee the new menu.\r\n"
    imap.append(undated, arrived_at=arrived)

    read_mailbox(trigger="manual")

    row = MailboxMessage.objects.get()
    assert row.received_at == arrived and row.sent_at is None
    email = Email.objects.get()
    assert email.sent_at == arrived and email.contact == nusrat
    assert Communication.objects.get().occurred_at == arrived


def test_a_rescan_matches_what_was_unmatched_or_failed_and_then_changes_nothing(imap, monkeypatch):
    imap.append("unknown_sender.eml", "bengali_subject.eml")
    real_handle = services.handle_message

    def crash_on_bengali(**kwargs):
        if b"meghnafoods" in kwargs["raw"]:
            raise RuntimeError("a bug, fixed since")
        return real_handle(**kwargs)

    monkeypatch.setattr(services, "handle_message", crash_on_bengali)
    read_mailbox(trigger="schedule")
    monkeypatch.setattr(services, "handle_message", real_handle)
    assert sorted(MailboxMessage.objects.values_list("status", flat=True)) == [
        MessageStatus.FAILED,
        MessageStatus.UNMATCHED,
    ]
    contact_with_address("tanvir@newprospect.example")  # someone added Tanvir meanwhile
    contact_with_address("nusrat@meghnafoods.com.bd")

    assert read_mailbox(trigger="schedule").messages_read == 0  # only a re-scan looks again
    rescan = read_mailbox(trigger="rescan", rescan=True)

    assert rescan.messages_read == 2 and rescan.messages_failed == 0
    rows = MailboxMessage.objects.order_by("uid")
    assert [(r.kind, r.status) for r in rows] == [
        (MessageKind.CONTACT, MessageStatus.DONE),
        (MessageKind.CONTACT, MessageStatus.DONE),
    ]
    assert all(r.error == "" and r.email_id for r in rows)
    before = _snapshot()
    assert read_mailbox(trigger="rescan", rescan=True).messages_read == 0
    assert _snapshot() == before


def test_a_rescan_leaves_messages_a_person_filed_or_ignored_alone(imap):
    imap.append("unknown_sender.eml")
    read_mailbox(trigger="schedule")
    MailboxMessage.objects.update(status=MessageStatus.IGNORED)
    contact_with_address("tanvir@newprospect.example")

    read_mailbox(trigger="rescan", rescan=True)

    assert MailboxMessage.objects.get().status == MessageStatus.IGNORED
    assert not Email.objects.exists()


def test_a_uid_the_server_returns_nothing_for_is_listed_failed_and_read_on_a_rescan(
    imap, monkeypatch, admin_client_
):
    contact_with_address("nusrat@meghnafoods.com.bd")
    imap.append(
        *(
            f"From: nusrat@meghnafoods.com.bd\r\nSubject: Note {n}\r\n"
            f"Message-ID: <note.{n}@meghnafoods.com.bd>\r\n\r\nText {n}\r\n".encode()
            for n in (1, 2, 3)
        )
    )
    real_fetch = imap_module.fetch
    monkeypatch.setattr(
        imap_module, "fetch", lambda box, uid: None if uid == 2 else real_fetch(box, uid)
    )

    first = read_mailbox(trigger="schedule")

    assert first.ok and (first.messages_read, first.messages_failed) == (2, 1)
    row = MailboxMessage.objects.get(uid=2)
    assert (row.kind, row.status) == (MessageKind.FAILED, MessageStatus.FAILED)
    page = admin_client_.get(reverse("mailbox:failed")).content.decode()
    assert "The server returned no data for this UID" in page
    assert MailboxFolder.objects.get(name="INBOX").last_uid == 3

    monkeypatch.setattr(imap_module, "fetch", real_fetch)
    rescan = read_mailbox(trigger="rescan", rescan=True)

    assert (rescan.messages_read, rescan.messages_failed) == (1, 0)
    assert sorted(Email.objects.values_list("subject", flat=True)) == ["Note 1", "Note 2", "Note 3"]
    assert not MailboxMessage.objects.filter(status=MessageStatus.FAILED).exists()


def _notes(*numbers: int) -> list[bytes]:
    return [
        f"From: nusrat@meghnafoods.com.bd\r\nSubject: Note {n}\r\n"
        f"Message-ID: <note.{n}@meghnafoods.com.bd>\r\n\r\nText {n}\r\n".encode()
        for n in numbers
    ]


def test_a_slow_run_keeps_its_lock_however_long_it_takes(imap, monkeypatch):
    contact_with_address("nusrat@meghnafoods.com.bd")
    imap.append(*_notes(1, 2, 3))
    real_fetch = imap_module.fetch
    meanwhile: list[MailboxRun] = []
    next_read = [lambda: meanwhile.append(read_mailbox(trigger="schedule"))]
    with time_machine.travel(datetime(2026, 11, 25, 3, 0, tzinfo=UTC), tick=False) as clock:

        def slow_fetch(box, uid):
            clock.shift(timedelta(minutes=10))  # each message takes 10 minutes to download
            if uid == 3 and next_read:  # 30 minutes in, the next scheduled read starts (once)
                next_read.pop()()
            return real_fetch(box, uid)

        monkeypatch.setattr(imap_module, "fetch", slow_fetch)
        run = read_mailbox(trigger="manual")

    assert "Another read of the mailbox is going." in meanwhile[0].error
    assert run.ok and run.messages_read == 3
    assert MailboxRun.objects.get().pk == run.pk


def test_a_message_another_run_recorded_meanwhile_stays_as_that_run_left_it(imap, monkeypatch):
    contact_with_address("nusrat@meghnafoods.com.bd")
    imap.append(*_notes(1, 2))
    real_fetch = imap_module.fetch

    def fetch_after_another_run(box, uid):
        if uid == 1:  # a run that was taken over handles UID 1 between our listing and fetch
            folder = MailboxFolder.objects.get(name="INBOX")
            MailboxMessage.objects.create(
                folder=folder,
                uidvalidity=folder.uidvalidity,
                uid=1,
                kind=MessageKind.CONTACT,
                status=MessageStatus.DONE,
                subject="Note 1",
            )
        return real_fetch(box, uid)

    monkeypatch.setattr(imap_module, "fetch", fetch_after_another_run)
    run = read_mailbox(trigger="schedule")

    assert run.ok and (run.messages_read, run.messages_failed) == (1, 0)
    assert dict(MailboxMessage.objects.values_list("uid", "status")) == {
        1: MessageStatus.DONE,
        2: MessageStatus.DONE,
    }
    assert list(Email.objects.values_list("subject", flat=True)) == ["Note 2"]
