"""Recipients unsubscribe from a link in the email (or their mail app's one-click button);
a GET never changes anything and a forged token finds nothing."""

from datetime import UTC, datetime

import pytest
from django.test import Client as HttpClient

from forgecrm.emails import services, tracking
from forgecrm.emails.models import (
    Email,
    EmailEvent,
    EmailTemplate,
    EventKind,
    Suppression,
    SuppressionReason,
)
from forgecrm.emails.services import record_bounce, suppressed_addresses
from tests.emails.factories import EmailFactory, contact_with_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def email():
    contact = contact_with_address("Rahim@Acme.example")
    return EmailFactory(to="Rahim@Acme.example", contact=contact, subject="Our offer")


def page(email: Email) -> str:
    return f"/u/{email.tracking_token}/"


def test_opening_the_link_only_asks_and_changes_nothing(email):
    assert HttpClient().head(page(email)).status_code == 200  # link scanners
    response = HttpClient().get(page(email))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop emails from Pixel Forge?" in html
    assert "Unsubscribe Rahim@Acme.example" in html
    assert Suppression.objects.count() == 0
    assert not EmailEvent.objects.filter(kind=EventKind.UNSUBSCRIBED).exists()


def test_confirming_unsubscribes_the_address_once(email):
    browser = HttpClient(enforce_csrf_checks=True)
    for _ in range(2):
        response = browser.post(page(email))
        assert response.status_code == 200
        assert "You are unsubscribed" in response.content.decode()

    assert suppressed_addresses(["rahim@acme.example"]) == {"rahim@acme.example"}
    suppression = Suppression.objects.get()
    assert suppression.reason == SuppressionReason.UNSUBSCRIBED and suppression.email == email
    assert suppression.detail == "Unsubscribed with the link of “Our offer”"
    [event] = EmailEvent.objects.filter(kind=EventKind.UNSUBSCRIBED)
    assert event.email == email and event.detail == "Rahim@Acme.example"
    assert "You are unsubscribed" in browser.get(page(email)).content.decode()


def test_the_mail_apps_one_click_post_works_without_a_csrf_token(email):
    response = HttpClient(enforce_csrf_checks=True).post(
        page(email), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Suppression.objects.get().detail.startswith("Unsubscribed with one click")


def test_a_forged_token_finds_nothing(email):
    forged = "x" * 43
    assert HttpClient().get(f"/u/{forged}/").status_code == 404
    assert HttpClient().post(f"/u/{forged}/").status_code == 404
    assert HttpClient().get(f"/u/{email.tracking_token[:-1]}/").status_code == 404
    assert Suppression.objects.count() == 0


def test_soft_bounces_being_counted_turn_into_an_unsubscribe(email):
    at = datetime(2026, 11, 1, tzinfo=UTC)
    record_bounce(address="rahim@acme.example", permanent=False, email=None, at=at, detail="452")
    assert suppressed_addresses(["rahim@acme.example"]) == set()

    HttpClient().post(page(email))
    suppression = Suppression.objects.get()
    assert suppression.reason == SuppressionReason.UNSUBSCRIBED
    assert suppressed_addresses(["rahim@acme.example"]) == {"rahim@acme.example"}


def test_the_unsubscribe_link_is_not_click_tracked(settings):
    link = tracking.unsubscribe_url("a" * 43)
    assert link.startswith(settings.SITE_URL + "/u/")
    html, links = tracking.clean_collecting_links(
        f'<p><a href="{link}">Unsubscribe</a> <a href="https://pixelforgebd.com/">site</a></p>'
    )
    assert links == ["https://pixelforgebd.com/"]


def test_the_unsubscribe_url_variable_is_the_emails_own_link(api, committed):
    contact = contact_with_address("rahim@acme.example", first_name="Rahim")
    with committed():
        response = api.post(
            "/emails/send",
            {
                "to": [contact.pk],
                "subject": "News",
                "body_html": '<p>Hi</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>',
            },
        )
    assert response.status_code == 202, response.json()
    email = Email.objects.get()
    assert f'href="{tracking.unsubscribe_url(email.tracking_token)}"' in email.body_html
    assert not email.links.exists()
    HttpClient().post(f"/u/{email.tracking_token}/")
    assert suppressed_addresses(["rahim@acme.example"]) == {"rahim@acme.example"}


def test_ready_made_follow_ups_and_greetings_carry_a_working_unsubscribe_footer(member):
    services.ensure_default_templates()
    contact = contact_with_address("rahim@acme.example", first_name="Rahim")
    with_footer = EmailTemplate.objects.filter(
        name__in=["Friendly follow-up", "Season's greetings", "Greeting: Eid ul-Fitr"]
    )
    assert with_footer.count() == 3
    for template in with_footer:
        rendered = services.preview(template=template, contact=contact, actor=member)
        link = tracking.unsubscribe_url(services.PREVIEW_TOKEN)
        assert f'href="{link}"' in rendered.body_html and f"Unsubscribe ({link})" in (
            rendered.body_text
        )
    proposal = EmailTemplate.objects.get(name="Project proposal")
    assert "unsubscribe" not in proposal.body_html
