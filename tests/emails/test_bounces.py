"""Bounces mark the email and, once permanent or repeated, keep the address out of sends."""

from datetime import UTC, date, datetime, timedelta

import pytest

from forgecrm.clients.models import Client
from forgecrm.emails import services
from forgecrm.emails.models import Email, EmailEvent, EmailStatus, EventKind, Suppression
from forgecrm.emails.services import record_bounce, suppressed_addresses
from forgecrm.events import greetings
from forgecrm.events.models import Greeting, GreetingStatus
from tests.emails.factories import EmailFactory, contact_with_address

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
USER_UNKNOWN = "550 5.1.1 <gone@acme.example>: Recipient address rejected: User unknown"
MAILBOX_FULL = "452 4.2.2 Mailbox full"


def test_a_permanent_bounce_marks_the_email_and_suppresses_the_address_at_once():
    email = EmailFactory(to="Gone@Acme.example")

    record_bounce(
        address="Gone@Acme.example", permanent=True, email=email, at=AT, detail=USER_UNKNOWN
    )

    email.refresh_from_db()
    assert email.status == EmailStatus.BOUNCED
    assert email.bounced_at == AT and email.bounce_permanent
    [event] = email.events.filter(kind=EventKind.BOUNCED)
    assert event.occurred_at == AT and USER_UNKNOWN in event.detail
    assert suppressed_addresses(["GONE@acme.example", "other@acme.example"]) == {
        "gone@acme.example"
    }
    suppression = Suppression.objects.get()
    assert suppression.why() == f"bounced permanently on 12 Nov 2026: {USER_UNKNOWN}"


def test_soft_bounces_suppress_only_at_the_limit(settings):
    settings.SOFT_BOUNCE_LIMIT = 3
    emails = EmailFactory.create_batch(3, to="full@acme.example")

    for day, email in enumerate(emails[:2]):
        record_bounce(
            address="full@acme.example",
            permanent=False,
            email=email,
            at=AT + timedelta(days=day),
            detail=MAILBOX_FULL,
        )
        assert suppressed_addresses(["full@acme.example"]) == set()
    assert Email.objects.filter(status=EmailStatus.BOUNCED, bounce_permanent=False).count() == 2

    record_bounce(
        address="full@acme.example",
        permanent=False,
        email=emails[2],
        at=AT + timedelta(days=2),
        detail=MAILBOX_FULL,
    )
    assert suppressed_addresses(["full@acme.example"]) == {"full@acme.example"}
    assert (
        Suppression.objects.get().why() == f"bounced 3 times, last on 14 Nov 2026: {MAILBOX_FULL}"
    )


def test_reading_the_same_bounce_twice_changes_nothing_more(settings):
    settings.SOFT_BOUNCE_LIMIT = 2
    email = EmailFactory(to="full@acme.example")
    for _ in range(2):
        record_bounce(
            address="full@acme.example", permanent=False, email=email, at=AT, detail=MAILBOX_FULL
        )
        record_bounce(
            address="full@acme.example", permanent=False, email=None, at=AT, detail="later one"
        )
        record_bounce(
            address="full@acme.example", permanent=False, email=None, at=AT, detail="later one"
        )

    assert EmailEvent.objects.filter(kind=EventKind.BOUNCED).count() == 1
    suppression = Suppression.objects.get()
    assert suppression.soft_bounce_count == 2  # the email's bounce and the one without email
    assert suppressed_addresses(["full@acme.example"]) == {"full@acme.example"}


def test_a_bounce_older_than_a_clearing_does_not_suppress_again():
    record_bounce(address="gone@acme.example", permanent=True, email=None, at=AT, detail="550")
    Suppression.objects.update(cleared_at=AT + timedelta(days=1))

    record_bounce(address="gone@acme.example", permanent=True, email=None, at=AT, detail="550")
    assert suppressed_addresses(["gone@acme.example"]) == set()

    record_bounce(
        address="gone@acme.example",
        permanent=True,
        email=None,
        at=AT + timedelta(days=2),
        detail="550",
    )
    assert suppressed_addresses(["gone@acme.example"]) == {"gone@acme.example"}
    assert Suppression.objects.count() == 2


def test_suppressed_addresses_ignores_blanks_and_reads_large_lists_in_chunks():
    record_bounce(address="gone@acme.example", permanent=True, email=None, at=AT, detail="550")
    many = [f"person{n}@acme.example" for n in range(1200)] + ["", "  ", " GONE@acme.example "]
    assert suppressed_addresses(many) == {"gone@acme.example"}


def test_the_weekly_cleanup_forgets_soft_bounces_that_stopped_but_keeps_suppressions(settings):
    settings.SOFT_BOUNCE_LIMIT = 2
    record_bounce(address="once@acme.example", permanent=False, email=None, at=AT, detail="452")
    record_bounce(address="gone@acme.example", permanent=True, email=None, at=AT, detail="550")
    services.forget_stale_soft_bounces(now=AT + timedelta(days=29))
    assert Suppression.objects.filter(cleared_at__isnull=True).count() == 2

    assert services.forget_stale_soft_bounces(now=AT + timedelta(days=31)) == 1

    later = AT + timedelta(days=40)
    record_bounce(address="once@acme.example", permanent=False, email=None, at=later, detail="452")
    assert suppressed_addresses(["once@acme.example", "gone@acme.example"]) == {"gone@acme.example"}


def test_an_approved_greeting_to_a_suppressed_contact_is_not_sent_and_says_why():
    contact = contact_with_address("gone@acme.example", client__status="active")
    Client.objects.filter(pk=contact.client_id).update(primary_contact=contact)
    record_bounce(
        address="gone@acme.example", permanent=True, email=None, at=AT, detail="550 5.1.1"
    )
    greetings.prepare(today=date(2026, 12, 20), days=7)
    greetings.approve(greetings=Greeting.objects.all(), actor=None)

    greetings.send_due(now=datetime(2026, 12, 25, 15, tzinfo=UTC))

    assert Email.objects.count() == 0
    greeting = Greeting.objects.get(contact=contact)
    assert greeting.status == GreetingStatus.FAILED
    assert greeting.last_error.startswith("gone@acme.example bounced permanently on 12 Nov 2026")
