"""Suppressed addresses (bounced, unsubscribed) are refused when composing and skipped in
batches; clearing one lets mail go again."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from forgecrm.emails import services
from forgecrm.emails.models import Email, EmailStatus
from forgecrm.emails.services import record_bounce
from tests.emails.factories import contact_with_address

pytestmark = pytest.mark.django_db

BOUNCED_AT = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
USER_UNKNOWN = "550 5.1.1 user unknown"
REFUSAL = (
    "gone@acme.example bounced permanently on 12 Nov 2026: 550 5.1.1 user unknown"
    " — clear it on the contact's page to send again."
)


@pytest.fixture
def gone():
    contact = contact_with_address("Gone@Acme.example", first_name="Gone")
    record_bounce(
        address="gone@acme.example", permanent=True, email=None, at=BOUNCED_AT, detail=USER_UNKNOWN
    )
    return contact


def test_the_composer_refuses_a_suppressed_contact_naming_the_address_and_why(member_client, gone):
    response = member_client.post(
        reverse("emails:compose"),
        {"when": "now", "to": [str(gone.pk)], "subject": "Hi", "body_html": "<p>Hi</p>"},
    )
    assert response.status_code == 422
    assert Email.objects.count() == 0
    assert response.context["form"].errors["to"] == [REFUSAL]
    assert "user unknown" in response.content.decode()


def test_the_api_refuses_sending_and_scheduling_to_a_suppressed_address_with_422(api, gone):
    typed = {"to": ["Someone <ok@acme.example>"], "cc": ["GONE@acme.example"]}
    response = api.post("/emails/send", {**typed, "subject": "Hi", "body_html": "<p>Hi</p>"})
    assert response.status_code == 422
    assert response.json()["errors"]["cc"] == [REFUSAL]

    response = api.post(
        "/emails/schedule",
        {"to": [gone.pk], "subject": "Hi", "body_html": "<p>Hi</p>", "send_at": "2099-01-01T10:00"},
    )
    assert response.status_code == 422
    assert response.json()["errors"]["to"] == [REFUSAL]
    assert Email.objects.count() == 0


def test_a_typed_address_nobody_owns_points_to_the_suppressions_page(api):
    record_bounce(address="x@nowhere.example", permanent=True, email=None, at=BOUNCED_AT, detail="")
    response = api.post(
        "/emails/send", {"to": ["x@nowhere.example"], "subject": "Hi", "body_html": "<p>Hi</p>"}
    )
    assert response.status_code == 422
    [message] = response.json()["errors"]["to"]
    assert message.endswith("clear it on the Suppressed addresses page to send again.")


def test_a_batch_skips_suppressed_contacts_and_reports_them(gone, member):
    fine = contact_with_address("fine@acme.example", first_name="Fine")
    draft = services.Draft(to=[], subject="Hello {{contact_first_name}}", body_html="<p>Hi</p>")

    result = services.emails_send_each(contacts=[gone, fine], draft=draft, actor=member)

    [email] = result
    assert email.contact == fine and email.status == EmailStatus.QUEUED
    [skipped] = result.skipped
    assert skipped.contact == gone and skipped.address == "Gone@Acme.example"
    assert skipped.reason == "bounced permanently on 12 Nov 2026: 550 5.1.1 user unknown"
    assert Email.objects.count() == 1

    only_gone = services.emails_send_each(contacts=[gone], draft=draft, actor=member)
    assert list(only_gone) == [] and len(only_gone.skipped) == 1


def test_the_composers_contact_search_says_which_addresses_are_refused(member_client, gone):
    response = member_client.get(reverse("emails:contact_search"), {"q": "gone"})
    [result] = response.json()["results"]
    assert result["suppressed"] == "bounced permanently on 12 Nov 2026: 550 5.1.1 user unknown"
