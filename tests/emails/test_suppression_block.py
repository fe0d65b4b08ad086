"""Blocking an address by hand: on the suppressions page, through the API, and from a bounce
report the mailbox reader could not verify. Sending to it is then refused, until cleared."""

from datetime import UTC, datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from django.db import IntegrityError
from django.urls import reverse

from forgecrm.emails import services
from forgecrm.emails.models import Email, Suppression, SuppressionReason
from forgecrm.emails.services import record_bounce, suppressed_addresses
from tests.emails.factories import contact_with_address

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
LIST = BLOCK = reverse("emails:suppressions")


@time_machine.travel(NOW, tick=False)
def test_a_member_blocks_an_address_and_mail_to_it_is_refused(member, member_client):
    contact = contact_with_address("Rahim@Acme.example", first_name="Rahim")

    response = member_client.post(
        BLOCK, {"address": " Rahim@Acme.example ", "note": "Asked by phone to stop"}, follow=True
    )

    assert response.redirect_chain[-1][0] == LIST
    html = response.content.decode()
    assert "rahim@acme.example is blocked: no email will be sent to it." in html
    assert "was blocked by hand on 25 Nov 2026: Asked by phone to stop" in html
    row = Suppression.objects.get()
    assert row.reason == SuppressionReason.MANUAL and row.is_active
    assert LogEntry.objects.get_for_object(row).get().actor == member
    refused = member_client.post(
        reverse("emails:compose"),
        {"when": "now", "to": [str(contact.pk)], "subject": "Hi", "body_html": "<p>Hi</p>"},
    )
    assert refused.status_code == 422 and not Email.objects.exists()
    assert "was blocked by hand" in refused.context["form"].errors["to"][0]


def test_a_bad_or_already_suppressed_address_is_refused_on_the_form(member_client):
    record_bounce(
        address="gone@acme.example", permanent=True, email=None, at=NOW, detail="550 5.1.1"
    )

    bad = member_client.post(BLOCK, {"address": "not an address"})
    assert bad.status_code == 422
    assert bad.context["block_form"].errors["address"] == ["Enter a valid email address."]
    assert 'aria-describedby="address-errors"' in bad.content.decode()

    twice = member_client.post(BLOCK, {"address": "GONE@acme.example"})
    assert twice.status_code == 422
    [problem] = twice.context["block_form"].errors["address"]
    assert problem.startswith("gone@acme.example is already suppressed: it bounced permanently")
    assert Suppression.objects.count() == 1


def test_an_address_counting_soft_bounces_becomes_blocked(member):
    record_bounce(address="full@acme.example", permanent=False, email=None, at=NOW, detail="452")
    assert suppressed_addresses(["full@acme.example"]) == set()

    services.suppression_block(address="full@acme.example", note="", actor=member)

    row = Suppression.objects.get()
    assert row.reason == SuppressionReason.MANUAL and row.is_active
    assert row.detail == f"by {member.get_full_name() or member.get_username()}"


def test_a_viewer_cannot_block(viewer_client):
    html = viewer_client.get(LIST).content.decode()
    assert "Block an address" not in html and 'name="address"' not in html
    assert viewer_client.post(BLOCK, {"address": "a@acme.example"}).status_code == 403
    assert not Suppression.objects.exists()


def test_blocking_never_redirects_to_another_site(member_client):
    for address in ("a@acme.example", "not an address"):
        response = member_client.post(BLOCK, {"address": address, "next": "https://evil.example/"})
        assert response.status_code in (302, 422)
        assert response.get("Location", LIST) == LIST


def test_a_refused_block_shows_the_list_whose_buttons_still_work(manager, client):
    client.force_login(manager)
    record_bounce(address="gone@acme.example", permanent=True, email=None, at=NOW, detail="550")
    row = Suppression.objects.get()

    refused = client.post(BLOCK, {"address": "gone@acme.example"})

    assert refused.status_code == 422
    html = refused.content.decode()
    assert f'name="next" value="{LIST}"' in html
    cleared = client.post(
        reverse("emails:suppression_clear", args=[row.pk]), {"next": LIST}, follow=True
    )
    assert cleared.status_code == 200 and cleared.redirect_chain[-1][0] == LIST


def test_a_bounce_written_while_blocking_is_taken_over_not_reported_as_a_block(member):
    """A bounce that writes the address's row between the block's look-up and its insert
    makes the insert break the unique index on active addresses: the block looks again
    and takes that row over, instead of saying the address is already suppressed."""
    real_block = services._block
    calls = []

    def bounce_in_between(**kwargs):
        calls.append(kwargs["address"])
        if len(calls) == 1:
            record_bounce(
                address=kwargs["address"], permanent=False, email=None, at=NOW, detail="452"
            )
            raise IntegrityError("suppression_active_address_unique")
        return real_block(**kwargs)

    services._block = bounce_in_between
    try:
        row = services.suppression_block(address="full@acme.example", note="", actor=member)
    finally:
        services._block = real_block

    assert calls == ["full@acme.example", "full@acme.example"]
    assert row.reason == SuppressionReason.MANUAL and row.is_active
    assert Suppression.objects.get() == row


def test_the_api_blocks_and_refuses_twice(api, viewer_api):
    created = api.post("/emails/suppressions", {"address": "Rahim@acme.example", "note": "Asked"})
    assert created.status_code == 201
    body = created.json()
    assert body["address"] == "rahim@acme.example" and body["reason"] == "manual"
    assert body["blocking"] is True

    again = api.post("/emails/suppressions", {"address": "rahim@acme.example"})
    assert again.status_code == 422
    assert "already suppressed" in again.json()["errors"]["address"][0]
    assert api.post("/emails/suppressions", {"address": "nope"}).status_code == 422
    assert viewer_api.post("/emails/suppressions", {"address": "x@acme.example"}).status_code == 403
    assert Suppression.objects.count() == 1
