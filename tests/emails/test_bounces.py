"""Bounces mark the email and, once permanent or repeated, keep the address out of sends."""

from datetime import UTC, datetime, timedelta

import pytest

from forgecrm.emails.models import Email, EmailEvent, EmailStatus, EventKind, Suppression
from forgecrm.emails.services import record_bounce, suppressed_addresses
from tests.emails.factories import EmailFactory

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
