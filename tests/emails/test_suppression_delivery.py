"""At delivery time, over a real SMTP server: an address suppressed after its email was
scheduled gets nothing; cleared, it gets mail again; messages carry RFC 8058 headers."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client as HttpClient

from forgecrm.emails import services, tasks, tracking
from forgecrm.emails.models import Email, EmailStatus, EventKind, Suppression
from tests.emails.factories import EmailFactory, contact_with_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def rahim():
    return contact_with_address("rahim@acme.example", first_name="Rahim")


def schedule(api, contact) -> Email:
    response = api.post(
        "/emails/schedule",
        {
            "to": [contact.pk],
            "subject": "Later",
            "body_html": "<p>Hi</p>",
            "send_at": "2099-01-02T10:00:00+00:00",
        },
    )
    assert response.status_code == 201, response.json()
    return Email.objects.get(pk=response.json()["id"])


def test_an_address_suppressed_after_scheduling_gets_nothing_until_cleared(
    api, smtp, rahim, manager
):
    email = schedule(api, rahim)
    services.record_bounce(
        address="RAHIM@acme.example",
        permanent=True,
        email=None,
        at=datetime(2026, 11, 12, 9, 0, tzinfo=UTC),
        detail="550 5.1.1 user unknown",
    )

    with time_machine.travel(email.scheduled_at + timedelta(seconds=1)):
        tasks.send_due_emails()

    assert smtp.envelopes == []
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED and email.sent_at is None
    assert email.last_error == (
        "Not sent: rahim@acme.example bounced permanently on 12 Nov 2026: "
        "550 5.1.1 user unknown. Clear it to send again."
    )
    assert email.events.filter(kind=EventKind.FAILED).exists()

    services.suppression_clear(suppression=Suppression.objects.get(), actor=manager)
    again = schedule(api, rahim)
    with time_machine.travel(again.scheduled_at + timedelta(seconds=1)):
        tasks.send_due_emails()
    assert len(smtp.envelopes) == 1
    assert Email.objects.get(pk=again.pk).status == EmailStatus.SENT


def test_the_message_carries_one_click_unsubscribe_headers_that_work(api, smtp, rahim):
    email = schedule(api, rahim)
    with time_machine.travel(email.scheduled_at + timedelta(seconds=1)):
        tasks.send_due_emails()

    [message] = smtp.messages
    link = tracking.unsubscribe_url(email.tracking_token)
    assert message["List-Unsubscribe"].strip() == f"<{link}>"  # folded: too long for one line
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # What a mail app does with them (RFC 8058): a cookie-less POST of that body.
    path = link.removeprefix("http://127.0.0.1:8000")
    response = HttpClient(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert services.suppressed_addresses(["rahim@acme.example"]) == {"rahim@acme.example"}


@pytest.mark.parametrize(
    ("extra", "email_type", "offered"),
    [
        ({"cc": ["karim@acme.example"]}, "follow-up", False),  # the link cannot tell who clicked
        ({}, "invoice", False),  # one click in a mail app must not stop a client's invoices
        ({}, "follow-up", True),
    ],
    ids=["shared", "invoice", "one contact"],
)
def test_the_one_click_header_only_goes_to_one_contact_and_not_on_business_mail(
    api, smtp, rahim, extra, email_type, offered
):
    body = {"to": [rahim.pk], "subject": "Hi", "body_html": "<p>Hi</p>", "email_type": email_type}
    response = api.post("/emails/schedule", {**body, **extra, "send_at": "2099-01-02T10:00:00Z"})
    email = Email.objects.get(pk=response.json()["id"])
    with time_machine.travel(email.scheduled_at + timedelta(seconds=1)):
        tasks.send_due_emails()
    [message] = smtp.messages
    assert (message["List-Unsubscribe"] is not None) is offered


def test_a_shared_link_unsubscribes_nobody(rahim):
    email = EmailFactory(contact=rahim, client=rahim.client)
    email.recipients.create(address="rahim@acme.example", contact=rahim)
    email.recipients.create(address="karim@acme.example", kind="cc")
    path = f"/u/{email.tracking_token}/"

    response = HttpClient(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "went to several people" in response.content.decode()
    assert services.suppressed_addresses(["rahim@acme.example", "karim@acme.example"]) == set()
