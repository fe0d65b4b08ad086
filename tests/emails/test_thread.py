"""An email's page shows its whole conversation: ours and theirs, in order."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forgecrm.emails.models import Direction, EmailStatus
from forgecrm.emails.queries import email_thread
from forgecrm.mailbox.models import MailboxFolder, MailboxMessage, MessageKind, MessageStatus
from tests.emails.factories import EmailFactory, contact_with_address

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, 4, 0, tzinfo=UTC)


def inbound(answering, *, after: timedelta, references: bool = True, **kwargs):
    """A reply as the mailbox reader stores it."""
    chain = f"{answering.references} {answering.message_id}".strip() if references else ""
    return EmailFactory(
        direction=Direction.INBOUND,
        status=EmailStatus.RECEIVED,
        from_email="Farhana Akter <farhana@meghna.example>",
        in_reply_to=answering.message_id,
        references=chain,
        sent_at=answering.sent_at + after,
        tracking_token=None,
        **kwargs,
    )


def outbound_reply(answering, *, after: timedelta, **kwargs):
    return EmailFactory(
        in_reply_to=answering.message_id,
        references=f"{answering.references} {answering.message_id}".strip(),
        sent_at=answering.sent_at + after,
        **kwargs,
    )


def test_the_thread_is_found_from_any_of_its_messages_in_order():
    first = EmailFactory(subject="Proposal", sent_at=START)
    answer = inbound(first, after=timedelta(hours=3), subject="Re: Proposal")
    ours = outbound_reply(answer, after=timedelta(hours=1), subject="Re: Re: Proposal")
    # A mail app that sends no References: found by In-Reply-To.
    last = inbound(ours, after=timedelta(days=1), references=False, subject="Thanks")
    EmailFactory(subject="Unrelated", sent_at=START)

    for member in (first, answer, ours, last):
        thread = email_thread(member)
        assert [m.subject for m in thread] == [
            "Proposal",
            "Re: Proposal",
            "Re: Re: Proposal",
            "Thanks",
        ]
    assert email_thread(first)[1].answers.pk == first.pk


def test_an_email_without_a_conversation_is_its_own_thread():
    alone = EmailFactory()
    assert [m.pk for m in email_thread(alone)] == [alone.pk]


def test_the_detail_page_shows_direction_sender_auto_reply_and_response_time(member_client):
    contact = contact_with_address("farhana@meghna.example", first_name="Farhana")
    first = EmailFactory(subject="Proposal", sent_at=START, client=contact.client)
    away = inbound(first, after=timedelta(minutes=1), subject="Out of office", contact=contact)
    folder = MailboxFolder.objects.create(name="INBOX")
    MailboxMessage.objects.create(
        folder=folder, uidvalidity=1, uid=1, kind=MessageKind.AUTO_REPLY,
        status=MessageStatus.DONE, email=away,
    )  # fmt: skip
    reply = inbound(
        first,
        after=timedelta(hours=3),
        subject="Re: Proposal",
        contact=contact,
        body_html='<p>Yes please</p><img src="https://tracker.example/x.gif">',
    )

    page = member_client.get(f"/admin/crm/emails/{first.pk}/").content.decode()
    assert 'id="thread"' in page
    assert page.index("Out of office") < page.index("Re: Proposal")
    assert "Auto-reply" in page
    assert "Farhana Akter &lt;farhana@meghna.example&gt;" in page
    assert "answered after 3\xa0hours" in page
    assert page.count("answered after") == 1  # the auto-reply is not an answer
    assert f'href="/admin/crm/emails/{reply.pk}/"' in page
    # The reply's body is shown in the same sandboxed frame that loads nothing.
    frames = [part.split("</iframe>")[0] for part in page.split("<iframe")[1:]]
    frame = next(frame for frame in frames if "Yes please" in frame)
    assert " sandbox " in frame and "default-src 'none'" in frame

    reply_page = member_client.get(f"/admin/crm/emails/{reply.pk}/").content.decode()
    assert 'id="thread"' in reply_page and "this email" in reply_page


def test_a_long_thread_takes_as_many_queries_as_a_short_one(member_client):
    def queries_for(email) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert member_client.get(f"/admin/crm/emails/{email.pk}/").status_code == 200
        return len(captured)

    def conversation(length: int):
        first = latest = EmailFactory(sent_at=START)
        for n in range(length - 1):
            latest = (outbound_reply if n % 2 else inbound)(latest, after=timedelta(minutes=5))
        return first

    short, long = conversation(12), conversation(150)
    assert len(email_thread(long)) == 150
    assert len(email_thread(short)) == 12
    assert queries_for(long) == queries_for(short)


def test_a_lone_email_costs_one_lookup():
    alone = EmailFactory()
    with CaptureQueriesContext(connection) as captured:
        email_thread(alone)
    assert len(captured) == 2  # the lookup, then the thread's rows


def test_a_page_without_a_conversation_shows_no_thread_section(member_client):
    alone = EmailFactory()
    assert 'id="thread"' not in member_client.get(f"/admin/crm/emails/{alone.pk}/").content.decode()
